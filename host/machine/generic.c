/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generic driver's machines (generic.h): provisioning an existing Linux host over SSH, as
 * named steps that each look at the host first, so a `create` run again after a failure
 * finishes the job and a second run changes nothing:
 *
 *   detect    one script as the SSH user: architecture, distribution, host name, home, uid,
 *             systemd, apt, a running dockerd, the SHA-256 of Berth's installed programs, the
 *             packages of remote-host.txt that are missing; makes ~/.berth-staging
 *   checks    the user is root or sudo works without a password; apt; the architecture is this
 *             build's; no dockerd runs and no other machine's marker is there (unless --force)
 *   packages  apt-get install of the missing ones (skipped when none is)
 *   upload    the programs whose SHA-256 differs, the TLS files (the server certificate issued
 *             for the host's address and name), over SFTP into the staging directory
 *   install   one root script: what changed moved into place atomically (a new berthd only
 *             once it ran there: a library missing says so), the marker /etc/berth/machine,
 *             the service (vm_remote_service_script: systemd unit or init script), and a
 *             running berthd stopped when its program was replaced (now or by an interrupted
 *             run)
 *   start     the driver's start, then /_ping over mutual TLS; the record is marked
 *             provisioned
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "generated/remote-packages.h"
#include "host/machine/certs.h"
#include "host/machine/generic.h"
#include "host/machine/vm-module.h"
#include "host/transport/transport.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/fs/self.h"
#include "shared/json/json.h"

#define STAGING ".berth-staging" /* in the SSH user's home */
/* Shell: an empty staging directory, and the home it is in printed as home=... */
#define FRESH_STAGING \
    "rm -rf \"$HOME/" STAGING "\" && mkdir -m 700 \"$HOME/" STAGING "\" && echo \"home=$HOME\"\n"

static const char *const programs[] = {"berthd", "berth-monitor", "berth-init"};
static const char *const tls_files[] = {"ca.pem", "server.pem", "server-key.pem"};

static const struct vm_driver *gen_driver(void)
{
    return vm_driver_find("generic", NULL);
}

bool mgen_is(const struct machine *m)
{
    return m->driver_name && strcmp(m->driver_name, "generic") == 0;
}

int mgen_spec(const struct machine *m, struct mvm_spec *s, bt_err **err)
{
    *s = (struct mvm_spec){0};
    json_t *drv = json_object_get(m->doc, "Driver");
    const char *key = drv ? bt_json_get_str(drv, "SSHKeyPath", "") : "";
    s->known_hosts = bt_xasprintf("%s/known_hosts", m->dir);
    s->remote = (struct vm_remote){.host = m->ip_address,
                                   .ssh_port = m->ssh_port,
                                   .ssh_user = m->ssh_user,
                                   .identity_file = *key ? key : NULL,
                                   .known_hosts = s->known_hosts,
                                   .engine_port = m->engine_port};
    s->spec.name = m->name;
    s->spec.store_dir = m->dir;
    s->spec.remote = &s->remote;
    return vm_spec_check(&s->spec, "generic", err);
}

/* ---- detect ------------------------------------------------------------------------------ */

static char *detect_script(void)
{
    return bt_xasprintf(
            "umask 077\n"
            "echo \"arch=$(uname -m)\"\n"
            "if [ -r /etc/os-release ]; then . /etc/os-release; echo \"os_id=${ID:-}\"; "
            "echo \"os_like=${ID_LIKE:-}\"; echo \"os_version=${VERSION_ID:-}\"; "
            "echo \"os_name=${PRETTY_NAME:-}\"; fi\n"
            "echo \"hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)\"\n"
            "echo \"uid=$(id -u)\"\n"
            "[ -d /run/systemd/system ] && echo systemd=1\n"
            "command -v apt-get >/dev/null && command -v dpkg-query >/dev/null && echo apt=1\n"
            "for f in /proc/[0-9]*/comm; do\n"
            "    { read -r c <\"$f\"; } 2>/dev/null || continue\n"
            "    if [ \"$c\" = dockerd ]; then p=${f#/proc/}; echo \"dockerd=${p%%/comm}\"; "
            "break; fi\n"
            "done\n"
            "for b in berthd berth-monitor berth-init; do\n"
            "    [ -f " VM_REMOTE_BIN_DIR "/$b ] && echo \"sha_$b=$(sha256sum " VM_REMOTE_BIN_DIR
            "/$b | cut -d' ' -f1)\"\n"
            "done\n"
            /* one dpkg-query for all: the installed first, then the wanted */
            "if command -v dpkg-query >/dev/null; then\n"
            "    PKGS='%s'\n"
            "    { dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' $PKGS 2>/dev/null |\n"
            "        awk '$2 == \"ii\" { print \"ok\", $1 }'\n"
            "      for p in $PKGS; do echo \"want $p\"; done; } |\n"
            "        awk '$1 == \"ok\" { ok[$2] = 1 } $1 == \"want\" && !ok[$2] { print "
            "\"missing=\" $2 }'\n"
            "fi\n"
            "[ -r " VM_REMOTE_ETC_DIR "/machine ] && echo \"marker=$(head -n 1 " VM_REMOTE_ETC_DIR
            "/machine)\"\n" FRESH_STAGING,
            REMOTE_PACKAGES);
}

/* The SSH user's home as the host printed it: absolute and safe inside '...'. */
static bool home_ok(const struct gen_facts *f)
{
    return f->home && f->home[0] == '/' && gen_word_ok(f->home);
}

static int detect(const struct vm_remote *r, struct gen_facts *f, bt_err **err)
{
    bt_autofree char *script = detect_script();
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (vm_remote_run_user(r, "detect the host", script, &out, err) < 0)
        return -1;
    gen_facts_parse(out.len ? bt_strbuf_str(&out) : "", out.len, f);
    if (!home_ok(f) || !f->arch)
        return bt_err_set(err, BT_E_INTERNAL,
                          "detect the host: its answer lacks the home directory or the "
                          "architecture (is its login shell a POSIX shell?)");
    return 0;
}

/* The SHA-256 of a local file into d ("sha256:HEX"); false when it cannot be read. */
static bool file_sha256(const char *path, char d[BT_DIGEST_STR_SIZE])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    int rc = bt_sha256_fd(fd, d, NULL);
    bt_fd_close(fd);
    return rc == 0;
}

/* The marker /etc/berth/machine: which machine of which client (its CA) owns the host. */
static char *marker(const struct machine *m)
{
    bt_autofree char *ca = bt_xasprintf("%s/ca.pem", m->dir);
    char d[BT_DIGEST_STR_SIZE];
    bool ok = file_sha256(ca, d);
    return bt_xasprintf("berth machine %s, driver generic, ca %.16s", m->name,
                        ok ? bt_digest_hex(d) : "?");
}

static int check_host(const struct machine *m, const struct vm_remote *r, const struct gen_facts *f,
                      const struct machine_io *io, bt_err **err)
{
    if (f->uid != 0 && vm_remote_run(r, "run commands as root", "true\n", NULL, err) < 0)
        return bt_err_wrap(err, "the SSH user \"%s\" is not root and sudo asks for a password",
                           m->ssh_user);
    if (gen_facts_check_distro(f, err) < 0)
        return -1;
    struct utsname u;
    uname(&u);
    if (strcmp(u.machine, f->arch) != 0)
        return bt_err_set(err, BT_E_UNSUPPORTED,
                          "the host is %s and this berth has berthd for %s only: build Berth "
                          "for %s",
                          f->arch, u.machine, f->arch);
    bool force = (io && io->force) ||
                 json_is_true(json_object_get(json_object_get(m->doc, "Driver"), "Force"));
    if (f->dockerd_pid && !force)
        return bt_err_set(err, BT_E_CONFLICT,
                          "the host runs Docker's dockerd (pid %d): Berth leaves it alone. Stop "
                          "it, or run create with --force to install berthd beside it",
                          f->dockerd_pid);
    bt_autofree char *mark = marker(m);
    if (f->marker && *f->marker && strcmp(f->marker, mark) != 0 && !force)
        return bt_err_set(err, BT_E_CONFLICT,
                          "the host is already a Berth machine of another name or client "
                          "(/etc/berth/machine: \"%s\"): run create with --force to take it "
                          "over",
                          f->marker);
    return 0;
}

static int install_packages(const struct machine *m, const struct vm_remote *r,
                            const struct gen_facts *f, const struct machine_io *io, bt_err **err)
{
    if (!f->missing)
        return 0;
    bt_autostrbuf struct bt_strbuf list = BT_STRBUF_INIT;
    for (size_t i = 0; f->missing[i]; i++) {
        bt_autofree char *word = bt_xasprintf(" %s ", f->missing[i]);
        if (!gen_word_ok(f->missing[i]) || strchr(f->missing[i], ' ') ||
            !strstr(" " REMOTE_PACKAGES " ", word))
            return bt_err_set(err, BT_E_INTERNAL,
                              "detect the host: a package Berth did not ask about: \"%s\"",
                              f->missing[i]);
        bt_strbuf_appendf(&list, " '%s'", f->missing[i]);
    }
    mvm_say(io, "(%s) Installing%s...", m->name, bt_strbuf_str(&list));
    bt_autofree char *script =
            bt_xasprintf("export DEBIAN_FRONTEND=noninteractive\n"
                         "apt-get update -qq >/dev/null || exit 1\n"
                         "apt-get install -y -qq --no-install-recommends%s >/dev/null\n",
                         bt_strbuf_str(&list));
    return vm_remote_run(r, "install berthd's dependencies with apt-get", script, NULL, err);
}

/* ---- upload and install -------------------------------------------------------------------- */

static char *local_program(const char *name, bt_err **err)
{
    bt_autofree char *dir = bt_self_dir();
    char *path = dir ? bt_xasprintf("%s/%s", dir, name) : NULL;
    if (!path || !bt_path_exists(path)) {
        bt_err_set(err, BT_E_NOT_FOUND, "%s is not beside berth (in %s): build it", name,
                   dir ? dir : "?");
        free(path);
        return NULL;
    }
    return path;
}

static bool same_sha(const char *path, const char *remote_sha)
{
    char d[BT_DIGEST_STR_SIZE];
    return remote_sha && file_sha256(path, d) && strcmp(bt_digest_hex(d), remote_sha) == 0;
}

/* The machine's TLS files for the host (ca.pem, server.pem, server-key.pem), pushed on *files. */
static void push_tls_files(const struct machine *m, char ***files)
{
    for (size_t i = 0; i < sizeof(tls_files) / sizeof(tls_files[0]); i++) {
        bt_autofree char *p = bt_xasprintf("%s/%s", m->dir, tls_files[i]);
        bt_strv_push(files, p);
    }
}

/* The local files to send: the programs that differ from the host's, and the TLS files. */
static int staged_files(const struct machine *m, const struct gen_facts *f, char ***files,
                        bt_err **err)
{
    const char *shas[] = {f->sha_berthd, f->sha_monitor, f->sha_init};
    for (size_t i = 0; i < 3; i++) {
        bt_autofree char *p = local_program(programs[i], err);
        if (!p)
            return -1;
        if (!same_sha(p, shas[i]))
            bt_strv_push(files, p);
    }
    push_tls_files(m, files);
    return 0;
}

static int upload(const struct vm_remote *r, char **files, bt_err **err)
{
    struct tp_ssh_opts o;
    vm_remote_ssh_opts(r, &o);
    struct tp_sftp *f = tp_sftp_open(&o, err);
    if (!f)
        return bt_err_wrap(err, "copy files to the host");
    int rc = 0;
    for (size_t i = 0; rc == 0 && files[i]; i++)
        rc = tp_sftp_put(f, files[i], STAGING, false, err);
    tp_sftp_close(f);
    return rc < 0 ? bt_err_wrap(err, "copy files to the host") : 0;
}

/* Move what changed into place (as root), a new berthd only once it ran on the host; prints
 * changed=1 when anything changed. stale=1 when the running berthd is not the installed one
 * (replaced by this run or an interrupted one). */
static char *install_script(const struct machine *m, const struct gen_facts *f)
{
    bt_autofree char *mark = marker(m);
    return bt_xasprintf(
            "set -e\numask 022\n"
            "S='%s/" STAGING "'\n"
            "trap 'rm -rf \"$S\"' EXIT\n"
            "changed=0\n"
            "mkdir -p " VM_REMOTE_BIN_DIR " " VM_REMOTE_DATA_DIR "\n"
            "mkdir -p -m 700 " VM_REMOTE_TLS_DIR "\n"
            "put() {\n"
            "    [ -f \"$S/$1\" ] || return 0\n"
            "    cmp -s \"$S/$1\" \"$2/$1\" && return 0\n"
            "    install -m \"$3\" -o root -g root \"$S/$1\" \"$2/.$1.new\"\n"
            "    if [ \"$1\" = berthd ] && ! out=$(\"$2/.$1.new\" --version 2>&1); then\n"
            "        rm -f \"$2/.$1.new\"\n"
            "        echo \"berthd does not run on this host: $out\" >&2\n"
            "        exit 1\n"
            "    fi\n"
            "    mv -f \"$2/.$1.new\" \"$2/$1\"\n"
            "    changed=1\n"
            "}\n"
            "put berthd " VM_REMOTE_BIN_DIR " 755\n"
            "put berth-monitor " VM_REMOTE_BIN_DIR " 755\n"
            "put berth-init " VM_REMOTE_BIN_DIR " 755\n"
            "put ca.pem " VM_REMOTE_TLS_DIR " 644\n"
            "put server.pem " VM_REMOTE_TLS_DIR " 644\n"
            "put server-key.pem " VM_REMOTE_TLS_DIR " 600\n"
            "echo '%s' >" VM_REMOTE_ETC_DIR "/machine\n"
            "stale=$changed\n"
            "pid=$(cat " VM_REMOTE_PIDFILE " 2>/dev/null || true)\n"
            "case $(readlink \"/proc/${pid:-0}/exe\" 2>/dev/null) in *' (deleted)') stale=1 ;; "
            "esac\n"
            "echo \"changed=$changed\"\n",
            f->home, mark);
}

/* The server certificate names the host's address and its own name: issued again when it
 * does not (a first create, a host renamed), else kept, so a second run changes nothing. */
static int issue_certs(struct machine *m, const struct gen_facts *f, bt_err **err)
{
    bt_autofree char *user = machine_user_name();
    bt_autofree char *config = mvm_config_dir(m);
    bt_autofree char *certs = bt_xasprintf("%s/certs", config);
    const char *host = gen_hostname_ok(f->hostname) ? f->hostname : NULL;
    json_t *drv = machine_driver_config(m);
    const char *had = bt_json_get_str(drv, "HostName", NULL);
    bool ok = false;
    bt_autofree char *why = NULL;
    if (host && had && strcmp(host, had) == 0 &&
        machine_certs_server_ok(m->dir, m->ip_address, &ok, &why, NULL) == 0 && ok)
        return 0;
    if (host)
        bt_json_set_str(drv, "HostName", host);
    return machine_certs_issue_server(certs, m->dir, m->name, m->ip_address, host, user, err);
}

/* Upload and install; the service written in the same session, and a running berthd stopped
 * when its files changed (the next start runs the new ones). */
static int install(struct machine *m, const struct vm_remote *r, const struct gen_facts *f,
                   const struct machine_io *io, bool *stopped, bt_err **err)
{
    bt_autostrv char **files = NULL;
    mvm_say(io, "Copying certs to the local machine directory...");
    if (issue_certs(m, f, err) < 0 || staged_files(m, f, &files, err) < 0)
        return -1;
    mvm_say(io, "Copying certs to the remote machine...");
    if (upload(r, files, err) < 0)
        return -1;
    bt_autofree char *files_script = install_script(m, f);
    bt_autofree char *service = vm_remote_service_script(r, m->name);
    bt_autofree char *script =
            bt_xasprintf("%s%sif [ \"$stale\" = 1 ] && [ -e " VM_REMOTE_PIDFILE " ]; then\n"
                         "    " VM_REMOTE_SERVICE_STOP "    echo stopped=1\n"
                         "fi\n",
                         files_script, service);
    mvm_say(io, "Setting Berth configuration on the remote daemon...");
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (vm_remote_run(r, "install berthd", script, &out, err) < 0)
        return -1;
    /* stopped: the engine must start again (its files changed, now or in a run that failed
     * after replacing them) */
    *stopped = strstr(out.len ? bt_strbuf_str(&out) : "", "stopped=1") != NULL;
    return 0;
}

/* ---- the verbs ----------------------------------------------------------------------------- */

static int provision(struct machine *m, const struct mvm_spec *s, const struct machine_io *io,
                     bool *stopped, bt_err **err)
{
    struct gen_facts f = {.uid = -1};
    mvm_say(io, "(%s) Waiting for SSH to be available...", m->name);
    int rc = detect(&s->remote, &f, err);
    if (rc == 0) {
        mvm_say(io, "Detecting the provisioner...");
        rc = check_host(m, &s->remote, &f, io, err);
        if (rc < 0) /* the host stays as it was: the staging directory goes */
            vm_remote_run_user(&s->remote, "clean up", "rm -rf \"$HOME/" STAGING "\"\n", NULL,
                               NULL);
    }
    if (rc == 0) {
        /* from here on the host changes: a failure leaves the record for a second create */
        json_t *drv = machine_driver_config(m);
        json_object_set_new(drv, "Touched", json_true());
        if (io && io->force)
            json_object_set_new(drv, "Force", json_true());
        bt_json_set_str(drv, "OS", f.os_name ? f.os_name : f.os_id ? f.os_id : "");
        rc = machine_save(m, err);
        mvm_say(io, "Provisioning with %s...", f.os_name ? f.os_name : f.os_id);
    }
    if (rc == 0)
        rc = install_packages(m, &s->remote, &f, io, err);
    if (rc == 0)
        rc = install(m, &s->remote, &f, io, stopped, err);
    gen_facts_clear(&f);
    return rc;
}

int mgen_create(struct machine *m, const struct machine_io *io, bt_err **err)
{
    struct mvm_spec s;
    int rc = mgen_spec(m, &s, err);
    bool stopped = false; /* the start that follows starts it again */
    if (rc == 0)
        rc = provision(m, &s, io, &stopped, err);
    if (rc == 0)
        rc = machine_save(m, err);
    mvm_spec_clear(&s);
    return rc;
}

static bool provisioned(struct machine *m)
{
    return json_is_true(json_object_get(machine_driver_config(m), "Provisioned"));
}

int mgen_start(struct machine *m, const struct machine_io *io, bt_err **err)
{
    struct mvm_spec s;
    int rc = mgen_spec(m, &s, err);
    mvm_say(io, "Starting \"%s\"...", m->name);
    if (rc == 0 && gen_driver()->start(&s.spec, err) < 0) {
        rc = -1;
        /* running already: done, unless a create is finishing */
        if (bt_err_is(*err, BT_E_NOT_MODIFIED)) {
            if (provisioned(m))
                bt_err_set(err, BT_E_NOT_MODIFIED, "Machine \"%s\" is already running.", m->name);
            else {
                bt_err_clear(err);
                rc = 0;
            }
        }
    }
    if (rc == 0) {
        mvm_say(io, "Checking connection to Berth...");
        rc = mvm_engine_wait(m, 30000, err);
    }
    if (rc == 0 && !provisioned(m)) {
        json_object_set_new(machine_driver_config(m), "Provisioned", json_true());
        rc = machine_save(m, err);
    }
    if (rc == 0)
        mvm_say(io, "Machine \"%s\" was started.", m->name);
    mvm_spec_clear(&s);
    return rc;
}

/* Replace the programs on the host with this build's (the engine restarted when it ran; the
 * containers keep running under their monitors). */
int mgen_upgrade(struct machine *m, const struct machine_io *io, bt_err **err)
{
    struct mvm_spec s;
    const struct vm_driver *d = gen_driver();
    enum vm_state st = VM_STATE_MISSING;
    bool stopped = false;
    int rc = mgen_spec(m, &s, err);
    if (rc == 0)
        rc = d->state(&s.spec, &st, err);
    if (rc == 0)
        rc = provision(m, &s, io, &stopped, err); /* stops the engine when files changed */
    if (rc == 0 && stopped && st == VM_STATE_RUNNING) {
        mvm_say(io, "Restarting the engine of \"%s\"...", m->name);
        rc = d->start(&s.spec, err);
        if (rc == 0)
            rc = mvm_engine_wait(m, 30000, err);
    }
    if (rc == 0)
        rc = machine_save(m, err);
    mvm_spec_clear(&s);
    return rc;
}

/* regenerate-certs on a running host: the TLS files sent and berthd restarted. */
int mgen_apply_certs(const struct machine *m, bt_err **err)
{
    struct mvm_spec s;
    const struct vm_driver *d = gen_driver();
    int rc = mgen_spec(m, &s, err);
    bt_autostrv char **files = NULL;
    push_tls_files(m, &files);
    struct gen_facts f = {.uid = -1};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (rc == 0)
        rc = vm_remote_run_user(&s.remote, "prepare the copy", "umask 077\n" FRESH_STAGING, &out,
                                err);
    if (rc == 0) {
        gen_facts_parse(bt_strbuf_str(&out), out.len, &f);
        if (!home_ok(&f))
            rc = bt_err_set(err, BT_E_INTERNAL, "the host did not name its home directory");
    }
    if (rc == 0)
        rc = upload(&s.remote, files, err);
    bt_autofree char *script = rc == 0 ? install_script(m, &f) : NULL;
    if (rc == 0)
        rc = vm_remote_run(&s.remote, "install the certificates", script, NULL, err);
    if (rc == 0)
        rc = d->stop(&s.spec, 15000, NULL, err);
    if (rc == 0)
        rc = d->start(&s.spec, err);
    if (rc == 0)
        rc = mvm_engine_wait(m, 30000, err);
    gen_facts_clear(&f);
    mvm_spec_clear(&s);
    return rc;
}
