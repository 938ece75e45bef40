/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VM of a machine (vm.h): from the store's record to a vm_spec, the image and the disks,
 * create, start with its stages, stop, kill, state and removal. Part of lib/berth/machine-vm.so.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/machine/certs.h"
#include "host/machine/vm-module.h"
#include "host/vm/console.h"
#include "host/vm/disk.h"
#include "host/vm/network.h"
#include "host/vm/probe.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/crypto/digest.h"
#include "shared/json/json.h"
#include "shared/fs/file.h"

/* The image files a machine boots, in NAME/boot2vm/. */
static const char *const image_files[] = {"vmlinux", "vmlinuz", "initrd.img", "manifest.json"};

void mvm_say(const struct machine_io *io, const char *fmt, ...)
{
    if (!io || !io->out)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(io->out, fmt, ap);
    va_end(ap);
    fputc('\n', io->out);
    fflush(io->out);
}

/* ---- the spec ---------------------------------------------------------------------------- */

void mvm_spec_clear(struct mvm_spec *s)
{
    free(s->kernel);
    free(s->initrd);
    free(s->cmdline);
    free(s->data_disk);
    free(s->config_disk);
    free(s->console_log);
    free(s->shares);
    free(s->known_hosts);
    *s = (struct mvm_spec){0};
}

static bool user_net(const struct machine *m)
{
    return strcmp(m->network, MACHINE_NET_USER) == 0;
}

int mvm_spec(const struct machine *m, struct mvm_spec *s, bt_err **err)
{
    if (mgen_is(m))
        return mgen_spec(m, s, err);
    *s = (struct mvm_spec){0};
    struct vm_spec *v = &s->spec;
    bt_autofree char *vmlinux = bt_xasprintf("%s/boot2vm/vmlinux", m->dir);
    /* the uncompressed kernel boots through its PVH entry: half the boot under TCG */
    s->kernel = bt_path_exists(vmlinux) ? bt_steal_ptr(&vmlinux)
                                        : bt_xasprintf("%s/boot2vm/vmlinuz", m->dir);
    s->initrd = bt_xasprintf("%s/boot2vm/initrd.img", m->dir);
    s->cmdline =
            bt_xasprintf("console=ttyS0 panic=-1 quiet cgroup_no_v1=all berth.name=%s", m->name);
    s->data_disk = bt_xasprintf("%s/disk.qcow2", m->dir);
    s->config_disk = bt_xasprintf("%s/config.img", m->dir);
    s->console_log = bt_xasprintf("%s/console.log", m->dir);
    v->name = m->name;
    v->store_dir = m->dir;
    v->cpus = (unsigned)m->cpus;
    v->memory_mb = (unsigned)m->memory_mb;
    v->kernel = s->kernel;
    v->initrd = s->initrd;
    v->cmdline = s->cmdline;
    v->data_disk = s->data_disk;
    v->config_disk = s->config_disk;
    v->console_log = s->console_log;
    v->mac = m->mac_address;
    if (user_net(m)) {
        v->net = VM_NET_USER;
        s->forwards[0] = (struct vm_forward){(uint16_t)m->engine_port, MACHINE_ENGINE_PORT};
        s->forwards[1] = (struct vm_forward){(uint16_t)m->ssh_port, MACHINE_SSH_PORT};
        v->forwards = s->forwards;
        v->n_forwards = 2;
    } else {
        v->net = VM_NET_BRIDGE;
        v->bridge = VM_DEFAULT_BRIDGE;
    }
    s->shares = bt_xreallocarray(NULL, m->nshares + 1, sizeof(*s->shares));
    for (size_t i = 0; i < m->nshares; i++)
        s->shares[i] = (struct vm_share){m->shares[i].tag, m->shares[i].host_path};
    v->shares = s->shares;
    v->n_shares = m->nshares;
    v->accel = strcmp(m->accel, "kvm") == 0 ? VM_ACCEL_KVM : VM_ACCEL_TCG;
    /* QEMU's microvm boots faster (no PCI, no firmware) but only the qemu driver runs it */
    v->machine = strcmp(m->driver_name, "qemu") == 0 ? VM_MACHINE_MICROVM : VM_MACHINE_PC;
    json_t *drv = json_object_get(m->doc, "Driver");
    const char *uri = drv ? json_string_value(json_object_get(drv, "URI")) : NULL;
    v->libvirt_uri = uri && *uri ? uri : NULL;
    return vm_spec_check(v, m->driver_name, err);
}

/* A digest of everything in the spec the driver's definition holds: a start redefines the VM only
 * when it changed (or the definition is missing). libvirt re-probes QEMU's capabilities on a
 * define where /dev/kvm is not usable by its QEMU user, which costs 30 s and more under TCG. */
static char *spec_digest(const struct vm_spec *v)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_appendf(&sb, "%s\n%s\n%u\n%u\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%d\n%s\n%d\n%d\n%s\n",
                      v->name, v->store_dir, v->cpus, v->memory_mb, v->kernel,
                      v->initrd ? v->initrd : "", v->cmdline, v->data_disk ? v->data_disk : "",
                      v->config_disk ? v->config_disk : "", v->console_log, v->mac, (int)v->net,
                      v->bridge ? v->bridge : "", (int)v->accel, (int)v->machine,
                      v->libvirt_uri ? v->libvirt_uri : "");
    for (size_t i = 0; i < v->n_forwards; i++)
        bt_strbuf_appendf(&sb, "fwd %u %u\n", v->forwards[i].host_port, v->forwards[i].guest_port);
    for (size_t i = 0; i < v->n_shares; i++)
        bt_strbuf_appendf(&sb, "share %s %s\n", v->shares[i].tag, v->shares[i].host_path);
    char out[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(sb.buf, sb.len, out);
    return bt_xstrdup(out);
}

/* Define the VM when its definition is missing or older than the record; remember what was
 * defined. */
static int define_if_changed(struct machine *m, const struct vm_driver *d,
                             const struct vm_spec *spec, enum vm_state st, bt_err **err)
{
    bt_autofree char *digest = spec_digest(spec);
    json_t *drv = machine_driver_config(m);
    const char *had = json_string_value(json_object_get(drv, "SpecDigest"));
    if (st != VM_STATE_MISSING && had && strcmp(had, digest) == 0)
        return 0;
    if (d->create(spec, err) < 0)
        return -1;
    bt_json_set_str(drv, "SpecDigest", digest);
    return machine_save(m, err);
}

const struct vm_driver *mvm_driver(const struct machine *m, bt_err **err)
{
    return vm_driver_find(m->driver_name, err);
}

enum machine_state mvm_state_of(enum vm_state s)
{
    switch (s) {
    case VM_STATE_MISSING:
        return MACHINE_STATE_ERROR;
    case VM_STATE_STOPPED:
        return MACHINE_STATE_STOPPED;
    case VM_STATE_RUNNING:
        return MACHINE_STATE_RUNNING;
    case VM_STATE_PAUSED:
        return MACHINE_STATE_PAUSED;
    case VM_STATE_STOPPING:
        return MACHINE_STATE_STOPPING;
    case VM_STATE_ERROR:
        break;
    }
    return MACHINE_STATE_ERROR;
}

int mvm_vm_state(const struct machine *m, int timeout_ms, enum vm_state *out, bt_err **err)
{
    const struct vm_driver *d = mvm_driver(m, err);
    if (!d)
        return -1;
    struct mvm_spec s;
    int rc = mvm_spec(m, &s, err);
    s.remote.timeout_ms = timeout_ms; /* a generic host's SSH dial; the VM drivers answer locally */
    if (rc == 0)
        rc = d->state(&s.spec, out, err);
    mvm_spec_clear(&s);
    return rc;
}

/* ---- the image --------------------------------------------------------------------------- */

static int copy_file(const char *from, const char *to, bt_err **err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return bt_err_errno(err, errno, "open %s", from);
    bt_autofree char *tmp = bt_xasprintf("%s.tmp", to);
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return bt_err_errno(err, errno, "create %s", tmp);
    }
    int rc = 0;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = bt_err_errno(err, errno, "read %s", from);
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = bt_err_errno(err, errno, "write %s", tmp);
                break;
            }
            off += w;
        }
        if (rc < 0)
            break;
    }
    close(in);
    if (close(out) < 0 && rc == 0)
        rc = bt_err_errno(err, errno, "write %s", tmp);
    if (rc == 0 && rename(tmp, to) < 0)
        rc = bt_err_errno(err, errno, "rename %s", tmp);
    if (rc < 0)
        unlink(tmp);
    return rc;
}

/* The image's version, from its manifest.json: the kernel release and the first 12 hex digits
 * of the initrd's SHA-256 ("6.1.0-56-amd64+8c2836b81a8c"): the same image, the same version. */
static char *image_version(const char *dir)
{
    bt_autofree char *manifest = bt_xasprintf("%s/manifest.json", dir);
    json_t *doc = json_load_file(manifest, 0, NULL);
    const char *kernel = json_string_value(json_object_get(doc, "kernel"));
    const char *sha = json_string_value(json_object_get(
            json_object_get(json_object_get(doc, "files"), "initrd.img"), "sha256"));
    char *out = kernel && sha ? bt_xasprintf("%s+%.12s", kernel, sha)
                              : bt_xstrdup(kernel ? kernel : "");
    json_decref(doc);
    return out;
}

int mvm_copy_image(struct machine *m, const char *from, bt_err **err)
{
    bt_autofree char *to = bt_xasprintf("%s/boot2vm", m->dir);
    if (bt_mkdir_p(to, 0755, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(image_files) / sizeof(image_files[0]); i++) {
        bt_autofree char *src = bt_xasprintf("%s/%s", from, image_files[i]);
        bt_autofree char *dst = bt_xasprintf("%s/%s", to, image_files[i]);
        if (!bt_path_exists(src)) {
            unlink(dst); /* a file the new image has not */
            continue;
        }
        if (copy_file(src, dst, err) < 0)
            return bt_err_wrap(err, "copying the image");
    }
    free(m->image_version);
    m->image_version = image_version(to);
    return 0;
}

/* ---- create ------------------------------------------------------------------------------ */

static int decide_accel(struct machine *m, const struct machine_io *io, bt_err **err)
{
    const char *forced = getenv("BERTH_VM_ACCEL");
    if (forced && *forced) {
        if (strcmp(forced, "kvm") != 0 && strcmp(forced, "tcg") != 0)
            return bt_err_set(err, BT_E_INVALID, "invalid BERTH_VM_ACCEL \"%s\": want kvm or tcg",
                              forced);
        free(m->accel);
        m->accel = bt_xstrdup(forced);
        return 0;
    }
    struct mvm_spec s;
    if (mvm_spec(m, &s, err) < 0) {
        mvm_spec_clear(&s);
        return -1;
    }
    bt_autofree char *config = mvm_config_dir(m);
    bt_autofree char *cache = bt_xasprintf("%s/cache/accel.json", config);
    bt_autofree char *cache_dir = bt_xasprintf("%s/cache", config);
    bt_mkdir_p(cache_dir, 0755, NULL);
    struct vm_probe_opts po = {.kernel = s.kernel, .initrd = s.initrd, .cache = cache};
    struct vm_probe_result r = {0};
    int rc = vm_accel_probe(&po, &r, err);
    mvm_spec_clear(&s);
    if (rc < 0)
        return bt_err_wrap(err, "probing for KVM");
    free(m->accel);
    m->accel = bt_xstrdup(r.accel == VM_ACCEL_KVM ? "kvm" : "tcg");
    if (r.accel == VM_ACCEL_TCG && io && io->err)
        fprintf(io->err,
                "Warning: KVM does not run a guest here (%s): the machine runs under QEMU's "
                "emulation (TCG), several times slower.\n",
                r.reason);
    return 0;
}

char *mvm_config_dir(const struct machine *m)
{
    /* m->dir is <config>/machines/NAME */
    bt_autofree char *machines = bt_path_dirname(m->dir);
    return bt_path_dirname(machines);
}

int mvm_create(struct machine *m, const struct machine_io *io, bt_err **err)
{
    if (mgen_is(m))
        return mgen_create(m, io, err);
    bt_autofree char *image = machine_image_dir(err);
    if (!image)
        return -1;
    const struct vm_driver *d = mvm_driver(m, err);
    if (!d)
        return -1;
    mvm_say(io, "(%s) Copying %s to %s/boot2vm...", m->name, image, m->dir);
    if (mvm_copy_image(m, image, err) < 0)
        return -1;
    if (decide_accel(m, io, err) < 0)
        return -1;
    mvm_say(io, "(%s) Creating disk image (%lld MB)...", m->name, (long long)m->disk_size_mb);
    bt_autofree char *disk = bt_xasprintf("%s/disk.qcow2", m->dir);
    if (!bt_path_exists(disk) && vm_data_disk_create(disk, (uint64_t)m->disk_size_mb, err) < 0)
        return -1;
    if (machine_save(m, err) < 0)
        return -1;
    mvm_say(io, "(%s) Creating VM (%s, %s)...", m->name, d->name, m->accel);
    struct mvm_spec s;
    int rc = mvm_spec(m, &s, err);
    if (rc == 0)
        rc = mvm_write_config_disk(m, err);
    if (rc == 0)
        rc = define_if_changed(m, d, &s.spec, VM_STATE_MISSING, err);
    mvm_spec_clear(&s);
    return rc;
}

/* ---- the config disk --------------------------------------------------------------------- */

static int read_file(const char *dir, const char *name, struct bt_strbuf *sb, bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, name);
    return bt_file_read(path, sb, 1 << 20, err);
}

int mvm_write_config_disk(const struct machine *m, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf env_sb = BT_STRBUF_INIT, shares_sb = BT_STRBUF_INIT;
    struct bt_strbuf *env = &env_sb, *shares = &shares_sb;
    char now[32];
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    bt_autofree char *ip = NULL;
    const char *gateway = "", *dns = "";
    if (user_net(m)) {
        /* QEMU's user-mode network: the guest is 10.0.2.15, the host 10.0.2.2 */
        ip = bt_xstrdup("10.0.2.15/24");
        gateway = "10.0.2.2";
        dns = "10.0.2.3";
    } else {
        struct vm_cidr c;
        if (vm_cidr_parse(m->hostonly_cidr, &c, err) < 0)
            return -1;
        ip = bt_xasprintf("%s/%u", m->ip_address, c.prefix);
    }
    for (size_t i = 0; i < m->nshares; i++)
        bt_strbuf_appendf(shares, "%s%s:%s", i ? " " : "", m->shares[i].tag,
                          m->shares[i].guest_path);
    if (vm_config_env_append(env, "BERTH_HOSTNAME", m->name, err) < 0 ||
        vm_config_env_append(env, "BERTH_IP", ip, err) < 0 ||
        vm_config_env_append(env, "BERTH_GATEWAY", gateway, err) < 0 ||
        vm_config_env_append(env, "BERTH_DNS", dns, err) < 0 ||
        vm_config_env_append(env, "BERTH_TIME", now, err) < 0 ||
        vm_config_env_append(env, "BERTH_SHARES", bt_strbuf_str(shares), err) < 0 ||
        vm_config_env_append(env, "BERTH_ENGINE_ARGS", "", err) < 0)
        return -1;
    struct bt_strbuf keys = {0}, ca = {0}, cert = {0}, key = {0};
    int rc = 0;
    if (read_file(m->dir, "id_ed25519.pub", &keys, err) < 0 ||
        read_file(m->dir, "ca.pem", &ca, err) < 0 ||
        read_file(m->dir, "server.pem", &cert, err) < 0 ||
        read_file(m->dir, "server-key.pem", &key, err) < 0)
        rc = -1;
    if (rc == 0) {
        struct vm_config_file files[] = {
                {"machine.env", bt_strbuf_str(env), env->len, 0644},
                {"authorized_keys", bt_strbuf_str(&keys), keys.len, 0600},
                {"tls/ca.pem", bt_strbuf_str(&ca), ca.len, 0644},
                {"tls/server.pem", bt_strbuf_str(&cert), cert.len, 0644},
                {"tls/server-key.pem", bt_strbuf_str(&key), key.len, 0600},
        };
        bt_autofree char *path = bt_xasprintf("%s/config.img", m->dir);
        rc = vm_config_disk_write(path, files, sizeof(files) / sizeof(files[0]), err);
    }
    bt_strbuf_free(&keys);
    bt_strbuf_free(&ca);
    bt_strbuf_free(&cert);
    bt_strbuf_free(&key);
    return rc;
}

/* ---- start ------------------------------------------------------------------------------- */

/* A stage's timeout in ms: $BERTH_MACHINE_STAGE_TIMEOUT (seconds) overrides them all. */
static int stage_timeout(int seconds)
{
    const char *env = getenv("BERTH_MACHINE_STAGE_TIMEOUT");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v > 0 && v < 3600)
            seconds = (int)v;
    }
    return seconds * 1000;
}

struct alive_ctx {
    const struct vm_driver *d;
    const struct vm_spec *spec;
    int polls;
};

/* Ask the driver every 20 polls (1 s) whether the VM still runs. */
static bool alive(void *arg)
{
    struct alive_ctx *a = arg;
    if (a->polls++ % 20 != 0)
        return true;
    enum vm_state st;
    if (a->d->state(a->spec, &st, NULL) < 0)
        return true;
    return st == VM_STATE_RUNNING || st == VM_STATE_PAUSED;
}

/* The failure of a stage: what it waited for, and the end of the console. */
static int stage_failed(const struct machine *m, const char *stage, bt_err **err)
{
    int code = *err ? bt_err_code(*err) : BT_E_UNAVAILABLE;
    bt_autofree char *why = bt_xstrdup(*err ? bt_err_msg(*err) : "failed");
    bt_err_clear(err);
    bt_autofree char *log = bt_xasprintf("%s/console.log", m->dir);
    bt_autofree char *tail = vm_console_tail(log, 15, NULL);
    if (tail && *tail)
        return bt_err_set(err, code,
                          "Error starting machine \"%s\": stage \"%s\": %s\n"
                          "The last lines of the console (%s):\n%s",
                          m->name, stage, why, log, tail);
    return bt_err_set(err, code, "Error starting machine \"%s\": stage \"%s\": %s", m->name, stage,
                      why);
}

static int wait_marker(const struct machine *m, struct alive_ctx *a, const char *stage,
                       const char *marker, int seconds, char **line, bt_err **err)
{
    bt_autofree char *log = bt_xasprintf("%s/console.log", m->dir);
    struct vm_console_wait_opts o = {.path = log,
                                     .marker = marker,
                                     .timeout_ms = stage_timeout(seconds),
                                     .alive = alive,
                                     .ctx = a};
    char *got = NULL;
    if (vm_console_wait_full(&o, &got, err) < 0) {
        free(got);
        return stage_failed(m, stage, err);
    }
    if (line)
        *line = got;
    else
        free(got);
    return 0;
}

/* Re-issue the server certificate when it no longer names the machine's address. */
static int check_certs(const struct machine *m, const struct machine_io *io, bt_err **err)
{
    bool ok = false;
    bt_autofree char *why = NULL;
    if (machine_certs_server_ok(m->dir, m->ip_address, &ok, &why, err) < 0)
        return -1;
    if (ok)
        return 0;
    mvm_say(io, "(%s) Regenerating the engine's certificate: %s", m->name, why ? why : "");
    bt_autofree char *user = machine_user_name();
    bt_autofree char *config = mvm_config_dir(m);
    bt_autofree char *certs = bt_xasprintf("%s/certs", config);
    return machine_certs_issue_server(certs, m->dir, m->name, m->ip_address, NULL, user, err);
}

int mvm_start(struct machine *m, const struct machine_io *io, bt_err **err)
{
    if (mgen_is(m))
        return mgen_start(m, io, err);
    const struct vm_driver *d = mvm_driver(m, err);
    if (!d)
        return -1;
    struct mvm_spec s;
    if (mvm_spec(m, &s, err) < 0) {
        mvm_spec_clear(&s);
        return -1;
    }
    int rc = -1;
    bt_autofree char *net = NULL;
    struct alive_ctx a = {.d = d, .spec = &s.spec};
    bool kvm = s.spec.accel == VM_ACCEL_KVM;
    enum vm_state st = VM_STATE_MISSING;
    if (d->state(&s.spec, &st, err) < 0)
        goto out;
    if (st == VM_STATE_RUNNING || st == VM_STATE_PAUSED) {
        bt_err_set(err, BT_E_NOT_MODIFIED, "Machine \"%s\" is already running.", m->name);
        goto out;
    }
    mvm_say(io, "Starting \"%s\"...", m->name);
    if (!user_net(m) && vm_bridge_ensure(VM_DEFAULT_BRIDGE, m->hostonly_cidr, err) < 0) {
        bt_err_wrap(err, "Error starting machine \"%s\": host-only network", m->name);
        goto out;
    }
    if (check_certs(m, io, err) < 0 || mvm_write_config_disk(m, err) < 0)
        goto out;
    /* define: the domain again when the record changed or the domain is missing */
    if (define_if_changed(m, d, &s.spec, st, err) < 0 || d->start(&s.spec, err) < 0) {
        stage_failed(m, "define", err);
        goto out;
    }
    if (wait_marker(m, &a, "boot", "berth-stage: init", kvm ? 15 : 60, NULL, err) < 0)
        goto out;
    mvm_say(io, "(%s) Waiting for an IP...", m->name);
    if (wait_marker(m, &a, "network", "berth-stage: network", 30, &net, err) < 0)
        goto out;
    if (wait_marker(m, &a, "sshd", "berth-stage: sshd", 30, NULL, err) < 0)
        goto out;
    mvm_say(io, "(%s) Waiting for the engine...", m->name);
    if (wait_marker(m, &a, "engine", "berth-stage: engine", 60, NULL, err) < 0)
        goto out;
    /* the engine as the client reaches it: over the network, with mutual TLS */
    if (mvm_engine_wait(m, stage_timeout(60), err) < 0) {
        stage_failed(m, "engine", err);
        goto out;
    }
    mfwd_start(m); /* published ports on 127.0.0.1 too */
    mvm_say(io, "Machine \"%s\" was started.", m->name);
    rc = 0;
out:
    mvm_spec_clear(&s);
    return rc;
}

/* ---- stop, kill, remove ------------------------------------------------------------------ */

static int running_or_not_modified(const struct machine *m, const struct vm_driver *d,
                                   const struct vm_spec *spec, bt_err **err)
{
    enum vm_state st;
    if (d->state(spec, &st, err) < 0)
        return -1;
    if (st != VM_STATE_RUNNING && st != VM_STATE_PAUSED && st != VM_STATE_STOPPING)
        return bt_err_set(err, BT_E_NOT_MODIFIED, "Machine \"%s\" is already stopped.", m->name);
    return 0;
}

int mvm_stop(struct machine *m, const struct machine_io *io, bt_err **err)
{
    const struct vm_driver *d = mvm_driver(m, err);
    if (!d)
        return -1;
    struct mvm_spec s;
    int rc = mvm_spec(m, &s, err);
    if (rc == 0)
        rc = running_or_not_modified(m, d, &s.spec, err);
    if (rc == 0) {
        mvm_say(io, "Stopping \"%s\"...", m->name);
        int seconds = 30;
        const char *env = getenv("BERTH_MACHINE_STOP_TIMEOUT");
        if (env && atoi(env) > 0)
            seconds = atoi(env);
        bool forced = false;
        if (!mgen_is(m))
            mfwd_stop(m);
        rc = d->stop(&s.spec, seconds * 1000, &forced, err);
        if (rc == 0 && forced && io && io->err)
            fprintf(io->err, "(%s) The guest did not power off within %d s: forced off.\n", m->name,
                    seconds);
        if (rc == 0)
            mvm_say(io, "Machine \"%s\" was stopped.", m->name);
    }
    mvm_spec_clear(&s);
    return rc;
}

int mvm_kill(struct machine *m, bt_err **err)
{
    const struct vm_driver *d = mvm_driver(m, err);
    if (!d)
        return -1;
    struct mvm_spec s;
    int rc = mvm_spec(m, &s, err);
    if (rc == 0)
        rc = running_or_not_modified(m, d, &s.spec, err);
    if (rc == 0 && !mgen_is(m))
        mfwd_stop(m);
    if (rc == 0)
        rc = d->kill(&s.spec, err);
    mvm_spec_clear(&s);
    return rc;
}

int mvm_remove(void *ctx, const struct machine *m, bool purge, bt_err **err)
{
    (void)ctx;
    const struct vm_driver *d = mvm_driver(m, err);
    if (!d)
        return -1;
    /* a generic host that create never reached has nothing of Berth's */
    json_t *drv = json_object_get(m->doc, "Driver");
    if (mgen_is(m) && !json_is_true(json_object_get(drv, "Touched")))
        return 0;
    mfwd_stop(m);
    struct mvm_spec s;
    /* a record the spec check refuses (a missing image) still names the domain to remove */
    mvm_spec(m, &s, NULL);
    s.remote.purge = purge;
    int rc = d->remove(&s.spec, err);
    mvm_spec_clear(&s);
    return rc;
}

int mvm_live_state(void *ctx, const struct machine *m, int timeout_ms, enum machine_state *out,
                   bt_err **err)
{
    (void)ctx;
    enum vm_state st;
    if (mvm_vm_state(m, timeout_ms, &st, err) < 0) {
        *out = MACHINE_STATE_ERROR;
        return -1;
    }
    *out = mvm_state_of(st);
    if (st == VM_STATE_MISSING)
        return bt_err_set(err, BT_E_NOT_FOUND,
                          mgen_is(m) ? "the host of machine \"%s\" has no Berth engine service"
                                     : "the VM of machine \"%s\" does not exist",
                          m->name);
    return 0;
}

int mvm_upgrade(struct machine *m, const struct machine_io *io, bt_err **err)
{
    if (mgen_is(m))
        return mgen_upgrade(m, io, err);
    bt_autofree char *image = machine_image_dir(err);
    if (!image)
        return -1;
    enum vm_state st;
    if (mvm_vm_state(m, 0, &st, err) < 0)
        return -1;
    bool was_running = st == VM_STATE_RUNNING || st == VM_STATE_PAUSED;
    if (was_running && mvm_stop(m, io, err) < 0)
        return -1;
    mvm_say(io, "(%s) Copying %s to %s/boot2vm...", m->name, image, m->dir);
    if (mvm_copy_image(m, image, err) < 0 || machine_save(m, err) < 0)
        return -1;
    if (was_running)
        return mvm_start(m, io, err);
    return 0;
}
