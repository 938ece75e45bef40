/* SPDX-License-Identifier: Apache-2.0 */
/* Named volumes (volume.h). */
#include "guest/engine/volume/volume.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/events/events.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/strbuf.h"
#include "shared/base/mem.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

struct active {
    char *name;
    int users;
};

struct vol_store {
    char *dir;
    pthread_mutex_t lock;
    struct active *active; /* volumes with mount options that are mounted */
    size_t nactive;
};

struct vol_store *vol_store_open(const char *dir, bt_err **err)
{
    if (bt_mkdir_p(dir, 0700, err) < 0)
        return NULL;
    struct vol_store *s = bt_xzalloc(sizeof(*s));
    s->dir = bt_xstrdup(dir);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void vol_store_close(struct vol_store *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    for (size_t i = 0; i < s->nactive; i++)
        free(s->active[i].name);
    free(s->active);
    free(s->dir);
    free(s);
}

/* dockerd's local driver: ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ */
static int check_name(const char *name, bt_err **err)
{
    size_t n = strlen(name);
    bool ok = n >= 2 && isalnum((unsigned char)name[0]);
    for (size_t i = 1; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || strchr("_.-", name[i]);
    if (ok)
        return 0;
    if (n < 2 && (n == 0 || isalnum((unsigned char)name[0])))
        return bt_err_set(err, BT_E_INVALID,
                          "volume name is too short, names should be at least two alphanumeric "
                          "characters");
    return bt_err_set(err, BT_E_INVALID,
                      "\"%s\" includes invalid characters for a local volume name, only "
                      "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                      "directory, use absolute path",
                      name);
}

static char *meta_path(const struct vol_store *s, const char *name)
{
    return bt_xasprintf("%s/%s/volume.json", s->dir, name);
}

/* The API's form of a stored record. */
static json_t *view(const struct vol_store *s, const char *name, const json_t *meta)
{
    bt_autofree char *mp = bt_xasprintf("%s/%s/_data", s->dir, name);
    json_t *labels = json_object_get(meta, "Labels");
    json_t *opts = json_object_get(meta, "Options");
    return json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:O}", "CreatedAt",
                     bt_json_get_str(meta, "CreatedAt", ""), "Driver", "local", "Mountpoint", mp,
                     "Name", name, "Labels", json_is_object(labels) ? labels : json_null(), "Scope",
                     "local", "Options", json_is_object(opts) ? opts : json_null());
}

static json_t *load(const struct vol_store *s, const char *name, bt_err **err)
{
    if (check_name(name, NULL) < 0) {
        bt_err_set(err, BT_E_NOT_FOUND, "get %s: no such volume", name);
        return NULL;
    }
    bt_autofree char *path = meta_path(s, name);
    if (!bt_path_exists(path)) {
        bt_err_set(err, BT_E_NOT_FOUND, "get %s: no such volume", name);
        return NULL;
    }
    return bt_json_load_file(path, err);
}

/* The local driver's options (dockerd's validOpts and mandatoryOpts). */
static int check_options(const json_t *opts, bt_err **err)
{
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)opts, k, v) {
        if (strcmp(k, "size") == 0)
            return bt_err_set(err, BT_E_INVALID, "quota size requested but no quota support");
        if (strcmp(k, "type") != 0 && strcmp(k, "device") != 0 && strcmp(k, "o") != 0)
            return bt_err_set(err, BT_E_INVALID, "invalid option: \"%s\"", k);
        if (!json_is_string(v))
            return bt_err_set(err, BT_E_INVALID, "invalid option: \"%s\": want a string", k);
    }
    static const char *const need[][3] = {
            {"device", "type", NULL}, {"type", "device", NULL}, {"o", "device", "type"}};
    for (size_t i = 0; i < 3; i++) {
        if (!json_object_get(opts, need[i][0]))
            continue;
        for (size_t j = 1; j < 3 && need[i][j]; j++)
            if (!json_object_get(opts, need[i][j]))
                return bt_err_set(err, BT_E_INVALID, "missing required option: \"%s\"", need[i][j]);
    }
    return 0;
}

static char *now_rfc3339(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return bt_xstrdup(buf);
}

json_t *vol_create(struct vol_store *s, const char *name, const char *driver, const json_t *labels,
                   const json_t *options, bt_err **err)
{
    if (driver && *driver && strcmp(driver, "local") != 0) {
        bt_err_set(err, BT_E_NOT_FOUND,
                   "error looking up volume plugin %s: plugin \"%s\" not found", driver, driver);
        return NULL;
    }
    bt_autofree char *n = name && *name ? bt_xstrdup(name) : bt_random_hex(32);
    if (check_name(n, err) < 0) {
        bt_err_wrap(err, "create %s", n);
        return NULL;
    }
    if (check_options(options, err) < 0) {
        bt_err_wrap(err, "create %s", n);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    json_t *out = NULL;
    json_t *meta = load(s, n, NULL);
    if (meta) {
        out = view(s, n, meta); /* dockerd hands back the volume that exists */
        json_decref(meta);
        pthread_mutex_unlock(&s->lock);
        return out;
    }
    bt_autofree char *data = bt_xasprintf("%s/%s/_data", s->dir, n);
    bt_autofree char *created = now_rfc3339();
    bt_autoptr(json_t) rec =
            json_pack("{s:s, s:s, s:s, s:O, s:O}", "Name", n, "Driver", "local", "CreatedAt",
                      created, "Labels", json_is_object(labels) ? labels : json_object(), "Options",
                      json_is_object(options) ? options : json_object());
    bt_autofree char *text = bt_json_dumps(rec);
    bt_autofree char *path = meta_path(s, n);
    /* the directory first: a volume exists once its record does */
    if (bt_mkdir_p(data, 0755, err) == 0 &&
        bt_file_write_atomic(path, text, strlen(text), 0600, err) == 0) {
        out = view(s, n, rec);
        events_emit("volume", "create", n, (const char *const[]){"driver", "local", NULL});
    }
    pthread_mutex_unlock(&s->lock);
    return out;
}

json_t *vol_inspect(struct vol_store *s, const char *name, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    json_t *meta = load(s, name, err);
    json_t *out = meta ? view(s, name, meta) : NULL;
    json_decref(meta);
    pthread_mutex_unlock(&s->lock);
    return out;
}

bool vol_exists(struct vol_store *s, const char *name)
{
    if (check_name(name, NULL) < 0)
        return false;
    bt_autofree char *path = meta_path(s, name);
    return bt_path_exists(path);
}

static bool is_mount_point(const char *dir);

int64_t vol_size(struct vol_store *s, const char *name)
{
    if (!vol_exists(s, name))
        return -1;
    bt_autofree char *data = bt_xasprintf("%s/%s/_data", s->dir, name);
    return bt_dir_size(data);
}

json_t *vol_list(struct vol_store *s)
{
    json_t *out = json_array();
    pthread_mutex_lock(&s->lock);
    DIR *d = opendir(s->dir);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        names = bt_xreallocarray(names, n + 1, sizeof(*names));
        names[n++] = bt_xstrdup(e->d_name);
    }
    if (d)
        closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), bt_strp_cmp); /* names is NULL when there are none */
    for (size_t i = 0; i < n; i++) {
        json_t *meta = load(s, names[i], NULL);
        if (meta)
            json_array_append_new(out, view(s, names[i], meta));
        json_decref(meta);
        free(names[i]);
    }
    free(names);
    pthread_mutex_unlock(&s->lock);
    return out;
}

int vol_remove(struct vol_store *s, const char *name, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    json_t *meta = load(s, name, err);
    int rc = -1;
    if (meta) {
        /* the record first: a half-removed volume no longer exists */
        bt_autofree char *path = meta_path(s, name);
        bt_autofree char *dir = bt_xasprintf("%s/%s", s->dir, name);
        bt_autofree char *data = bt_xasprintf("%s/_data", dir);
        /* never delete through a mount (o=bind of a host directory): unmount it first */
        if (is_mount_point(data))
            umount2(data, MNT_DETACH);
        if (is_mount_point(data))
            rc = bt_err_set(err, BT_E_CONFLICT, "remove %s: its directory is still mounted", name);
        else if (unlink(path) < 0)
            rc = bt_err_errno(err, errno, "remove %s", name);
        else
            rc = bt_rm_rf(dir, err);
        if (rc == 0)
            events_emit("volume", "destroy", name, (const char *const[]){"driver", "local", NULL});
        json_decref(meta);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- volumes with mount options ---- */

static struct active *find_active(struct vol_store *s, const char *name)
{
    for (size_t i = 0; i < s->nactive; i++)
        if (strcmp(s->active[i].name, name) == 0)
            return &s->active[i];
    return NULL;
}

static bool is_mount_point(const char *dir)
{
    bt_autofree char *parent = bt_xasprintf("%s/..", dir);
    struct stat a, b;
    return stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* mount(8)'s -o: the flags mount(2) takes as flags, the rest as the filesystem's data. */
static unsigned long mount_flags(const char *o, struct bt_strbuf *data)
{
    static const struct {
        const char *name;
        unsigned long flag;
    } flags[] = {{"ro", MS_RDONLY},
                 {"nosuid", MS_NOSUID},
                 {"nodev", MS_NODEV},
                 {"noexec", MS_NOEXEC},
                 {"sync", MS_SYNCHRONOUS},
                 {"noatime", MS_NOATIME},
                 {"nodiratime", MS_NODIRATIME},
                 {"relatime", MS_RELATIME},
                 {"strictatime", MS_STRICTATIME},
                 {"bind", MS_BIND},
                 {"rbind", MS_BIND | MS_REC}};
    unsigned long f = 0;
    bt_autofree char *copy = bt_xstrdup(o);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool known = strcmp(t, "rw") == 0 || strcmp(t, "defaults") == 0;
        for (size_t i = 0; !known && i < sizeof(flags) / sizeof(flags[0]); i++)
            if (strcmp(t, flags[i].name) == 0) {
                f |= flags[i].flag;
                known = true;
            }
        if (!known)
            bt_strbuf_appendf(data, "%s%s", data->len ? "," : "", t);
    }
    return f;
}

bool vol_has_mount(struct vol_store *s, const char *name)
{
    pthread_mutex_lock(&s->lock);
    json_t *meta = load(s, name, NULL);
    bool has = meta && json_object_get(bt_json_get_obj(meta, "Options"), "type");
    json_decref(meta);
    pthread_mutex_unlock(&s->lock);
    return has;
}

int vol_mount(struct vol_store *s, const char *name, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    json_t *meta = load(s, name, err);
    if (!meta) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    const json_t *opts = bt_json_get_obj(meta, "Options");
    const char *type = bt_json_get_str(opts, "type", "");
    struct active *a = *type ? find_active(s, name) : NULL;
    if (*type && !a) {
        bt_autofree char *dir = bt_xasprintf("%s/%s/_data", s->dir, name);
        const char *device = bt_json_get_str(opts, "device", "");
        const char *o = bt_json_get_str(opts, "o", "");
        bt_autostrbuf struct bt_strbuf data = BT_STRBUF_INIT;
        bt_strbuf_append(&data, "");
        unsigned long flags = mount_flags(o, &data);
        if (!is_mount_point(dir) && mount(device, dir, strcmp(type, "none") == 0 ? NULL : type,
                                          flags, data.len ? bt_strbuf_str(&data) : NULL) < 0)
            rc = bt_err_set(err, errno == ENOENT ? BT_E_NOT_FOUND : BT_E_INVALID,
                            "error while mounting volume '%s': failed to mount local volume: "
                            "mount %s:%s, data: %s: %s",
                            dir, device, dir, o, strerror(errno));
        if (rc == 0) {
            s->active = bt_xreallocarray(s->active, s->nactive + 1, sizeof(*s->active));
            a = &s->active[s->nactive++];
            *a = (struct active){.name = bt_xstrdup(name)};
        }
    }
    if (a)
        a->users++;
    json_decref(meta);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void unmount_dir(struct vol_store *s, const char *name)
{
    bt_autofree char *dir = bt_xasprintf("%s/%s/_data", s->dir, name);
    if (umount2(dir, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        bt_warn("unmount volume %s: %s", name, strerror(errno));
}

void vol_unmount(struct vol_store *s, const char *name)
{
    pthread_mutex_lock(&s->lock);
    struct active *a = find_active(s, name);
    if (a && --a->users <= 0) {
        unmount_dir(s, name);
        free(a->name);
        *a = s->active[--s->nactive];
    }
    pthread_mutex_unlock(&s->lock);
}

void vol_unmount_idle(struct vol_store *s)
{
    bt_autoptr(json_t) all = vol_list(s);
    pthread_mutex_lock(&s->lock);
    size_t i;
    json_t *v;
    json_array_foreach (all, i, v) {
        const char *name = bt_json_get_str(v, "Name", "");
        bt_autofree char *dir = bt_xasprintf("%s/%s/_data", s->dir, name);
        if (!find_active(s, name) && is_mount_point(dir))
            unmount_dir(s, name);
    }
    pthread_mutex_unlock(&s->lock);
}
