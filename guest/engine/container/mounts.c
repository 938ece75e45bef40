/* SPDX-License-Identifier: Apache-2.0 */
/* HostConfig's Binds and Mounts, read and checked as dockerd does (mounts.h). */
#include "guest/engine/container/mounts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

void ctr_mount_clear(struct ctr_mount *m)
{
    free(m->type);
    free(m->source);
    free(m->destination);
    free(m->mode);
    free(m->propagation);
    free(m->options);
    free(m->name);
    free(m->driver);
    json_decref(m->labels);
    json_decref(m->driver_opts);
    memset(m, 0, sizeof(*m));
}

void ctr_mounts_free(struct ctr_mount *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ctr_mount_clear(&list[i]);
    free(list);
}

static bool one_of(const char *s, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

static const char *const propagations[] = {"shared",  "rshared",  "slave", "rslave",
                                           "private", "rprivate", NULL};

/* A Binds mode: "ro", "rw", SELinux labels, propagation, "nocopy", and the flags dockerd
 * accepts and ignores on Linux. Sets *rw, *propagation and *nocopy. */
static int parse_mode(const char *mode, bool *rw, const char **propagation, bool *nocopy,
                      bt_err **err)
{
    static const char *const ignored[] = {"z", "Z", "consistent", "cached", "delegated", NULL};
    bt_autofree char *copy = bt_xstrdup(mode);
    int rw_seen = 0;
    char *save = NULL;
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0) {
            *rw = strcmp(o, "rw") == 0;
            rw_seen++;
        } else if (one_of(o, propagations)) {
            *propagation = strstr(mode, o); /* points into the caller's string */
        } else if (strcmp(o, "nocopy") == 0) {
            *nocopy = true;
        } else if (!one_of(o, ignored)) {
            return bt_err_set(err, BT_E_INVALID, "invalid mode: %s", mode);
        }
    }
    if (rw_seen > 1 || !*mode)
        return bt_err_set(err, BT_E_INVALID, "invalid mode: %s", mode);
    return 0;
}

static int check_target(const char *what, const char *type, const char *dst, bt_err **err)
{
    if (dst[0] != '/')
        return bt_err_set(err, BT_E_INVALID,
                          "%sinvalid mount config for type \"%s\": invalid mount path: '%s' mount "
                          "path must be absolute",
                          what, type, dst);
    bt_autofree char *clean = bt_path_clean(dst);
    if (strcmp(clean, "/") == 0)
        return bt_err_set(err, BT_E_INVALID,
                          "%sinvalid mount config for type \"%s\": invalid specification: "
                          "destination can't be '/'",
                          what, type);
    return 0;
}

static bool has_opt(const char *opts, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = opts; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, opt, n) == 0)
            return true;
        p += len;
        if (*p)
            p++;
    }
    return false;
}

/* --tmpfs options: "rw", "ro", "size=64m", "mode=1777", "exec"... as mount(8) takes them */
static int tmpfs_option_check(const char *opts, bt_err **err)
{
    static const char *const known[] = {
            "rw",    "ro",      "exec",     "noexec",      "suid",       "nosuid", "dev",   "nodev",
            "atime", "noatime", "relatime", "strictatime", "nodiratime", "sync",   "async", NULL};
    bt_autofree char *copy = bt_xstrdup(opts);
    char *save = NULL;
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
        if (!one_of(o, known) && strncmp(o, "size=", 5) != 0 && strncmp(o, "mode=", 5) != 0 &&
            strncmp(o, "uid=", 4) != 0 && strncmp(o, "gid=", 4) != 0 &&
            strncmp(o, "nr_inodes=", 10) != 0)
            return bt_err_set(err, BT_E_INVALID, "invalid tmpfs option [\"%s\"]", o);
    return 0;
}

/* dockerd's defaults for --tmpfs (noexec, nosuid, nodev) unless the options say otherwise */
static char *tmpfs_options(const char *opts)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    static const char *const pairs[][2] = {
            {"exec", "noexec"}, {"suid", "nosuid"}, {"dev", "nodev"}};
    for (size_t i = 0; i < 3; i++)
        if (!has_opt(opts, pairs[i][0]) && !has_opt(opts, pairs[i][1]))
            bt_strbuf_appendf(&sb, "%s%s", sb.len ? "," : "", pairs[i][1]);
    if (*opts)
        bt_strbuf_appendf(&sb, "%s%s", sb.len ? "," : "", opts);
    return bt_strbuf_steal(&sb);
}

static void add(struct ctr_mount **list, size_t *n, const char *type, const char *src,
                const char *dst, const char *mode, bool rw, const char *propagation,
                const char *options)
{
    *list = bt_xreallocarray(*list, *n + 1, sizeof(**list));
    (*list)[(*n)++] = (struct ctr_mount){
            .type = bt_xstrdup(type),
            .source = bt_path_clean(src),
            .destination = bt_path_clean(dst),
            .mode = bt_xstrdup(mode),
            .rw = rw,
            .propagation = bt_xstrdup(propagation),
            .options = bt_xstrdup(options),
            .name = bt_xstrdup(""),
            .driver = bt_xstrdup(""),
    };
    if (!*src) {
        free((*list)[*n - 1].source);
        (*list)[*n - 1].source = bt_xstrdup("");
    }
}

static char *bind_options(bool rw, const char *propagation)
{
    return bt_xasprintf("rbind,%s%s", propagation, rw ? "" : ",ro");
}

/* A volume mount: name ("" for an anonymous one), default mode "z" as dockerd gives volumes
 * of the local driver. */
static void add_volume(struct ctr_mount **list, size_t *n, const char *name, const char *dst,
                       const char *mode, bool rw, bool copy)
{
    bt_autofree char *options = bind_options(rw, "rprivate");
    add(list, n, "volume", "", dst, *mode ? mode : "z", rw, "", options);
    struct ctr_mount *m = &(*list)[*n - 1];
    free(m->name);
    free(m->driver);
    m->name = bt_xstrdup(name);
    m->driver = bt_xstrdup("local");
    m->copy = copy;
    m->anonymous = !*name;
}

/* One of Binds: "DST" (an anonymous volume), "SRC:DST" or "SRC:DST:MODE", where SRC is an
 * absolute host path (a bind mount) or a volume's name. */
static int parse_bind(const char *spec, struct ctr_mount **list, size_t *n, bt_err **err)
{
    bt_autofree char *copy = bt_xstrdup(spec);
    char *parts[4] = {0};
    size_t np = 0;
    char *save = NULL;
    for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
        if (np == 3)
            return bt_err_set(err, BT_E_INVALID, "invalid volume specification: '%s'", spec);
        parts[np++] = p;
    }
    if (np == 0 || spec[0] == ':' || strstr(spec, "::") || spec[strlen(spec) - 1] == ':')
        return bt_err_set(err, BT_E_INVALID, "invalid volume specification: '%s'", spec);
    const char *src = np == 1 ? "" : parts[0];
    const char *dst = np == 1 ? parts[0] : parts[1];
    const char *mode = np == 3 ? parts[2] : "";
    bool rw = true, nocopy = false;
    const char *prop = NULL;
    if (np == 2 && parse_mode(parts[1], &rw, &prop, &nocopy, NULL) == 0)
        /* "DST:MODE" is not a volume: volumes can't have a mode without a source */
        return bt_err_set(err, BT_E_INVALID, "invalid volume specification: '%s'", spec);
    rw = true, nocopy = false, prop = NULL;
    if (*mode && parse_mode(mode, &rw, &prop, &nocopy, err) < 0)
        return -1;
    bool bind = src[0] == '/';
    bt_autofree char *what = bt_xasprintf("invalid volume specification: '%s': ", spec);
    if (check_target(what, bind ? "bind" : "volume", dst, err) < 0)
        return -1;
    if (!bind) {
        if (prop)
            return bt_err_set(err, BT_E_INVALID,
                              "%sinvalid mount config for type \"volume\": field BindOptions "
                              "must not be specified",
                              what);
        add_volume(list, n, src, dst, mode, rw, !nocopy);
        return 0;
    }
    bt_autofree char *propagation =
            prop ? bt_xstrndup(prop, strcspn(prop, ",")) : bt_xstrdup("rprivate");
    bt_autofree char *options = bind_options(rw, propagation);
    add(list, n, "bind", src, dst, mode, rw, propagation, options);
    return 0;
}

/* One of Mounts: {"Type", "Source", "Target", "ReadOnly", "BindOptions", "TmpfsOptions"}. */
static int parse_mount(const json_t *m, bool check_source, struct ctr_mount **list, size_t *n,
                       bt_err **err)
{
    const char *type = bt_json_get_str(m, "Type", "");
    const char *src = bt_json_get_str(m, "Source", "");
    const char *dst = bt_json_get_str(m, "Target", "");
    bool ro = bt_json_get_bool(m, "ReadOnly", false);
    if (strcmp(type, "bind") != 0 && strcmp(type, "tmpfs") != 0 && strcmp(type, "volume") != 0) {
        if (strcmp(type, "npipe") == 0 || strcmp(type, "cluster") == 0)
            return bt_err_set(err, BT_E_UNSUPPORTED,
                              "invalid mount config for type \"%s\": mounts of type \"%s\" are "
                              "not supported by this engine yet",
                              type, type);
        return bt_err_set(err, BT_E_INVALID, "mount type unknown");
    }
    if (!*dst)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid mount config for type \"%s\": field Target must not be empty",
                          type);
    if (check_target("", type, dst, err) < 0)
        return -1;
    if (strcmp(type, "volume") == 0) {
        if (json_object_get(m, "BindOptions") && !json_is_null(json_object_get(m, "BindOptions")))
            return bt_err_set(err, BT_E_INVALID,
                              "invalid mount config for type \"volume\": field BindOptions must "
                              "not be specified");
        if (!*src && ro)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid mount config for type \"volume\": must not set ReadOnly "
                              "mode when using anonymous volumes");
        const json_t *vo = bt_json_get_obj(m, "VolumeOptions");
        if (*bt_json_get_str(vo, "Subpath", ""))
            return bt_err_set(err, BT_E_UNSUPPORTED,
                              "invalid mount config for type \"volume\": volume subpaths are not "
                              "supported by this engine");
        const char *driver = bt_json_get_str(bt_json_get_obj(vo, "DriverConfig"), "Name", "");
        if (*driver && strcmp(driver, "local") != 0)
            return bt_err_set(err, BT_E_NOT_FOUND,
                              "error looking up volume plugin %s: plugin \"%s\" not found", driver,
                              driver);
        add_volume(list, n, src, dst, "", !ro, !bt_json_get_bool(vo, "NoCopy", false));
        struct ctr_mount *v = &(*list)[*n - 1];
        v->labels = json_incref(bt_json_get_obj(vo, "Labels"));
        v->driver_opts =
                json_incref(bt_json_get_obj(bt_json_get_obj(vo, "DriverConfig"), "Options"));
        return 0;
    }
    if (strcmp(type, "tmpfs") == 0) {
        if (*src)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid mount config for type \"tmpfs\": field Source must be "
                              "empty");
        const json_t *t = bt_json_get_obj(m, "TmpfsOptions");
        int64_t size = bt_json_get_int(t, "SizeBytes", 0);
        int64_t mode = bt_json_get_int(t, "Mode", 0);
        bt_autostrbuf struct bt_strbuf o = BT_STRBUF_INIT;
        bt_strbuf_append(&o, "nosuid,nodev,noexec");
        if (ro)
            bt_strbuf_append(&o, ",ro");
        if (size > 0)
            bt_strbuf_appendf(&o, ",size=%lldk", (long long)(size / 1024 + (size % 1024 != 0)));
        if (mode > 0)
            bt_strbuf_appendf(&o, ",mode=%llo", (long long)mode);
        add(list, n, "tmpfs", "", dst, "", !ro, "", bt_strbuf_str(&o));
        return 0;
    }
    if (!*src)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid mount config for type \"bind\": field Source must not be "
                          "empty");
    if (src[0] != '/')
        return bt_err_set(err, BT_E_INVALID,
                          "invalid mount config for type \"bind\": invalid mount path: '%s' mount "
                          "path must be absolute",
                          src);
    struct stat st;
    if (check_source && stat(src, &st) < 0)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid mount config for type \"bind\": bind source path does not "
                          "exist: %s",
                          src);
    const char *prop = bt_json_get_str(bt_json_get_obj(m, "BindOptions"), "Propagation", "");
    if (*prop && !one_of(prop, propagations))
        return bt_err_set(err, BT_E_INVALID, "invalid propagation mode: %s", prop);
    const char *propagation = *prop ? prop : "rprivate";
    bt_autofree char *options = bind_options(!ro, propagation);
    add(list, n, "bind", src, dst, "", !ro, propagation, options);
    return 0;
}

static int parse_all(const json_t *hc, bool check_sources, struct ctr_mount **out, size_t *n,
                     bt_err **err)
{
    struct ctr_mount *list = NULL;
    size_t count = 0;
    int rc = 0;
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(hc, "Binds"), i, v) {
        if (!json_is_string(v) || (rc = parse_bind(json_string_value(v), &list, &count, err)) < 0) {
            if (!json_is_string(v))
                rc = bt_err_set(err, BT_E_INVALID, "invalid HostConfig.Binds: want strings");
            break;
        }
    }
    if (rc == 0)
        json_array_foreach (bt_json_get_arr(hc, "Mounts"), i, v) {
            if (!json_is_object(v)) {
                rc = bt_err_set(err, BT_E_INVALID, "invalid HostConfig.Mounts: want objects");
                break;
            }
            if ((rc = parse_mount(v, check_sources, &list, &count, err)) < 0)
                break;
        }
    const char *dst;
    json_object_foreach ((json_t *)bt_json_get_obj(hc, "Tmpfs"), dst, v) {
        if (rc < 0)
            break;
        const char *opts = json_is_string(v) ? json_string_value(v) : "";
        rc = check_target("", "tmpfs", dst, err);
        if (rc < 0)
            break;
        rc = tmpfs_option_check(opts, err);
        if (rc < 0)
            break;
        bt_autofree char *options = tmpfs_options(opts);
        add(&list, &count, "tmpfs", "", dst, "", !has_opt(opts, "ro"), "", options);
        list[count - 1].from_tmpfs = true;
    }
    for (size_t a = 0; rc == 0 && a < count; a++)
        for (size_t b = a + 1; rc == 0 && b < count; b++)
            if (strcmp(list[a].destination, list[b].destination) == 0)
                rc = bt_err_set(err, BT_E_INVALID, "Duplicate mount point: %s",
                                list[a].destination);
    if (rc < 0) {
        ctr_mounts_free(list, count);
        return -1;
    }
    *out = list;
    *n = count;
    return 0;
}

int ctr_mounts_parse(const json_t *hc, struct ctr_mount **out, size_t *n, bt_err **err)
{
    return parse_all(hc, true, out, n, err);
}

int ctr_mounts_prepare(const struct ctr_mount *list, size_t n, bt_err **err)
{
    /* only Binds can name a missing source: Mounts' are checked by ctr_mounts_parse() */
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].type, "bind") == 0 && !bt_path_exists(list[i].source))
            if (bt_mkdir_p(list[i].source, 0755, err) < 0)
                return bt_err_wrap(err, "error while creating mount source path '%s'",
                                   list[i].source);
    return 0;
}

int ctr_mounts_of(const json_t *hc, struct ctr_mount **out, size_t *n, bt_err **err)
{
    return parse_all(hc, false, out, n, err);
}

void ctr_mounts_push(struct ctr_mount **list, size_t *n, const struct ctr_mount *m)
{
    *list = bt_xreallocarray(*list, *n + 1, sizeof(**list));
    (*list)[(*n)++] = (struct ctr_mount){
            .type = bt_xstrdup(m->type),
            .source = bt_xstrdup(m->source),
            .destination = bt_xstrdup(m->destination),
            .mode = bt_xstrdup(m->mode),
            .rw = m->rw,
            .propagation = bt_xstrdup(m->propagation),
            .options = bt_xstrdup(m->options),
            .from_tmpfs = m->from_tmpfs,
            .name = bt_xstrdup(m->name),
            .driver = bt_xstrdup(m->driver),
            .anonymous = m->anonymous,
            .copy = m->copy,
            .labels = json_incref(m->labels),
            .driver_opts = json_incref(m->driver_opts),
    };
}

json_t *ctr_mount_to_json(const struct ctr_mount *m)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "Type", m->type, "Source",
                          m->source, "Destination", m->destination, "Mode", m->mode, "RW", m->rw,
                          "Propagation", m->propagation, "Options", m->options);
    if (m->from_tmpfs)
        bt_json_set_bool(j, "Tmpfs", true);
    if (strcmp(m->type, "volume") == 0) {
        bt_json_set_str(j, "Name", m->name);
        bt_json_set_str(j, "Driver", m->driver);
        bt_json_set_bool(j, "Anonymous", m->anonymous);
    }
    return j;
}

int ctr_mount_from_json(const json_t *j, struct ctr_mount *out, bt_err **err)
{
    const char *type = bt_json_get_str(j, "Type", "");
    const char *dst = bt_json_get_str(j, "Destination", "");
    if (!*type || dst[0] != '/')
        return bt_err_set(err, BT_E_CORRUPT, "a mount point without a type or destination");
    *out = (struct ctr_mount){
            .type = bt_xstrdup(type),
            .source = bt_xstrdup(bt_json_get_str(j, "Source", "")),
            .destination = bt_xstrdup(dst),
            .mode = bt_xstrdup(bt_json_get_str(j, "Mode", "")),
            .rw = bt_json_get_bool(j, "RW", true),
            .propagation = bt_xstrdup(bt_json_get_str(j, "Propagation", "")),
            .options = bt_xstrdup(bt_json_get_str(j, "Options", "")),
            .from_tmpfs = bt_json_get_bool(j, "Tmpfs", false),
            .name = bt_xstrdup(bt_json_get_str(j, "Name", "")),
            .driver = bt_xstrdup(bt_json_get_str(j, "Driver", "")),
            .anonymous = bt_json_get_bool(j, "Anonymous", false),
    };
    return 0;
}

json_t *ctr_mounts_view(const struct ctr_mount *list, size_t n)
{
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct ctr_mount *m = &list[i];
        if (m->from_tmpfs)
            continue;
        json_t *j = json_object();
        bt_json_set_str(j, "Type", m->type);
        if (strcmp(m->type, "volume") == 0)
            bt_json_set_str(j, "Name", m->name);
        bt_json_set_str(j, "Source", m->source);
        bt_json_set_str(j, "Destination", m->destination);
        if (strcmp(m->type, "volume") == 0)
            bt_json_set_str(j, "Driver", m->driver);
        bt_json_set_str(j, "Mode", m->mode);
        bt_json_set_bool(j, "RW", m->rw);
        bt_json_set_str(j, "Propagation", m->propagation);
        json_array_append_new(out, j);
    }
    return out;
}

/* "NAME[:MODE]": MODE is rw or ro, with an optional SELinux label (dockerd's
 * ParseVolumesFrom). Sets *ro. */
int ctr_parse_volumes_from(const char *spec, char **name, bool *ro, bt_err **err)
{
    if (!*spec)
        return bt_err_set(err, BT_E_INVALID,
                          "volumes-from specification cannot be an empty string");
    const char *colon = strchr(spec, ':');
    *ro = false;
    if (colon) {
        bt_autofree char *mode = bt_xstrdup(colon + 1);
        int rw = 0, label = 0;
        char *save = NULL;
        bool ok = *mode != '\0';
        for (char *o = strtok_r(mode, ",", &save); ok && o; o = strtok_r(NULL, ",", &save)) {
            if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0) {
                *ro = strcmp(o, "ro") == 0;
                rw++;
            } else if (strcmp(o, "z") == 0 || strcmp(o, "Z") == 0) {
                label++;
            } else {
                ok = false;
            }
        }
        if (!ok || rw > 1 || label > 1)
            return bt_err_set(err, BT_E_INVALID, "invalid mode: %s", colon + 1);
    }
    *name = colon ? bt_xstrndup(spec, (size_t)(colon - spec)) : bt_xstrdup(spec);
    return 0;
}

static size_t depth(const char *path)
{
    size_t n = 0;
    for (; *path; path++)
        n += *path == '/';
    return n;
}

void ctr_mounts_sort(struct ctr_mount *list, size_t n)
{
    /* an insertion sort: stable, and the lists are short */
    for (size_t i = 1; i < n; i++) {
        struct ctr_mount m = list[i];
        size_t j = i;
        for (; j > 0 && depth(list[j - 1].destination) > depth(m.destination); j--)
            list[j] = list[j - 1];
        list[j] = m;
    }
}
