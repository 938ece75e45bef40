/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netbench: TCP throughput and connection rate; the server and the client in one program.
 *
 *   netbench serve [-a ADDR] [-p PORT] [-t THREADS]
 *   netbench stream [-s BYTES] [-P CONNS] ADDR PORT
 *   netbench crr [-n CONNS] [-c WORKERS] ADDR PORT
 *
 * bench/ports/run builds this file static and bind-mounts it read-only into a busybox container
 * of each engine, where `netbench serve` listens on the port the engine publishes; the clients
 * run outside the container, in the benchmark's network namespace, against the published port
 * (through 127.0.0.1 and through another address of the namespace) and against the container's
 * own address: the same binary at both ends, whatever the path in between.
 *
 * The first byte a client sends says what the connection is:
 *
 *   'S' (stream)  the client sends its bytes and shuts its side down; the server reads
 *                 everything, answers with the number of bytes it got ("%llu\n") and closes.
 *                 The client checks that number, so every byte sent is counted only once it
 *                 has reached the server.
 *   'C' (crr)     connect, request, response: the client sends MSG_LEN bytes, the server
 *                 answers with MSG_LEN bytes and closes, the client reads to the end and
 *                 closes. One connection per exchange, as an HTTP/1.0 client and server do; the
 *                 server closes first, so TIME_WAIT stays on its side and the client's ports
 *                 come back at once.
 *
 * Clients print one line:
 *
 *   stream seconds=S rate=R unit=Gbit/s bytes=B conns=P cpu=S runq=S
 *   crr seconds=S rate=R unit=conn/s conns=N workers=C cpu=S runq=S p50=US p99=US errors=E
 *
 * seconds: from the moment every worker is ready (for stream: connected) to the last one's
 * end; cpu: the client's user + system time meanwhile (every thread); runq: the time the
 * client's threads waited for a CPU (/proc/thread-self/schedstat), which is the machine's other
 * load; p50/p99: a crr exchange's latency in microseconds, socket() to close(). A crr run with
 * failed exchanges (errors=) prints the first error on stderr and exits 1; any other failure
 * exits 1 with a message. The server runs until it is killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN     64           /* a crr request, and its response */
#define IO_BUF      (256 * 1024) /* the server's reads */
#define CHUNK       (128 * 1024) /* the stream client's writes, iperf3's default for TCP */
#define MAX_WORKERS 256
#define TIMEOUT_S   30 /* a socket that moves nothing for this long fails the run */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("netbench: ", stderr);
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

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The calling thread's time spent runnable, waiting for a CPU; 0 where the kernel has no
 * schedstat. "<ns on a CPU> <ns waiting for one> <timeslices>" */
static double thread_runq(void)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "re");
    unsigned long long run, wait;
    double v = 0;
    if (f && fscanf(f, "%llu %llu", &run, &wait) == 2)
        v = (double)wait / 1e9;
    if (f)
        fclose(f);
    return v;
}

/* "1G", "512M", "64k", "4096": binary multiples */
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

static unsigned long parse_count(const char *s, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v == 0 || v > max)
        die("bad number \"%s\" (1 to %lu)", s, max);
    return v;
}

static struct sockaddr_in parse_addr(const char *host, const char *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        die("bad IPv4 address \"%s\"", host);
    sa.sin_port = htons((uint16_t)parse_count(port, 65535));
    return sa;
}

static void set_timeouts(int fd)
{
    struct timeval tv = {.tv_sec = TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- the server ------------------------------------------------------------------------- */

enum conn_mode {
    CONN_NEW,
    CONN_STREAM,
    CONN_CRR,
};

struct conn {
    int fd;
    enum conn_mode mode;
    unsigned long long bytes;
};

static void conn_close(struct conn *c)
{
    close(c->fd); /* which takes it out of the epoll set too */
    free(c);
}

/* Accept what is waiting (a bounded batch, so that the other threads get their share). */
static void accept_batch(int ep, int lfd)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fprintf(stderr, "netbench: accept: %s\n", strerror(errno));
            return;
        }
        struct conn *c = calloc(1, sizeof(*c));
        if (!c)
            die("out of memory");
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("epoll_ctl: %s", strerror(errno));
    }
}

/* Answer, then close: the crr response, or the stream's byte count. */
static void conn_answer(struct conn *c)
{
    char msg[MSG_LEN];
    size_t len = MSG_LEN;
    if (c->mode == CONN_STREAM)
        len = (size_t)snprintf(msg, sizeof(msg), "%llu\n", c->bytes);
    else
        memset(msg, 'R', sizeof(msg));
    /* A fresh socket's send buffer takes this in one go. */
    if (send(c->fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
        fprintf(stderr, "netbench: answer: %s\n", strerror(errno));
    conn_close(c);
}

/* Read what a connection has (a bounded number of reads: level-triggered epoll comes back for
 * the rest, and a fast stream does not starve the other connections of this thread). */
static void conn_ready(struct conn *c, unsigned char *buf)
{
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(c->fd, buf, IO_BUF);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_close(c); /* reset by the client: nothing to answer */
            return;
        }
        if (n == 0) {
            if (c->mode == CONN_STREAM)
                conn_answer(c);
            else
                conn_close(c);
            return;
        }
        if (c->mode == CONN_NEW) {
            c->mode = buf[0] == 'S' ? CONN_STREAM : buf[0] == 'C' ? CONN_CRR : CONN_NEW;
            if (c->mode == CONN_NEW) {
                conn_close(c);
                return;
            }
        }
        c->bytes += (unsigned long long)n;
        if (c->mode == CONN_CRR && c->bytes >= MSG_LEN) {
            conn_answer(c);
            return;
        }
    }
}

static void *serve_thread(void *arg)
{
    int lfd = *(int *)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1: %s", strerror(errno));
    /* EPOLLEXCLUSIVE: one thread wakes for a new connection, not all of them. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
    unsigned char *buf = malloc(IO_BUF);
    if (!buf)
        die("out of memory");
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr)
                conn_ready(evs[i].data.ptr, buf);
            else
                accept_batch(ep, lfd);
        }
    }
    return NULL;
}

static int serve(const char *host, const char *port, unsigned long threads)
{
    struct sockaddr_in sa = parse_addr(host, port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        die("socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        die("bind %s:%s: %s", host, port, strerror(errno));
    if (listen(fd, 4096) < 0)
        die("listen: %s", strerror(errno));
    fprintf(stderr, "netbench: serving on %s:%s, %lu threads\n", host, port, threads);
    pthread_t tid;
    for (unsigned long i = 1; i < threads; i++) {
        if (pthread_create(&tid, NULL, serve_thread, &fd) != 0)
            die("pthread_create failed");
    }
    serve_thread(&fd);
    return 0;
}

/* ---- the clients ------------------------------------------------------------------------ */

struct worker {
    pthread_t tid;
    const struct sockaddr_in *addr;
    pthread_barrier_t *go;
    unsigned long long bytes; /* stream: to send */
    unsigned long n;          /* crr: exchanges to make */
    float *lat_us;            /* crr: each successful exchange's latency */
    unsigned long done;       /* crr: how many succeeded */
    unsigned long errors;
    char error[160]; /* the first failure */
    double runq;
};

static int connect_to(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    set_timeouts(fd); /* SO_SNDTIMEO bounds connect() too */
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static const char *addr_str(const struct sockaddr_in *sa, char *buf, size_t len)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
    snprintf(buf, len, "%s:%u", ip, ntohs(sa->sin_port));
    return buf;
}

/* What the stream clients send, over and over: not zeros, so that nothing on the way can make
 * light of them; the first byte says 'stream'. */
static unsigned char stream_buf[CHUNK];

static void *stream_thread(void *arg)
{
    struct worker *w = arg;
    const unsigned char *buf = stream_buf;
    char where[32];
    int fd = connect_to(w->addr);
    if (fd < 0)
        die("connect %s: %s", addr_str(w->addr, where, sizeof(where)), strerror(errno));
    pthread_barrier_wait(w->go);
    double q0 = thread_runq();
    unsigned long long left = w->bytes;
    while (left) {
        size_t len = left < CHUNK ? (size_t)left : CHUNK;
        ssize_t k = send(fd, buf, len, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            die("send to %s: %s", addr_str(w->addr, where, sizeof(where)), strerror(errno));
        }
        left -= (unsigned long long)k;
    }
    if (shutdown(fd, SHUT_WR) < 0)
        die("shutdown: %s", strerror(errno));
    char reply[32];
    size_t got = 0;
    for (;;) {
        ssize_t k = read(fd, reply + got, sizeof(reply) - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die("read from %s: %s", addr_str(w->addr, where, sizeof(where)), strerror(errno));
        if (k == 0 || (got += (size_t)k) == sizeof(reply) - 1)
            break;
    }
    reply[got] = '\0';
    if (strtoull(reply, NULL, 10) != w->bytes)
        die("%s: the server got \"%.*s\" bytes of %llu", addr_str(w->addr, where, sizeof(where)),
            (int)strcspn(reply, "\n"), reply, w->bytes);
    w->runq = thread_runq() - q0;
    close(fd);
    return NULL;
}

/* One exchange: connect, request, the response to its end, close. 0, or -1 with w->error set
 * (the first time). */
static int crr_once(struct worker *w, const char *req)
{
    char where[32], resp[MSG_LEN + 1];
    const char *what = "connect";
    int fd = connect_to(w->addr);
    size_t got = 0;
    if (fd < 0)
        goto fail;
    what = "send";
    if (send(fd, req, MSG_LEN, MSG_NOSIGNAL) != MSG_LEN)
        goto fail;
    what = "read";
    for (;;) {
        ssize_t k = read(fd, resp + got, sizeof(resp) - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            goto fail;
        if (k == 0)
            break;
        got += (size_t)k;
        if (got == sizeof(resp)) {
            errno = EPROTO; /* more than a response */
            goto fail;
        }
    }
    if (got != MSG_LEN) {
        errno = EPROTO;
        goto fail;
    }
    close(fd);
    return 0;
fail:
    if (w->errors++ == 0)
        snprintf(w->error, sizeof(w->error), "%s %s: %s (after %zu bytes)", what,
                 addr_str(w->addr, where, sizeof(where)), strerror(errno), got);
    if (fd >= 0)
        close(fd);
    return -1;
}

static void *crr_thread(void *arg)
{
    struct worker *w = arg;
    char req[MSG_LEN];
    memset(req, 'q', sizeof(req));
    req[0] = 'C';
    pthread_barrier_wait(w->go);
    double q0 = thread_runq();
    for (unsigned long i = 0; i < w->n; i++) {
        double t0 = now();
        if (crr_once(w, req) == 0)
            w->lat_us[w->done++] = (float)((now() - t0) * 1e6);
    }
    w->runq = thread_runq() - q0;
    return NULL;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

struct run {
    struct worker w[MAX_WORKERS];
    unsigned long nw;
    pthread_barrier_t go;
    double seconds, cpu, runq;
};

/* Start the workers, take the time from the moment they are all ready to the last one's end. */
static void run_workers(struct run *r, void *(*fn)(void *))
{
    if (pthread_barrier_init(&r->go, NULL, (unsigned)r->nw + 1) != 0)
        die("pthread_barrier_init failed");
    for (unsigned long i = 0; i < r->nw; i++) {
        r->w[i].go = &r->go;
        if (pthread_create(&r->w[i].tid, NULL, fn, &r->w[i]) != 0)
            die("pthread_create failed");
    }
    pthread_barrier_wait(&r->go);
    double t0 = now(), c0 = cpu_seconds();
    for (unsigned long i = 0; i < r->nw; i++) {
        pthread_join(r->w[i].tid, NULL);
        r->runq += r->w[i].runq;
    }
    r->seconds = now() - t0;
    r->cpu = cpu_seconds() - c0;
}

static int stream(const struct sockaddr_in *sa, unsigned long long bytes, unsigned long conns)
{
    static struct run r;
    for (size_t i = 0; i < sizeof(stream_buf); i++)
        stream_buf[i] = (unsigned char)(i * 131 + 7);
    stream_buf[0] = 'S';
    r.nw = conns;
    for (unsigned long i = 0; i < conns; i++) {
        r.w[i].addr = sa;
        r.w[i].bytes = bytes / conns + (i < bytes % conns);
    }
    run_workers(&r, stream_thread);
    printf("stream seconds=%.4f rate=%.3f unit=Gbit/s bytes=%llu conns=%lu cpu=%.3f runq=%.3f\n",
           r.seconds, (double)bytes * 8 / r.seconds / 1e9, bytes, conns, r.cpu, r.runq);
    return 0;
}

static int crr(const struct sockaddr_in *sa, unsigned long n, unsigned long workers)
{
    static struct run r;
    float *lat = calloc(n, sizeof(*lat));
    if (!lat)
        die("out of memory");
    r.nw = workers;
    float *next = lat;
    for (unsigned long i = 0; i < workers; i++) {
        r.w[i].addr = sa;
        r.w[i].n = n / workers + (i < n % workers);
        r.w[i].lat_us = next;
        next += r.w[i].n;
    }
    run_workers(&r, crr_thread);
    /* Gather the latencies of the exchanges that succeeded at the front. */
    unsigned long done = 0, errors = 0;
    const char *error = NULL;
    for (unsigned long i = 0; i < workers; i++) {
        memmove(lat + done, r.w[i].lat_us, r.w[i].done * sizeof(*lat));
        done += r.w[i].done;
        errors += r.w[i].errors;
        if (!error && r.w[i].errors)
            error = r.w[i].error;
    }
    qsort(lat, done, sizeof(*lat), cmp_float);
    double p50 = done ? lat[done / 2] : 0, p99 = done ? lat[done * 99 / 100] : 0;
    printf("crr seconds=%.4f rate=%.1f unit=conn/s conns=%lu workers=%lu cpu=%.3f runq=%.3f "
           "p50=%.1f p99=%.1f errors=%lu\n",
           r.seconds, (double)done / r.seconds, done, workers, r.cpu, r.runq, p50, p99, errors);
    free(lat);
    if (errors) {
        fprintf(stderr, "netbench: %lu of %lu exchanges failed; the first: %s\n", errors, n, error);
        return 1;
    }
    return 0;
}

static void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: netbench serve [-a ADDR] [-p PORT] [-t THREADS]\n"
            "       netbench stream [-s BYTES] [-P CONNS] ADDR PORT\n"
            "       netbench crr [-n CONNS] [-c WORKERS] ADDR PORT\n"
            "  -a  the server's address (default 0.0.0.0)\n"
            "  -p  the server's port (default 5001)\n"
            "  -t  server threads (default: one per CPU)\n"
            "  -s  bytes to send, over all connections (default 2G; k, M, G suffixes)\n"
            "  -P  parallel stream connections (default 1)\n"
            "  -n  connect-request-response exchanges (default 20000)\n"
            "  -c  concurrent crr workers, one connection at a time each (default 4)\n");
    exit(status);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage(2);
    const char *mode = argv[1], *host = "0.0.0.0", *port = "5001";
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long threads = cpus > 0 ? (unsigned long)cpus : 1;
    unsigned long long bytes = 2ULL << 30;
    unsigned long conns = 1, n = 20000, workers = 4;
    int c;
    signal(SIGPIPE, SIG_IGN);
    optind = 2;
    while ((c = getopt(argc, argv, "a:p:t:s:P:n:c:h")) != -1) {
        switch (c) {
        case 'a':
            host = optarg;
            break;
        case 'p':
            port = optarg;
            break;
        case 't':
            threads = parse_count(optarg, MAX_WORKERS);
            break;
        case 's':
            bytes = parse_size(optarg);
            break;
        case 'P':
            conns = parse_count(optarg, MAX_WORKERS);
            break;
        case 'n':
            n = parse_count(optarg, 100000000);
            break;
        case 'c':
            workers = parse_count(optarg, MAX_WORKERS);
            break;
        case 'h':
            usage(0);
            break;
        default:
            usage(2);
        }
    }
    if (!strcmp(mode, "serve")) {
        if (optind != argc)
            usage(2);
        return serve(host, port, threads);
    }
    if (argc - optind != 2)
        usage(2);
    struct sockaddr_in sa = parse_addr(argv[optind], argv[optind + 1]);
    if (!strcmp(mode, "stream"))
        return stream(&sa, bytes, conns < bytes ? conns : 1);
    if (!strcmp(mode, "crr"))
        return crr(&sa, n, workers < n ? workers : n);
    usage(2);
    return 2;
}
