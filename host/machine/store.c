/* SPDX-License-Identifier: Apache-2.0 */
/* The machine store: config.json records, names, the list, removal and the locks. */
#include "host/machine/machine.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define CONFIG_FILE "config.json"
#define LOCK_FILE   ".lock"

void machine_store_init(struct machine_store *s, const char *config_dir)
{
    s->config_dir = bt_xstrdup(config_dir);
    s->machines_dir = bt_xasprintf("%s/machines", config_dir);
    s->certs_dir = bt_xasprintf("%s/certs", config_dir);
}

void machine_store_clear(struct machine_store *s)
{
    free(s->config_dir);
    free(s->machines_dir);
    free(s->certs_dir);
    *s = (struct machine_store){0};
}

void machine_free(struct machine *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->dir);
    free(m->driver_name);
    free(m->network);
    free(m->hostonly_cidr);
    free(m->ip_address);
    free(m->mac_address);
    free(m->ssh_user);
    for (size_t i = 0; i < m->nshares; i++) {
        free(m->shares[i].host_path);
        free(m->shares[i].guest_path);
        free(m->shares[i].tag);
    }
    free(m->shares);
    free(m->accel);
    free(m->created);
    free(m->image_version);
    json_decref(m->doc);
    free(m);
}

json_t *machine_driver_config(struct machine *m)
{
    json_t *d = json_object_get(m->doc, "Driver");
    if (!json_is_object(d)) {
        d = json_object();
        json_object_set_new(m->doc, "Driver", d);
    }
    return d;
}

int machine_validate_name(const char *name, bt_err **err)
{
    /* ^[a-zA-Z0-9][a-zA-Z0-9\-\.]*$ (libmachine/host/host.go validHostNamePattern) */
    bool ok = name[0] != '\0';
    for (const char *p = name; ok && *p; p++)
        ok = isascii((unsigned char)*p) &&
             (isalnum((unsigned char)*p) || (p != name && (*p == '-' || *p == '.')));
    if (!ok)
        return bt_err_set(err, BT_E_INVALID,
                          "Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . -");
    return 0;
}

static char *machine_dir(const struct machine_store *s, const char *name)
{
    return bt_xasprintf("%s/%s", s->machines_dir, name);
}

bool machine_exists(const struct machine_store *s, const char *name)
{
    if (machine_validate_name(name, NULL) < 0)
        return false;
    bt_autofree char *dir = machine_dir(s, name);
    return bt_path_is_dir(dir);
}

static int not_found(const char *name, bt_err **err)
{
    return bt_err_set(err, BT_E_NOT_FOUND,
                      "Berth machine \"%s\" does not exist. Use \"berth machine ls\" to list "
                      "machines. Use \"berth machine create\" to add a new one.",
                      name);
}

static char *dup_str(const json_t *doc, const char *key, const char *def)
{
    return bt_xstrdup_or_null(bt_json_get_str(doc, key, def));
}

static int load_shares(struct machine *m, bt_err **err)
{
    json_t *arr = bt_json_get_arr(m->doc, "Shares");
    size_t i;
    json_t *v;
    m->shares = bt_xreallocarray(NULL, json_array_size(arr) + 1, sizeof(*m->shares));
    json_array_foreach (arr, i, v) {
        const char *host = bt_json_get_str(v, "HostPath", NULL);
        const char *guest = bt_json_get_str(v, "GuestPath", NULL);
        const char *tag = bt_json_get_str(v, "Tag", NULL);
        if (!host || !guest || !tag)
            return bt_err_set(err, BT_E_CORRUPT,
                              "Shares[%zu] needs HostPath, GuestPath and Tag strings", i);
        m->shares[m->nshares++] =
                (struct machine_share){bt_xstrdup(host), bt_xstrdup(guest), bt_xstrdup(tag)};
    }
    return 0;
}

/* The record's members into *m (m->doc already set). */
static int from_doc(struct machine *m, bt_err **err)
{
    const json_t *d = m->doc;
    const char *name = bt_json_get_str(d, "Name", NULL);
    if (!name || strcmp(name, m->name) != 0)
        return bt_err_set(err, BT_E_CORRUPT, "its Name is not \"%s\"", m->name);
    m->driver_name = dup_str(d, "DriverName", "");
    m->cpus = (int)bt_json_get_int(d, "CPUs", MACHINE_DEFAULT_CPUS);
    m->memory_mb = bt_json_get_int(d, "MemoryMB", MACHINE_DEFAULT_MEMORY_MB);
    m->disk_size_mb = bt_json_get_int(d, "DiskSizeMB", MACHINE_DEFAULT_DISK_MB);
    m->network = dup_str(d, "Network", MACHINE_NET_HOSTONLY);
    m->hostonly_cidr = dup_str(d, "HostOnlyCIDR", "");
    m->ip_address = dup_str(d, "IPAddress", "");
    m->mac_address = dup_str(d, "MACAddress", "");
    m->engine_port = (int)bt_json_get_int(d, "EnginePort", MACHINE_ENGINE_PORT);
    m->ssh_port = (int)bt_json_get_int(d, "SSHPort", MACHINE_SSH_PORT);
    m->ssh_user = dup_str(d, "SSHUser", "root");
    m->accel = dup_str(d, "Accel", "");
    m->created = dup_str(d, "Created", "");
    m->image_version = dup_str(d, "ImageVersion", "");
    return load_shares(m, err);
}

struct machine *machine_load(const struct machine_store *s, const char *name, bt_err **err)
{
    if (machine_validate_name(name, NULL) < 0) {
        not_found(name, err);
        return NULL;
    }
    bt_autofree char *dir = machine_dir(s, name);
    if (!bt_path_is_dir(dir)) {
        not_found(name, err);
        return NULL;
    }
    bt_autofree char *path = bt_xasprintf("%s/" CONFIG_FILE, dir);
    bt_autoptr(machine) m = bt_xzalloc(sizeof(*m));
    m->name = bt_xstrdup(name);
    m->dir = bt_steal_ptr(&dir);
    m->doc = bt_json_load_file(path, err);
    if (!m->doc || from_doc(m, err) < 0) {
        bt_err_wrap(err, "machine \"%s\": %s", name, path);
        return NULL;
    }
    return bt_steal_ptr(&m);
}

static json_t *shares_json(const struct machine *m)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < m->nshares; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "HostPath", m->shares[i].host_path,
                                             "GuestPath", m->shares[i].guest_path, "Tag",
                                             m->shares[i].tag));
    return arr;
}

int machine_save(const struct machine *m, bt_err **err)
{
    json_t *d = m->doc;
    /* the known members in the contract's order; unknown ones stay where they were */
    bt_json_set_int(d, "ConfigVersion", MACHINE_CONFIG_VERSION);
    bt_json_set_str(d, "Name", m->name);
    bt_json_set_str(d, "DriverName", m->driver_name ? m->driver_name : "");
    if (!json_is_object(json_object_get(d, "Driver")))
        json_object_set_new(d, "Driver", json_object());
    bt_json_set_int(d, "CPUs", m->cpus);
    bt_json_set_int(d, "MemoryMB", m->memory_mb);
    bt_json_set_int(d, "DiskSizeMB", m->disk_size_mb);
    bt_json_set_str(d, "Network", m->network ? m->network : MACHINE_NET_HOSTONLY);
    bt_json_set_str(d, "HostOnlyCIDR", m->hostonly_cidr ? m->hostonly_cidr : "");
    bt_json_set_str(d, "IPAddress", m->ip_address ? m->ip_address : "");
    bt_json_set_str(d, "MACAddress", m->mac_address ? m->mac_address : "");
    bt_json_set_int(d, "EnginePort", m->engine_port);
    bt_json_set_int(d, "SSHPort", m->ssh_port);
    bt_json_set_str(d, "SSHUser", m->ssh_user ? m->ssh_user : "root");
    json_object_set_new(d, "Shares", shares_json(m));
    bt_json_set_str(d, "Accel", m->accel ? m->accel : "");
    bt_json_set_str(d, "Created", m->created ? m->created : "");
    bt_json_set_str(d, "ImageVersion", m->image_version ? m->image_version : "");
    bt_autofree char *path = bt_xasprintf("%s/" CONFIG_FILE, m->dir);
    if (bt_json_save_file(path, d, 0600, err) < 0)
        return bt_err_wrap(err, "save machine \"%s\"", m->name);
    return 0;
}

/* ---- list ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int machine_name_cmp(const char *a, const char *b)
{
    /* skarademir/naturalsort, as docker-machine's ls sorts: runs of digits compare as numbers
     * (shorter run, after leading zeros, is smaller), everything else byte by byte */
    while (*a && *b) {
        if (is_digit(*a) && is_digit(*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (is_digit(a[la]))
                la++;
            while (is_digit(b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
            continue;
        }
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int entry_cmp(const void *x, const void *y)
{
    const struct machine_entry *a = x, *b = y;
    int c = machine_name_cmp(a->name, b->name);
    return c ? c : strcmp(a->name, b->name);
}

int machine_list(const struct machine_store *s, struct machine_entry **out, size_t *n, bt_err **err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(s->machines_dir);
    if (!d)
        return errno == ENOENT ? 0 : bt_err_errno(err, errno, "open \"%s\"", s->machines_dir);
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(d)) != NULL) {
        if (machine_validate_name(e->d_name, NULL) < 0)
            continue; /* ".", "..", ".lock" and anything a user left there */
        bt_autofree char *dir = machine_dir(s, e->d_name);
        if (!bt_path_is_dir(dir))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = bt_xreallocarray(*out, cap, sizeof(**out));
        }
        struct machine_entry *ent = &(*out)[(*n)++];
        *ent = (struct machine_entry){.name = bt_xstrdup(e->d_name)};
        bt_err *lerr = NULL;
        ent->machine = machine_load(s, e->d_name, &lerr);
        if (!ent->machine) {
            ent->error = bt_xstrdup(bt_err_msg(lerr));
            bt_err_free(lerr);
        }
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof(**out), entry_cmp);
    return 0;
}

void machine_list_free(struct machine_entry *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].name);
        machine_free(list[i].machine);
        free(list[i].error);
    }
    free(list);
}

int machine_remove(const struct machine_store *s, const char *name, bt_err **err)
{
    if (!machine_exists(s, name))
        return bt_err_set(err, BT_E_NOT_FOUND, "%s does not exist.", name);
    bt_autofree char *dir = machine_dir(s, name);
    /* The name goes first, atomically: the directory is renamed to a name no machine can have
     * (a leading dot), then removed. A command waiting on the machine's lock finds its lock
     * file gone from the path (machine_lock), and a crash half-way leaves no half machine. */
    bt_autofree char *gone =
            bt_xasprintf("%s/.removing-%s.%ld", s->machines_dir, name, (long)getpid());
    if (rename(dir, gone) < 0)
        return bt_err_errno(err, errno, "remove machine \"%s\": rename \"%s\"", name, dir);
    bt_fsync_dir(s->machines_dir, NULL);
    if (bt_rm_rf(gone, err) < 0)
        return bt_err_wrap(err, "remove machine \"%s\"", name);
    return 0;
}

/* ---- locks ---- */

static int lock_file(const char *path, bool wait, bt_err **err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", path);
    while (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return bt_err_set(err, BT_E_CONFLICT, "busy");
        return bt_err_errno(err, e, "lock \"%s\"", path);
    }
    return fd;
}

/* Did the file locked at fd stay at path (not removed and made anew meanwhile)? */
static bool still_there(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

int machine_lock(const struct machine_store *s, const char *name, bool wait, bt_err **err)
{
    if (!machine_exists(s, name))
        return not_found(name, err);
    bt_autofree char *dir = machine_dir(s, name);
    bt_autofree char *path = bt_xasprintf("%s/" LOCK_FILE, dir);
    bt_err *lerr = NULL;
    int fd = lock_file(path, wait, &lerr);
    if (fd < 0) {
        if (bt_err_is(lerr, BT_E_NOT_FOUND)) { /* removed while we opened it */
            bt_err_free(lerr);
            return not_found(name, err);
        }
        if (bt_err_code(lerr) == BT_E_CONFLICT) {
            bt_err_free(lerr);
            return bt_err_set(err, BT_E_CONFLICT,
                              "machine \"%s\" is in use by another berth command", name);
        }
        bt_err_move(err, &lerr);
        return -1;
    }
    if (!still_there(fd, path) || !bt_path_is_dir(dir)) {
        close(fd);
        return not_found(name, err);
    }
    return fd;
}

int machine_store_lock(const struct machine_store *s, bt_err **err)
{
    if (bt_mkdir_p(s->machines_dir, 0700, err) < 0)
        return -1;
    bt_autofree char *path = bt_xasprintf("%s/" LOCK_FILE, s->machines_dir);
    return lock_file(path, true, err);
}

void machine_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the only descriptor of the open file releases the flock */
}
