/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parts of a spec that come from the host as much as from the HostConfig: --ulimit
 * (HostConfig.Ulimits, the process's rlimits, which cannot go above berthd's own hard limits:
 * raising one needs CAP_SYS_RESOURCE) and --device (HostConfig.Devices, nodes made in the
 * container's /dev with the host device's numbers, allowed in its device cgroup).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "guest/engine/container/oci.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* go-units' ulimit names (what `docker run --ulimit` takes) and their resources */
static const struct {
    const char *name;
    int resource;
} ulimit_names[] = {
        {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
        {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
        {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
        {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK},
};

static int ulimit_resource(const char *name)
{
    for (size_t i = 0; i < sizeof(ulimit_names) / sizeof(ulimit_names[0]); i++)
        if (strcmp(name, ulimit_names[i].name) == 0)
            return ulimit_names[i].resource;
    return -1;
}

int oci_check_ulimits(const json_t *host_config, bt_err **err)
{
    json_t *list = json_object_get(host_config, "Ulimits");
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return bt_err_set(err, BT_E_INVALID, "invalid Ulimits: expected an array");
    size_t i;
    json_t *u;
    json_array_foreach (list, i, u) {
        const char *name = bt_json_get_str(u, "Name", "");
        if (ulimit_resource(name) < 0)
            return bt_err_set(err, BT_E_INVALID, "invalid ulimit type: %s", name);
        int64_t soft = bt_json_get_int(u, "Soft", 0), hard = bt_json_get_int(u, "Hard", 0);
        if (soft > hard)
            return bt_err_set(err, BT_E_INVALID,
                              "ulimit soft limit must be less than or equal to hard limit: "
                              "%" PRId64 " > %" PRId64,
                              soft, hard);
    }
    return 0;
}

int oci_rlimits(const json_t *host_config, const struct rlimit *own, json_t **out, bt_err **err)
{
    if (oci_check_ulimits(host_config, err) < 0)
        return -1;
    json_t *arr = json_array();
    size_t i;
    json_t *u;
    json_array_foreach (bt_json_get_arr(host_config, "Ulimits"), i, u) {
        const char *name = bt_json_get_str(u, "Name", "");
        int res = ulimit_resource(name);
        int64_t soft = bt_json_get_int(u, "Soft", 0), hard = bt_json_get_int(u, "Hard", 0);
        /* -1 is unlimited, as go-units parses it */
        uint64_t h = hard < 0 ? (uint64_t)RLIM_INFINITY : (uint64_t)hard;
        if (own && own[res].rlim_max != RLIM_INFINITY && h > own[res].rlim_max) {
            json_decref(arr);
            /* runc's words, which dockerd passes on: the kernel refused the raise */
            return bt_err_set(err, EPERM,
                              "error during container init: error setting rlimits for ready "
                              "process: error setting rlimit type %d: operation not permitted",
                              res);
        }
        char type[32] = "RLIMIT_";
        for (size_t k = 0; name[k] && k + 8 < sizeof(type); k++)
            type[7 + k] = (char)toupper((unsigned char)name[k]);
        json_array_append_new(arr, json_pack("{s:s, s:I, s:I}", "type", type, "hard", (json_int_t)h,
                                             "soft", (json_int_t)(soft < 0 ? h : (uint64_t)soft)));
    }
    *out = arr;
    return 0;
}

/* "rwm" and its subsets, in any order, each letter once */
static bool valid_permissions(const char *p)
{
    if (!*p || strlen(p) > 3)
        return false;
    for (size_t i = 0; p[i]; i++)
        if (!strchr("rwm", p[i]) || strchr(p + i + 1, p[i]))
            return false;
    return true;
}

int oci_check_devices(const json_t *host_config, bt_err **err)
{
    json_t *list = json_object_get(host_config, "Devices");
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return bt_err_set(err, BT_E_INVALID, "invalid Devices: expected an array");
    size_t i;
    json_t *d;
    json_array_foreach (list, i, d) {
        const char *host = bt_json_get_str(d, "PathOnHost", "");
        const char *ctr = bt_json_get_str(d, "PathInContainer", "");
        const char *perm = bt_json_get_str(d, "CgroupPermissions", "rwm");
        if (!*host)
            return bt_err_set(err, BT_E_INVALID, "invalid device: PathOnHost is empty");
        if (*ctr && ctr[0] != '/')
            return bt_err_set(err, BT_E_INVALID, "%s is not an absolute path", ctr);
        if (*perm && !valid_permissions(perm))
            return bt_err_set(err, BT_E_INVALID, "invalid device mode: %s", perm);
    }
    return 0;
}

int oci_devices(const json_t *host_config, json_t *devices, json_t *rules, bt_err **err)
{
    if (oci_check_devices(host_config, err) < 0)
        return -1;
    size_t i;
    json_t *d;
    json_array_foreach (bt_json_get_arr(host_config, "Devices"), i, d) {
        const char *host = bt_json_get_str(d, "PathOnHost", "");
        const char *ctr = bt_json_get_str(d, "PathInContainer", "");
        const char *perm = bt_json_get_str(d, "CgroupPermissions", "");
        struct stat st;
        char buf[128];
        if (stat(host, &st) < 0)
            return bt_err_set(err, BT_E_INVALID,
                              "error gathering device information while adding custom device "
                              "\"%s\": %s",
                              host, bt_go_strerror(errno, buf, sizeof(buf)));
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
            return bt_err_set(err, BT_E_INVALID,
                              "error gathering device information while adding custom device "
                              "\"%s\": not a device node",
                              host);
        const char *type = S_ISBLK(st.st_mode) ? "b" : "c";
        json_int_t major = (json_int_t)major(st.st_rdev), minor = (json_int_t)minor(st.st_rdev);
        json_array_append_new(devices,
                              json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path",
                                        *ctr ? ctr : host, "type", type, "major", major, "minor",
                                        minor, "fileMode", (int)(st.st_mode & 07777), "uid",
                                        (int)st.st_uid, "gid", (int)st.st_gid));
        json_array_append_new(rules, json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type",
                                               type, "major", major, "minor", minor, "access",
                                               *perm ? perm : "rwm"));
    }
    return 0;
}
