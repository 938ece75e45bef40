/* SPDX-License-Identifier: Apache-2.0 */
/* The store's part of `machine create`: options, the record, certificates and keys. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/machine/certs.h"
#include "host/machine/generic.h"
#include "host/machine/machine.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

/* Forwarded ports of user-mode machines start here (engine, SSH). */
#define USER_ENGINE_PORT 12376
#define USER_SSH_PORT    12222

char *machine_user_name(void)
{
    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_name && *pw->pw_name)
        return bt_xstrdup(pw->pw_name);
    const char *u = getenv("USER");
    return bt_xstrdup(u && *u ? u : "berth");
}

/* "HOST:GUEST" or "PATH" (the same path in the VM). */
static int parse_share(const char *spec, char **host, char **guest, bt_err **err)
{
    const char *colon = strchr(spec, ':');
    *host = colon ? bt_xstrndup(spec, (size_t)(colon - spec)) : bt_xstrdup(spec);
    *guest = bt_xstrdup(colon ? colon + 1 : spec);
    if ((*host)[0] != '/' || (*guest)[0] != '/') {
        free(*host);
        free(*guest);
        *host = *guest = NULL;
        return bt_err_set(err, BT_E_INVALID,
                          "invalid --share \"%s\": want HOST:GUEST, both absolute paths", spec);
    }
    return 0;
}

static int check_shares(const struct machine_create_opts *o, bt_err **err)
{
    for (size_t i = 0; o->shares && o->shares[i]; i++) {
        bt_autofree char *host = NULL;
        bt_autofree char *guest = NULL;
        if (parse_share(o->shares[i], &host, &guest, err) < 0)
            return -1;
        if (!bt_path_is_dir(host))
            return bt_err_set(err, BT_E_INVALID, "invalid --share \"%s\": no directory \"%s\"",
                              o->shares[i], host);
    }
    return 0;
}

static bool is_generic(const struct machine_create_opts *o)
{
    return o->driver && strcmp(o->driver, "generic") == 0;
}

static int check_generic(const struct machine_create_opts *o, bt_err **err)
{
    if (!o->generic_ip || !*o->generic_ip)
        return bt_err_set(err, BT_E_INVALID,
                          "Error creating machine: generic driver requires the "
                          "--generic-ip-address option");
    if (!gen_hostname_ok(o->generic_ip))
        return bt_err_set(err, BT_E_INVALID,
                          "invalid --generic-ip-address \"%s\": want an IPv4 address or a DNS "
                          "name",
                          o->generic_ip);
    if (o->generic_ssh_user &&
        (!gen_word_ok(o->generic_ssh_user) || strpbrk(o->generic_ssh_user, " @:/")))
        return bt_err_set(err, BT_E_INVALID, "invalid --generic-ssh-user \"%s\"",
                          o->generic_ssh_user);
    if (o->generic_ssh_port < 0 || o->generic_ssh_port > 65535)
        return bt_err_set(err, BT_E_INVALID, "invalid --generic-ssh-port %d: want 1 to 65535",
                          o->generic_ssh_port);
    if (o->generic_engine_port < 0 || o->generic_engine_port > 65535)
        return bt_err_set(err, BT_E_INVALID, "invalid --generic-engine-port %d: want 1 to 65535",
                          o->generic_engine_port);
    if (o->generic_ssh_key && *o->generic_ssh_key && !bt_path_exists(o->generic_ssh_key))
        return bt_err_set(err, BT_E_INVALID,
                          "Error creating machine: SSH key does not exist: \"%s\"",
                          o->generic_ssh_key);
    return 0;
}

int machine_create_check(const struct machine_create_opts *o, bt_err **err)
{
    if (machine_validate_name(o->name, err) < 0)
        return bt_err_wrap(err, "Error creating machine");
    const char *driver = o->driver ? o->driver : "libvirt";
    if (strcmp(driver, "libvirt") != 0 && strcmp(driver, "qemu") != 0 &&
        strcmp(driver, "generic") != 0)
        return bt_err_set(err, BT_E_INVALID,
                          "Driver \"%s\" not found. Berth has the drivers \"libvirt\", "
                          "\"qemu\" and \"generic\"",
                          driver);
    if (is_generic(o))
        return check_generic(o, err);
    if (o->cpus < 0 || o->cpus > 256)
        return bt_err_set(err, BT_E_INVALID, "invalid --cpus %d: want 1 to 256", o->cpus);
    if (o->memory_mb && o->memory_mb < 128)
        return bt_err_set(err, BT_E_INVALID, "invalid --memory %lld: want at least 128 (MB)",
                          (long long)o->memory_mb);
    if (o->disk_size_mb && o->disk_size_mb < 1024)
        return bt_err_set(err, BT_E_INVALID, "invalid --disk-size %lld: want at least 1024 (MB)",
                          (long long)o->disk_size_mb);
    if (o->network && strcmp(o->network, MACHINE_NET_HOSTONLY) != 0 &&
        strcmp(o->network, MACHINE_NET_USER) != 0)
        return bt_err_set(err, BT_E_INVALID, "invalid network \"%s\": want \"%s\" or \"%s\"",
                          o->network, MACHINE_NET_HOSTONLY, MACHINE_NET_USER);
    struct machine_cidr net;
    if (machine_cidr_parse(o->hostonly_cidr ? o->hostonly_cidr : MACHINE_DEFAULT_CIDR, &net, err) <
        0)
        return -1;
    return check_shares(o, err);
}

static char *now_rfc3339(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return bt_xstrdup(buf);
}

static void add_shares(struct machine *m, const struct machine_create_opts *o)
{
    size_t n = 0;
    while (o->shares && o->shares[n])
        n++;
    const char *home = getenv("HOME");
    bool home_share = n == 0 && !o->no_share && home && home[0] == '/' && bt_path_is_dir(home);
    m->shares = bt_xreallocarray(NULL, n + 1, sizeof(*m->shares));
    for (size_t i = 0; i < n; i++) {
        struct machine_share *s = &m->shares[m->nshares];
        parse_share(o->shares[i], &s->host_path, &s->guest_path, NULL);
        s->tag = bt_xasprintf("berth%zu", m->nshares++);
    }
    if (home_share) /* SPEC flow 4: the user's home at the same path in the VM */
        m->shares[m->nshares++] =
                (struct machine_share){bt_xstrdup(home), bt_xstrdup(home), bt_xstrdup("berth0")};
}

/* Addresses, MACs and ports of the other machines. */
struct taken {
    char **ips, **macs;
    int *ports;
    size_t nports;
};

static void taken_collect(const struct machine_store *s, struct taken *t)
{
    struct machine_entry *list = NULL;
    size_t n = 0;
    machine_list(s, &list, &n, NULL);
    t->ports = bt_xreallocarray(NULL, 2 * n + 1, sizeof(int));
    for (size_t i = 0; i < n; i++) {
        const struct machine *m = list[i].machine;
        if (!m)
            continue;
        if (strcmp(m->network, MACHINE_NET_HOSTONLY) == 0)
            bt_strv_push(&t->ips, m->ip_address);
        else if (strcmp(m->network, MACHINE_NET_USER) == 0) {
            t->ports[t->nports++] = m->engine_port;
            t->ports[t->nports++] = m->ssh_port;
        }
        bt_strv_push(&t->macs, m->mac_address);
    }
    t->ports[t->nports] = 0;
    machine_list_free(list, n);
}

static void taken_clear(struct taken *t)
{
    bt_strv_free(t->ips);
    bt_strv_free(t->macs);
    free(t->ports);
}

/* A generic host: its address and ports as given, no VM's members. */
static int fill_generic(const struct machine_create_opts *o, struct machine *m, bt_err **err)
{
    m->driver_name = bt_xstrdup("generic");
    m->network = bt_xstrdup(MACHINE_NET_REMOTE);
    m->hostonly_cidr = bt_xstrdup("");
    m->ip_address = bt_xstrdup(o->generic_ip);
    m->engine_port = o->generic_engine_port ? o->generic_engine_port : MACHINE_ENGINE_PORT;
    m->ssh_port = o->generic_ssh_port ? o->generic_ssh_port : MACHINE_SSH_PORT;
    m->ssh_user =
            bt_xstrdup(o->generic_ssh_user && *o->generic_ssh_user ? o->generic_ssh_user : "root");
    m->mac_address = bt_xstrdup("");
    m->accel = bt_xstrdup("");
    m->created = now_rfc3339();
    m->image_version = bt_xstrdup("");
    json_t *drv = machine_driver_config(m);
    if (o->generic_ssh_key && *o->generic_ssh_key) {
        /* the machine keeps its own copy, as docker-machine does: it works on when the user's
         * file moves */
        bt_autofree char *copy = bt_xasprintf("%s/ssh_key", m->dir);
        bt_autostrbuf struct bt_strbuf key = BT_STRBUF_INIT;
        if (bt_file_read(o->generic_ssh_key, &key, 1 << 20, err) < 0 ||
            bt_file_write_atomic(copy, key.buf, key.len, 0600, err) < 0)
            return bt_err_wrap(err, "Error creating machine: copy the SSH key");
        bt_json_set_str(drv, "SSHKeyPath", copy);
    }
    json_object_set_new(drv, "Provisioned", json_false());
    return 0;
}

static int fill(const struct machine_store *s, const struct machine_create_opts *o,
                struct machine *m, bt_err **err)
{
    if (is_generic(o))
        return fill_generic(o, m, err);
    struct taken t = {0};
    taken_collect(s, &t);
    int rc = 0;
    m->driver_name = bt_xstrdup(o->driver ? o->driver : "libvirt");
    m->cpus = o->cpus ? o->cpus : MACHINE_DEFAULT_CPUS;
    m->memory_mb = o->memory_mb ? o->memory_mb : MACHINE_DEFAULT_MEMORY_MB;
    m->disk_size_mb = o->disk_size_mb ? o->disk_size_mb : MACHINE_DEFAULT_DISK_MB;
    m->network = bt_xstrdup(o->network       ? o->network
                            : geteuid() == 0 ? MACHINE_NET_HOSTONLY
                                             : MACHINE_NET_USER);
    m->hostonly_cidr = bt_xstrdup(o->hostonly_cidr ? o->hostonly_cidr : MACHINE_DEFAULT_CIDR);
    if (strcmp(m->network, MACHINE_NET_HOSTONLY) == 0) {
        struct machine_cidr net;
        if (machine_cidr_parse(m->hostonly_cidr, &net, err) < 0 ||
            !(m->ip_address = machine_ip_allocate(&net, (const char *const *)t.ips, err)))
            rc = -1;
        m->engine_port = MACHINE_ENGINE_PORT;
        m->ssh_port = MACHINE_SSH_PORT;
    } else {
        m->ip_address = bt_xstrdup("127.0.0.1");
        m->engine_port = machine_port_allocate(USER_ENGINE_PORT, t.ports);
        int more[t.nports + 2];
        memcpy(more, t.ports, t.nports * sizeof(int));
        more[t.nports] = m->engine_port;
        more[t.nports + 1] = 0;
        m->ssh_port = machine_port_allocate(USER_SSH_PORT, more);
        if (!m->engine_port || !m->ssh_port)
            rc = bt_err_set(err, BT_E_CONFLICT, "no free port on 127.0.0.1 for the forwards");
    }
    m->mac_address = machine_mac_allocate((const char *const *)t.macs);
    m->ssh_user = bt_xstrdup("root");
    add_shares(m, o);
    m->accel = bt_xstrdup("");
    m->created = now_rfc3339();
    m->image_version = bt_xstrdup("");
    json_t *drv = machine_driver_config(m);
    if (o->libvirt_uri && *o->libvirt_uri)
        bt_json_set_str(drv, "URI", o->libvirt_uri);
    taken_clear(&t);
    return rc;
}

/* Certificates, copies and the SSH key into the new machine's directory. A generic host's key
 * is the user's (fill_generic copied it); its server certificate is issued again when create
 * learns the host's own name. */
static int make_material(const struct machine_store *s, const struct machine *m, const char *user,
                         bt_err **err)
{
    if (strcmp(m->driver_name, "generic") == 0) {
        if (machine_certs_bootstrap(s->certs_dir, user, false, err) < 0 ||
            machine_certs_issue_server(s->certs_dir, m->dir, m->name, m->ip_address, NULL, user,
                                       err) < 0)
            return bt_err_wrap(err, "Error creating machine: certificates");
        return 0;
    }
    if (machine_certs_bootstrap(s->certs_dir, user, false, err) < 0 ||
        machine_certs_issue_server(s->certs_dir, m->dir, m->name, m->ip_address, NULL, user, err) <
                0)
        return bt_err_wrap(err, "Error creating machine: certificates");
    bt_autofree char *comment = bt_xasprintf("berth@%s", m->name);
    if (machine_sshkey_generate(m->dir, comment, err) < 0)
        return bt_err_wrap(err, "Error creating machine: SSH key");
    return 0;
}

struct machine *machine_create(const struct machine_store *s, const struct machine_create_opts *o,
                               bt_err **err)
{
    if (machine_create_check(o, err) < 0)
        return NULL;
    int lock = machine_store_lock(s, err);
    if (lock < 0)
        return NULL;
    bt_autoptr(machine) m = bt_xzalloc(sizeof(*m));
    m->name = bt_xstrdup(o->name);
    m->dir = bt_xasprintf("%s/%s", s->machines_dir, o->name);
    m->doc = json_object();
    if (mkdir(m->dir, 0700) < 0) {
        if (errno == EEXIST)
            bt_err_set(err, BT_E_CONFLICT, "Berth machine \"%s\" already exists", o->name);
        else
            bt_err_errno(err, errno, "Error creating machine: mkdir \"%s\"", m->dir);
        machine_unlock(lock);
        return NULL;
    }
    bt_autofree char *user = o->user ? bt_xstrdup(o->user) : machine_user_name();
    int rc = fill(s, o, m, err);
    if (rc == 0)
        rc = make_material(s, m, user, err);
    if (rc == 0)
        rc = machine_save(m, err);
    if (rc < 0)
        bt_rm_rf(m->dir, NULL);
    machine_unlock(lock);
    return rc < 0 ? NULL : bt_steal_ptr(&m);
}

bool machine_resumable(const struct machine *m)
{
    json_t *drv = json_object_get(m->doc, "Driver");
    return strcmp(m->driver_name, "generic") == 0 &&
           json_is_true(json_object_get(drv, "Touched")) &&
           !json_is_true(json_object_get(drv, "Provisioned"));
}

struct machine *machine_create_resume(const struct machine_store *s,
                                      const struct machine_create_opts *o, bt_err **err)
{
    if (!is_generic(o) || !machine_exists(s, o->name))
        return NULL;
    bt_autoptr(machine) m = machine_load(s, o->name, NULL);
    if (!m || !machine_resumable(m) || strcmp(m->ip_address, o->generic_ip) != 0) {
        bt_err_set(err, BT_E_CONFLICT, "Berth machine \"%s\" already exists", o->name);
        return NULL;
    }
    /* the unfinished create goes on with its own options: other ones are refused by name */
    const char *user = o->generic_ssh_user && *o->generic_ssh_user ? o->generic_ssh_user : "root";
    int ssh_port = o->generic_ssh_port ? o->generic_ssh_port : MACHINE_SSH_PORT;
    int engine_port = o->generic_engine_port ? o->generic_engine_port : MACHINE_ENGINE_PORT;
    const char *differs = strcmp(m->ssh_user, user) != 0  ? "--generic-ssh-user"
                          : m->ssh_port != ssh_port       ? "--generic-ssh-port"
                          : m->engine_port != engine_port ? "--generic-engine-port"
                                                          : NULL;
    if (differs) {
        bt_err_set(err, BT_E_CONFLICT,
                   "Berth machine \"%s\" is half-provisioned with another %s: run create with "
                   "the options it was made with, or `berth machine rm %s` first",
                   o->name, differs, o->name);
        return NULL;
    }
    return bt_steal_ptr(&m);
}
