/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compiled seccomp filters kept on disk, so that the next container with the same profile
 * (nearly all of them: Docker's default for the default capabilities) loads a ready BPF
 * program instead of spending ~10 ms in libseccomp.
 *
 * An entry is named by a 64-bit FNV-1a hash of its key (the profile in a canonical text form,
 * with libseccomp's version and API level), and holds the whole key before the program: a hit
 * needs the key to match byte for byte, so a colliding profile, crafted or not, only misses.
 * Whoever can write to the directory decides every container's filter: it must belong to us
 * and be writable by no one else, which rt_seccomp_cache_init() checks. Entries are written
 * atomically (temp file and rename), so concurrent monitors never read half an entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

#define MAGIC     "berth-seccomp-cache 1\n"
#define MAX_ENTRY (1 << 20)

static char *cache_dir;

int rt_seccomp_cache_init(const char *dir, bt_err **err)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return bt_err_errno(err, errno, "seccomp cache: mkdir \"%s\"", dir);
    struct stat st;
    if (lstat(dir, &st) < 0)
        return bt_err_errno(err, errno, "seccomp cache: stat \"%s\"", dir);
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
        return bt_err_set(err, BT_E_FORBIDDEN,
                          "seccomp cache: \"%s\" must be a directory only its owner can write",
                          dir);
    free(cache_dir);
    cache_dir = bt_xstrdup(dir);
    return 0;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static char *entry_path(const char *key)
{
    return bt_xasprintf("%s/%016" PRIx64 ".bpf", cache_dir, fnv1a(key));
}

static int memfd_with(const void *data, size_t len)
{
    bt_autoclose int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
    if (fd < 0 || bt_fd_write_all(fd, data, len, NULL) < 0)
        return -1;
    return bt_steal_fd(&fd);
}

int rt_seccomp_cache_get(const char *key)
{
    if (!cache_dir)
        return -1;
    bt_autofree char *path = entry_path(key);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, MAX_ENTRY, NULL) < 0)
        return -1;
    size_t head = strlen(MAGIC) + strlen(key) + 1;
    if (sb.len <= head || memcmp(sb.buf, MAGIC, strlen(MAGIC)) != 0 ||
        memcmp(sb.buf + strlen(MAGIC), key, strlen(key) + 1) != 0 || (sb.len - head) % 8 != 0)
        return -1;
    return memfd_with(sb.buf + head, sb.len - head);
}

void rt_seccomp_cache_put(const char *key, int bpf)
{
    if (!cache_dir)
        return;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, MAGIC);
    bt_strbuf_append_n(&sb, key, strlen(key) + 1);
    struct stat st;
    if (fstat(bpf, &st) < 0 || st.st_size <= 0 || st.st_size > MAX_ENTRY)
        return;
    char *p = bt_strbuf_reserve(&sb, (size_t)st.st_size);
    if (pread(bpf, p, (size_t)st.st_size, 0) != st.st_size)
        return;
    bt_strbuf_commit(&sb, (size_t)st.st_size);
    bt_autofree char *path = entry_path(key);
    /* A cache that cannot be written is only slower. */
    bt_file_write_atomic(path, sb.buf, sb.len, 0600, NULL);
}
