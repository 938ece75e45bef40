/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iobench: one file-system workload on one directory, timed from the inside.
 *
 *   iobench [-s BYTES] [-n FILES] [-f BYTES] [-P] DIR WORKLOAD
 *
 * bench/volumes/run builds this file static and runs the same binary on the host and, through
 * `exec`, in containers of each engine, so that every number comes from the same code doing
 * the same system calls. It prints one line:
 *
 *   WORKLOAD seconds=S rate=R unit=U cpu=S runq=S prefault=S [sync=S] [cached=P]
 *
 * Workloads, on DIR/iobench.dat (BYTES, default 1 GiB) and DIR/iobench.files/ (FILES files of
 * -f BYTES each, default 50,000 of 4096):
 *
 *   write-4k, write-1m  create the file and write it in 4 KiB or 1 MiB write(2)s, then fsync:
 *                       the time includes the fsync (given apart as sync=), so the data is on
 *                       the disk when the clock stops
 *   read-4k, read-1m    read the file in 4 KiB or 1 MiB read(2)s; first (untimed) drop its
 *                       pages from the page cache with posix_fadvise(POSIX_FADV_DONTNEED) and
 *                       count what is still resident (mincore): cached= is that share, which
 *                       should be 0%, or the read is not from the disk
 *   files-create        create, write and close each file, then syncfs(2) (in sync=)
 *   files-stat          stat(2) each file by name
 *   files-remove        unlink(2) each file and the directory, then syncfs(2) (in sync=)
 *   null-write          1,000,000 one-byte write(2)s to /dev/null, no file system involved: the
 *                       cost of a system call as such, seccomp filter included, which the data
 *                       and files workloads pay 50,000 to 262,144 times
 *   clean               remove what the others leave (untimed, prints nothing)
 *
 * Besides the wall-clock time, each line has the CPU time the process used meanwhile (cpu=,
 * user + system) and how long it waited for a CPU (runq=, from /proc/self/schedstat): on a busy
 * machine the first tells an engine's own overhead from the load, the second shows the load.
 *
 * Before the clock starts, each workload touches and frees as much memory as its page cache
 * will take, in pages of the size the page cache will then ask for (prefault= is how long that
 * took; -P leaves it out). On a VM whose host takes back the memory the guest is not using (as
 * on the machine bench/README.md describes), page cache that lands on such memory costs the
 * host's page faults inside the timed part: writing 1 GiB in 1 MiB blocks took 1.2 to 1.4 s
 * there before the fsync, against 0.3 s on memory touched just before, and which kind the page
 * cache gets is luck, nothing to do with the directory under test. The page allocator hands
 * out what was freed last, from blocks of the size asked for: ext4's large folios (1 MiB writes,
 * readahead) come out of the 2 MiB blocks freed transparent huge pages leave, 4 KiB writes and
 * small files out of what 4 KiB pages leave. Touched in small pages, the prefault did not help
 * the 1 MiB writes.
 *
 * iobench first changes to DIR and names everything relative to it (iobench.files/f0000042):
 * every target then does the same lookups, whether DIR is /data in a container or a longer path
 * on the host, and each of them goes through whatever the engine mounted there (the working
 * directory is on that mount). Exit status 0, or 1 with a message on stderr.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DATA_NAME  "iobench.dat"
#define FILES_NAME "iobench.files"
#define MAX_BLOCK  (1024 * 1024)
#define PATH_LEN   40 /* FILES_NAME "/f" and up to 20 digits */

struct opts {
    const char *dir;
    const char *workload;
    unsigned long long size;  /* bytes of iobench.dat */
    unsigned long files;      /* how many small files */
    unsigned long file_bytes; /* each small file's size */
    int prefault;             /* touch memory first (-P: not) */
};

/* A point in time, in three clocks. */
struct mark {
    double wall; /* CLOCK_MONOTONIC */
    double cpu;  /* user + system time of the process */
    double runq; /* time spent runnable, waiting for a CPU */
};

struct result {
    double seconds;
    double cpu_seconds;
    double runq_seconds;
    double prefault_seconds;
    double sync_seconds; /* < 0: not applicable */
    double cached_pct;   /* < 0: not applicable */
    double amount;       /* bytes or operations done */
};

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("iobench: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct mark mark_now(void)
{
    struct mark m = {.wall = now()};
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        m.cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    /* "<ns on a CPU> <ns waiting for one> <timeslices>"; 0 where there is no such file */
    FILE *f = fopen("/proc/self/schedstat", "re");
    unsigned long long run, wait;
    if (f && fscanf(f, "%llu %llu", &run, &wait) == 2)
        m.runq = (double)wait / 1e9;
    if (f)
        fclose(f);
    return m;
}

/* The clock stops: R's times since START. */
static void stop(struct result *r, const struct mark *start)
{
    struct mark end = mark_now();
    r->seconds = end.wall - start->wall;
    r->cpu_seconds = end.cpu - start->cpu;
    r->runq_seconds = end.runq - start->runq;
}

/* "1G", "512M", "64k", "4096", "1GiB": binary multiples */
static unsigned long long parse_size(const char *s)
{
    static const char units[] = "kmg";
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        die("bad size \"%s\"", s);
    const char *u = *end ? strchr(units, *end | 0x20) : NULL;
    if (u) {
        v <<= 10 * (u - units + 1);
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B')
            end++;
    }
    if (*end || v == 0)
        die("bad size \"%s\"", s);
    return v;
}

static unsigned long parse_count(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v == 0 || v > 9999999)
        die("bad count \"%s\" (1 to 9999999)", s);
    return v;
}

/* iobench.files/fNNNNNNN into buf */
static void file_path(unsigned long i, char *buf, size_t len)
{
    snprintf(buf, len, FILES_NAME "/f%07lu", i);
}

/* A buffer of non-zero pseudo-random bytes (xorshift): nothing underneath can skip zeros. */
static unsigned char *make_buffer(void)
{
    unsigned char *buf;
    if (posix_memalign((void **)&buf, 4096, MAX_BLOCK))
        die("out of memory");
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < MAX_BLOCK; i += sizeof(x)) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, sizeof(x));
    }
    return buf;
}

/* Touch BYTES of fresh anonymous memory, a byte a page, in transparent huge pages if HUGE, and
 * give it back (see the top of this file). */
static double prefault(unsigned long long bytes, int huge)
{
    const size_t huge_size = 2 * 1024 * 1024;
    double t0 = now();
    size_t len = (size_t)bytes + huge_size;
    unsigned char *map =
            mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        die("mmap %zu bytes: %s", len, strerror(errno));
    unsigned char *p = map;
    if (huge) {
        p = (unsigned char *)(((uintptr_t)map + huge_size - 1) & ~(uintptr_t)(huge_size - 1));
        /* Where THP is "never" this still touches the memory, in small pages. */
        madvise(p, (size_t)bytes, MADV_HUGEPAGE);
    } else {
        /* THP "always" would make huge pages of it otherwise. */
        madvise(p, (size_t)bytes, MADV_NOHUGEPAGE);
    }
    for (unsigned long long off = 0; off < bytes; off += 4096)
        p[off] = 1;
    munmap(map, len);
    return now() - t0;
}

/* Whether a workload's page cache is made of large folios: 1 MiB writes and readahead. */
static int prefault_huge(const struct opts *o)
{
    return strcmp(o->workload, "write-1m") == 0 || strncmp(o->workload, "read-", 5) == 0;
}

/* What a workload's page cache and inodes take, with room to spare. */
static unsigned long long prefault_bytes(const struct opts *o)
{
    if (strncmp(o->workload, "files-", 6) == 0)
        return (unsigned long long)o->files * (o->file_bytes + 8192);
    return o->size + o->size / 8;
}

static size_t block_of(const char *workload)
{
    return strstr(workload, "-1m") ? MAX_BLOCK : 4096;
}

static void write_data(const struct opts *o, struct result *r)
{
    size_t block = block_of(o->workload);
    unsigned char *buf = make_buffer();
    const char *path = DATA_NAME;
    if (unlink(path) < 0 && errno != ENOENT)
        die("remove \"%s\": %s", path, strerror(errno));

    struct mark m0 = mark_now();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("create \"%s\": %s", path, strerror(errno));
    for (unsigned long long done = 0; done < o->size;) {
        size_t n = o->size - done < block ? (size_t)(o->size - done) : block;
        ssize_t w = write(fd, buf, n);
        if (w <= 0)
            die("write \"%s\": %s", path, w < 0 ? strerror(errno) : "short write");
        done += (unsigned long long)w;
    }
    double t1 = now();
    if (fsync(fd) < 0)
        die("fsync \"%s\": %s", path, strerror(errno));
    close(fd);
    stop(r, &m0);
    r->sync_seconds = now() - t1;
    r->amount = (double)o->size;
    free(buf);
}

/* Share of FD's pages (of SIZE bytes) resident in the page cache, in percent. */
static double cached_pct(int fd, unsigned long long size, const char *path)
{
    long page = sysconf(_SC_PAGESIZE);
    if (size == 0)
        return 0.0;
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        die("mmap \"%s\": %s", path, strerror(errno));
    size_t pages = (size + (unsigned long long)page - 1) / (unsigned long long)page;
    unsigned char *vec = malloc(pages);
    if (!vec)
        die("out of memory");
    if (mincore(map, size, vec) < 0)
        die("mincore \"%s\": %s", path, strerror(errno));
    size_t resident = 0;
    for (size_t i = 0; i < pages; i++)
        resident += vec[i] & 1;
    free(vec);
    munmap(map, size);
    return pages ? 100.0 * (double)resident / (double)pages : 0.0;
}

static void read_data(const struct opts *o, struct result *r)
{
    size_t block = block_of(o->workload);
    unsigned char *buf = make_buffer();
    const char *path = DATA_NAME;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open \"%s\" (run a write workload first): %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0)
        die("stat \"%s\": %s", path, strerror(errno));
    /* The pages are clean after the write's fsync, so DONTNEED drops them. */
    int e = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (e)
        die("posix_fadvise \"%s\": %s", path, strerror(e));
    r->cached_pct = cached_pct(fd, (unsigned long long)st.st_size, path);
    close(fd);

    unsigned long long done = 0;
    struct mark m0 = mark_now();
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open \"%s\": %s", path, strerror(errno));
    for (;;) {
        ssize_t n = read(fd, buf, block);
        if (n < 0)
            die("read \"%s\": %s", path, strerror(errno));
        if (n == 0)
            break;
        done += (unsigned long long)n;
    }
    close(fd);
    stop(r, &m0);
    r->amount = (double)done;
    if (done != (unsigned long long)st.st_size)
        die("read %llu bytes of \"%s\", expected %lld", done, path, (long long)st.st_size);
    free(buf);
}

static double sync_dir(const char *dir)
{
    double t0 = now();
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) < 0)
        die("syncfs \"%s\": %s", dir, strerror(errno));
    close(fd);
    return now() - t0;
}

static void files_create(const struct opts *o, struct result *r)
{
    unsigned char *buf = make_buffer();
    const char *dir = FILES_NAME;
    char path[PATH_LEN];
    if (mkdir(dir, 0755) < 0)
        die("mkdir \"%s\" (run clean first?): %s", dir, strerror(errno));

    struct mark m0 = mark_now();
    for (unsigned long i = 0; i < o->files; i++) {
        file_path(i, path, sizeof(path));
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            die("create \"%s\": %s", path, strerror(errno));
        if (o->file_bytes && write(fd, buf, o->file_bytes) != (ssize_t)o->file_bytes)
            die("write \"%s\": %s", path, strerror(errno));
        close(fd);
    }
    r->sync_seconds = sync_dir(dir);
    stop(r, &m0);
    r->amount = (double)o->files;
    free(buf);
}

static void files_stat(const struct opts *o, struct result *r)
{
    char path[PATH_LEN];
    struct stat st;
    struct mark m0 = mark_now();
    for (unsigned long i = 0; i < o->files; i++) {
        file_path(i, path, sizeof(path));
        if (stat(path, &st) < 0)
            die("stat \"%s\": %s", path, strerror(errno));
        if ((unsigned long long)st.st_size != o->file_bytes)
            die("\"%s\" has %lld bytes, expected %lu", path, (long long)st.st_size, o->file_bytes);
    }
    stop(r, &m0);
    r->amount = (double)o->files;
}

static void files_remove(const struct opts *o, struct result *r)
{
    const char *dir = FILES_NAME;
    char path[PATH_LEN];
    struct mark m0 = mark_now();
    for (unsigned long i = 0; i < o->files; i++) {
        file_path(i, path, sizeof(path));
        if (unlink(path) < 0)
            die("remove \"%s\": %s", path, strerror(errno));
    }
    if (rmdir(dir) < 0)
        die("remove \"%s\": %s", dir, strerror(errno));
    r->sync_seconds = sync_dir(".");
    stop(r, &m0);
    r->amount = (double)o->files;
}

static void null_write(struct result *r)
{
    const unsigned long calls = 1000000;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die("open /dev/null: %s", strerror(errno));
    struct mark m0 = mark_now();
    for (unsigned long i = 0; i < calls; i++)
        if (write(fd, "x", 1) != 1)
            die("write /dev/null: %s", strerror(errno));
    stop(r, &m0);
    close(fd);
    r->amount = (double)calls;
}

/* Remove the data file and the small files, whatever a failed or larger run left. */
static void clean(void)
{
    const char *data = DATA_NAME;
    const char *dir = FILES_NAME;
    if (unlink(data) < 0 && errno != ENOENT)
        die("remove \"%s\": %s", data, strerror(errno));
    DIR *d = opendir(dir);
    if (!d && errno != ENOENT)
        die("open \"%s\": %s", dir, strerror(errno));
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            if (unlinkat(dirfd(d), de->d_name, 0) < 0)
                die("remove \"%s/%s\": %s", dir, de->d_name, strerror(errno));
        }
        closedir(d);
        if (rmdir(dir) < 0)
            die("remove \"%s\": %s", dir, strerror(errno));
    }
}

static void print_result(const char *workload, const struct result *r)
{
    int bytes = strncmp(workload, "write-", 6) == 0 || strncmp(workload, "read-", 5) == 0;
    double rate = r->seconds > 0 ? r->amount / r->seconds : 0;
    printf("%s seconds=%.6f rate=%.1f unit=%s cpu=%.6f runq=%.6f prefault=%.3f", workload,
           r->seconds, bytes ? rate / (1024 * 1024) : rate, bytes ? "MiB/s" : "ops/s",
           r->cpu_seconds, r->runq_seconds, r->prefault_seconds);
    if (r->sync_seconds >= 0)
        printf(" sync=%.6f", r->sync_seconds);
    if (r->cached_pct >= 0)
        printf(" cached=%.1f%%", r->cached_pct);
    putchar('\n');
}

static void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: iobench [-s BYTES] [-n FILES] [-f BYTES] [-P] DIR WORKLOAD\n"
            "  -s BYTES  size of the data file (default 1G; k, M, G suffixes)\n"
            "  -n FILES  number of small files (default 50000)\n"
            "  -f BYTES  size of each small file (default 4096)\n"
            "  -P        no prefault (see the top of iobench.c)\n"
            "WORKLOAD: write-4k write-1m read-4k read-1m files-create files-stat\n"
            "          files-remove null-write clean\n");
    exit(status);
}

int main(int argc, char **argv)
{
    struct opts o = {.size = 1ULL << 30, .files = 50000, .file_bytes = 4096, .prefault = 1};
    int c;
    while ((c = getopt(argc, argv, "s:n:f:Ph")) != -1) {
        switch (c) {
        case 's':
            o.size = parse_size(optarg);
            break;
        case 'n':
            o.files = parse_count(optarg);
            break;
        case 'f':
            o.file_bytes = (unsigned long)parse_size(optarg);
            break;
        case 'P':
            o.prefault = 0;
            break;
        case 'h':
            usage(0);
            break;
        default:
            usage(2);
        }
    }
    if (argc - optind != 2)
        usage(2);
    o.dir = argv[optind];
    o.workload = argv[optind + 1];
    if (o.file_bytes > MAX_BLOCK)
        die("-f is at most %d bytes", MAX_BLOCK);
    if (chdir(o.dir) < 0)
        die("change to \"%s\": %s", o.dir, strerror(errno));

    struct result r = {.sync_seconds = -1, .cached_pct = -1};
    const char *w = o.workload;
    if (o.prefault && strcmp(w, "clean") != 0 && strcmp(w, "null-write") != 0)
        r.prefault_seconds = prefault(prefault_bytes(&o), prefault_huge(&o));
    if (!strcmp(w, "write-4k") || !strcmp(w, "write-1m"))
        write_data(&o, &r);
    else if (!strcmp(w, "read-4k") || !strcmp(w, "read-1m"))
        read_data(&o, &r);
    else if (!strcmp(w, "files-create"))
        files_create(&o, &r);
    else if (!strcmp(w, "files-stat"))
        files_stat(&o, &r);
    else if (!strcmp(w, "files-remove"))
        files_remove(&o, &r);
    else if (!strcmp(w, "null-write"))
        null_write(&r);
    else if (!strcmp(w, "clean")) {
        clean();
        return 0;
    } else
        usage(2);
    print_result(w, &r);
    return 0;
}
