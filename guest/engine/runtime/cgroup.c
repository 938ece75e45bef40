/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the two cgroup drivers share: detection, file writes, directory trees that can be
 * undone, the default device rules, the v1 -> v2 conversions, and the public entry points.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/runtime/cgroup.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"

enum rt_cgroup_version rt_cgroup_version(void)
{
    static enum rt_cgroup_version version;
    if (!version) {
        struct statfs st;
        bool unified = statfs(RT_CGROUP_ROOT, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
        version = unified ? RT_CGROUP_V2 : RT_CGROUP_V1;
    }
    return version;
}

const struct rt_cgroup_driver *rt_cgroup_driver(void)
{
    return rt_cgroup_version() == RT_CGROUP_V2 ? &rt_cgroup_v2 : &rt_cgroup_v1;
}

int rt_cgroup_write(const char *dir, const char *file, const char *value, bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, file);
    bt_autoclose int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", path);
    size_t len = strlen(value);
    ssize_t n;
    do {
        n = write(fd, value, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return bt_err_errno(err, errno, "write \"%s\" to \"%s\"", value, path);
    if ((size_t)n != len)
        return bt_err_set(err, EIO, "write \"%s\" to \"%s\": short write", value, path);
    return 0;
}

int rt_cgroup_read(const char *dir, const char *file, char *buf, size_t size)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, file);
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n;
    do {
        n = read(fd, buf, size - 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

void rt_cgroup_join_close(struct rt_cgroup_join *j)
{
    for (size_t i = 0; i < j->n; i++)
        close(j->fds[i]);
    j->n = 0;
    if (j->dir_fd >= 0)
        close(j->dir_fd);
    j->dir_fd = -1;
}

int rt_cgroup_join_self(const struct rt_cgroup_join *j, bt_err **err)
{
    for (size_t i = 0; i < j->n; i++) {
        ssize_t n;
        do {
            n = write(j->fds[i], "0", 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1)
            return bt_err_errno(err, n < 0 ? errno : EIO, "join the container's cgroup");
    }
    return 0;
}

int rt_cgroup_rmdir(const char *dir, bt_err **err)
{
    /* Up to ~2 s: time enough for the kernel to finish off a pid namespace's last tasks. */
    for (int i = 0; i < 400; i++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            break;
        struct timespec ts = {0, (i < 20 ? 1 : 5) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return bt_err_errno(err, errno, "remove cgroup \"%s\"", dir);
}

int rt_cgroup_mkdir(const char *root, const char *path, char ***created, bt_err **err)
{
    bt_autofree char *copy = bt_xstrdup(path);
    bt_autofree char *cur = bt_xstrdup(root);
    char *save = NULL;
    for (char *e = strtok_r(copy, "/", &save); e; e = strtok_r(NULL, "/", &save)) {
        char *next = bt_xasprintf("%s/%s", cur, e);
        free(cur);
        cur = next;
        if (mkdir(cur, 0755) == 0) {
            bt_strv_push(created, cur);
            continue;
        }
        if (errno != EEXIST) {
            int saved = errno;
            rt_cgroup_undo_mkdir(*created);
            bt_strv_free(*created);
            *created = NULL;
            return bt_err_errno(err, saved, "create cgroup \"%s\"", cur);
        }
    }
    return 0;
}

void rt_cgroup_undo_mkdir(char **created)
{
    for (size_t n = bt_strv_len(created); n > 0; n--)
        rt_cgroup_rmdir(created[n - 1], NULL);
}

char *rt_cgroup_self(const char *controllers, bt_err **err)
{
    bt_autofile FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) {
        bt_err_errno(err, errno, "open \"/proc/self/cgroup\"");
        return NULL;
    }
    bt_autofree char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    /* "hierarchy-id:controllers:path" */
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        char *c = strchr(line, ':');
        char *p = c ? strchr(c + 1, ':') : NULL;
        if (!p)
            continue;
        *p = '\0';
        if (strcmp(c + 1, controllers) == 0)
            return bt_xstrdup(p + 1);
    }
    bt_err_set(err, BT_E_NOT_FOUND, "cgroup: \"%s\" is not in /proc/self/cgroup", controllers);
    return NULL;
}

/* runc's AllowedDevices (libcontainer/specconv): what a container may always create and use.
 * They come after the spec's rules, so a spec cannot take the standard nodes away. */
static const struct rt_dev_rule default_rules[] = {
        {true, 'c', -1, -1, RT_DEV_MKNOD}, {true, 'b', -1, -1, RT_DEV_MKNOD},
        {true, 'c', 1, 3, RT_DEV_RWM},    /* /dev/null */
        {true, 'c', 1, 5, RT_DEV_RWM},    /* /dev/zero */
        {true, 'c', 1, 7, RT_DEV_RWM},    /* /dev/full */
        {true, 'c', 1, 8, RT_DEV_RWM},    /* /dev/random */
        {true, 'c', 1, 9, RT_DEV_RWM},    /* /dev/urandom */
        {true, 'c', 5, 0, RT_DEV_RWM},    /* /dev/tty */
        {true, 'c', 5, 1, RT_DEV_RWM},    /* /dev/console */
        {true, 'c', 5, 2, RT_DEV_RWM},    /* /dev/ptmx */
        {true, 'c', 136, -1, RT_DEV_RWM}, /* /dev/pts/N */
};

#define N_DEFAULT_RULES (sizeof(default_rules) / sizeof(default_rules[0]))

struct rt_dev_rule *rt_cgroup_device_rules(const struct rt_resources *res, size_t *n)
{
    *n = 0;
    if (!res->has_devices)
        return NULL;
    struct rt_dev_rule *rules =
            bt_xreallocarray(NULL, res->ndevices + N_DEFAULT_RULES, sizeof(*rules));
    if (res->ndevices)
        memcpy(rules, res->devices, res->ndevices * sizeof(*rules));
    memcpy(rules + res->ndevices, default_rules, sizeof(default_rules));
    *n = res->ndevices + N_DEFAULT_RULES;
    return rules;
}

uint64_t rt_cpu_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    double l = log2((double)shares);
    double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
    return (uint64_t)ceil(pow(10, exponent));
}

int rt_memory_swap_to_v2(int64_t swap, bool has_limit, int64_t limit, int64_t *out, bt_err **err)
{
    if (swap == -1 || (has_limit && limit == -1)) {
        *out = swap; /* unlimited swap, or unlimited memory: swap as given */
        return 0;
    }
    if (!has_limit || limit == 0)
        return bt_err_set(err, BT_E_INVALID, "cgroup: a swap limit needs a memory limit");
    if (swap < limit)
        return bt_err_set(err, BT_E_INVALID,
                          "cgroup: memory+swap limit %lld is below the memory limit %lld",
                          (long long)swap, (long long)limit);
    *out = swap - limit;
    return 0;
}

const char *rt_spec_cgroups_path(const struct rt_spec *spec)
{
    return spec->cgroups_path;
}

int rt_cgroup_freeze(const char *cgroups_path, bool frozen, bt_err **err)
{
    if (!cgroups_path)
        return bt_err_set(err, BT_E_INVALID, "cgroup: the spec has no linux.cgroupsPath");
    return rt_cgroup_driver()->freeze(cgroups_path, frozen, err);
}

int rt_cgroup_update(const char *cgroups_path, const json_t *resources, bt_err **err)
{
    if (!cgroups_path)
        return bt_err_set(err, BT_E_INVALID, "cgroup: the spec has no linux.cgroupsPath");
    struct rt_resources r = {0};
    int rc = rt_resources_from_json(resources, &r, err);
    if (rc == 0)
        rc = rt_cgroup_driver()->update(cgroups_path, &r, err);
    free(r.cpus);
    free(r.mems);
    free(r.devices);
    return rc;
}

int rt_cgroup_remove(const char *cgroups_path, bt_err **err)
{
    if (!cgroups_path)
        return 0;
    return rt_cgroup_driver()->remove(cgroups_path, err);
}

char *rt_cgroup_dir(const char *cgroups_path, const char *controller, bt_err **err)
{
    if (!cgroups_path) {
        bt_err_set(err, BT_E_NOT_FOUND, "cgroup: the spec has no linux.cgroupsPath");
        return NULL;
    }
    return rt_cgroup_driver()->dir(cgroups_path, controller, err);
}
