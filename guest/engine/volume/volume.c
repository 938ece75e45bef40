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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

struct vol_store {
    char *dir;
    pthread_mutex_t lock;
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
        bt_file_write_atomic(path, text, strlen(text), 0600, err) == 0)
        out = view(s, n, rec);
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

static int64_t tree_size(int dfd)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return 0;
    }
    int64_t total = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode))
            total += st.st_size;
        else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                total += tree_size(sub);
        }
    }
    closedir(d);
    return total;
}

int64_t vol_size(struct vol_store *s, const char *name)
{
    if (!vol_exists(s, name))
        return -1;
    bt_autofree char *data = bt_xasprintf("%s/%s/_data", s->dir, name);
    int fd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? 0 : tree_size(fd);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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
    qsort(names, n, sizeof(*names), cmp_names);
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
        if (unlink(path) < 0)
            rc = bt_err_errno(err, errno, "remove %s", name);
        else
            rc = bt_rm_rf(dir, err);
        json_decref(meta);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
