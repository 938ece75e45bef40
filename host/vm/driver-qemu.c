/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The qemu driver: qemu-system-x86_64 run by Berth itself, daemonized. Its files in the
 * machine's store directory:
 *
 *   qemu.json   the definition create wrote: QEMU's argv and the tap to make for it
 *   qemu.pid    QEMU's pid (-pidfile), while it runs
 *   qmp.sock    QMP (-mon mode=control), for the power button, quit and the run state
 *
 * A pid file is only believed when /proc/PID/cmdline names that same pid file: a stale file
 * whose pid was reused by another process is never signalled.
 *
 * Host-only networking: Berth opens the tap itself (TUNSETIFF), adds it to the bridge and hands
 * QEMU the fd (-netdev tap,fd=3), so QEMU needs no helper and no script; the tap is not
 * persistent and disappears when QEMU exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/vm/driver.h"
#include "host/vm/network.h"
#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define DEF_FILE "qemu.json"
#define PID_FILE "qemu.pid"
#define QMP_FILE "qmp.sock"

#define QMP_TIMEOUT_MS   2000
#define START_TIMEOUT_MS 60000
#define POLL_MS          50

struct paths {
    char *def, *pid, *qmp;
};

static void paths_init(struct paths *p, const struct vm_spec *s)
{
    p->def = bt_xasprintf("%s/" DEF_FILE, s->store_dir);
    p->pid = bt_xasprintf("%s/" PID_FILE, s->store_dir);
    p->qmp = bt_xasprintf("%s/" QMP_FILE, s->store_dir);
}

static void paths_free(struct paths *p)
{
    free(p->def);
    free(p->pid);
    free(p->qmp);
}
#define autopaths __attribute__((cleanup(paths_free))) struct paths

/* True when pid runs (not a zombie) with "-pidfile PIDFILE" in its argv. */
static bool is_ours(pid_t pid, const char *pidfile)
{
    bt_autofree char *path = bt_xasprintf("/proc/%d/cmdline", (int)pid);
    struct bt_strbuf cmd = BT_STRBUF_INIT;
    bool ours = false;
    if (bt_file_read(path, &cmd, 1 << 20, NULL) == 0) {
        for (size_t i = 0; i < cmd.len;) {
            const char *arg = cmd.buf + i;
            size_t n = strnlen(arg, cmd.len - i);
            if (strcmp(arg, "-pidfile") == 0 && i + n + 1 < cmd.len &&
                strcmp(arg + n + 1, pidfile) == 0)
                ours = true;
            i += n + 1;
        }
    }
    bt_strbuf_free(&cmd);
    if (!ours)
        return false;
    bt_autofree char *statp = bt_xasprintf("/proc/%d/stat", (int)pid);
    struct bt_strbuf st = BT_STRBUF_INIT;
    if (bt_file_read(statp, &st, 4096, NULL) == 0) {
        const char *paren = strrchr(bt_strbuf_str(&st), ')');
        if (paren && paren[1] == ' ' && paren[2] == 'Z')
            ours = false;
    }
    bt_strbuf_free(&st);
    return ours;
}

/* QEMU's pid when it runs, else 0. */
static pid_t running_pid(const struct paths *p)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    pid_t pid = 0;
    if (bt_file_read(p->pid, &sb, 64, NULL) == 0) {
        long v = strtol(bt_strbuf_str(&sb), NULL, 10);
        if (v > 0 && is_ours((pid_t)v, p->pid))
            pid = (pid_t)v;
    }
    bt_strbuf_free(&sb);
    return pid;
}

static bool wait_gone(pid_t pid, const char *pidfile, int timeout_ms)
{
    long long deadline = vm_now_ms() + timeout_ms;
    while (is_ours(pid, pidfile)) {
        if (vm_now_ms() >= deadline)
            return false;
        vm_sleep_ms(POLL_MS);
    }
    return true;
}

static int qmp_command(const struct paths *p, const char *command, json_t **ret, bt_err **err)
{
    bt_autoptr(json_t) dummy = NULL;
    struct vm_qmp *q = vm_qmp_connect(p->qmp, QMP_TIMEOUT_MS, err);
    if (!q)
        return -1;
    int r = vm_qmp_execute(q, command, NULL, ret ? ret : &dummy, QMP_TIMEOUT_MS, err);
    vm_qmp_close(q);
    return r;
}

static void remove_run_files(const struct paths *p)
{
    unlink(p->pid);
    unlink(p->qmp);
}

/* QMP quit, then SIGKILL: QEMU ends whatever the guest does. */
static int force_off(const struct paths *p, pid_t pid, const char *name, bt_err **err)
{
    if (qmp_command(p, "quit", NULL, NULL) == 0 && wait_gone(pid, p->pid, 3000)) {
        remove_run_files(p);
        return 0;
    }
    if (is_ours(pid, p->pid) && kill(pid, SIGKILL) < 0 && errno != ESRCH)
        return bt_err_errno(err, errno, "kill machine \"%s\" (QEMU pid %d)", name, (int)pid);
    if (!wait_gone(pid, p->pid, 5000))
        return bt_err_set(err, BT_E_TIMEOUT, "kill machine \"%s\": QEMU pid %d does not exit", name,
                          (int)pid);
    remove_run_files(p);
    return 0;
}

static int qm_create(const struct vm_spec *spec, bt_err **err)
{
    if (vm_spec_check(spec, "qemu", err) < 0)
        return -1;
    autopaths p = {0};
    paths_init(&p, spec);
    if (strlen(p.qmp) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return bt_err_set(err, BT_E_INVALID,
                          "define machine \"%s\": the store directory's path is too long for "
                          "QEMU's QMP socket (%zu bytes; unix sockets allow 107)",
                          spec->name, strlen(p.qmp));
    if (!bt_path_is_dir(spec->store_dir))
        return bt_err_set(err, BT_E_NOT_FOUND, "define machine \"%s\": no store directory \"%s\"",
                          spec->name, spec->store_dir);
    char **argv = vm_qemu_argv(spec, p.pid, p.qmp);
    bt_autoptr(json_t) def = json_object();
    json_object_set_new(def, "argv", bt_json_strv(argv));
    bt_strv_free(argv);
    if (spec->net == VM_NET_BRIDGE) {
        char tap[VM_IFNAME_SIZE];
        vm_tap_name(spec->name, tap);
        bt_json_set_str(def, "tap", tap);
        bt_json_set_str(def, "bridge", spec->bridge);
    }
    if (bt_json_save_file(p.def, def, 0600, err) < 0)
        return bt_err_wrap(err, "define machine \"%s\"", spec->name);
    return 0;
}

static json_t *load_def(const struct paths *p, const char *name, bt_err **err)
{
    bt_autoerr bt_err *e = NULL;
    json_t *def = bt_json_load_file(p->def, &e);
    if (!def) {
        if (bt_err_is(e, BT_E_NOT_FOUND))
            bt_err_set(err, BT_E_NOT_FOUND, "machine \"%s\" does not exist", name);
        else
            bt_err_move(err, &e);
    }
    return def;
}

static int launch(char **argv, int tap_fd, const char *name, bt_err **err)
{
    struct vm_run_opts ro = {.keep_fd = tap_fd, .timeout_ms = START_TIMEOUT_MS};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    int status = 0;
    if (vm_run(argv, &ro, &out, &status, err) < 0)
        return bt_err_wrap(err, "start machine \"%s\"", name);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        bt_autofree char *tail = vm_last_lines(bt_strbuf_str(&out), 5);
        return bt_err_set(err, BT_E_UNAVAILABLE, "start machine \"%s\": QEMU failed: %s", name,
                          *tail ? tail : "(no message)");
    }
    return 0;
}

static int qm_start(const struct vm_spec *spec, bt_err **err)
{
    autopaths p = {0};
    paths_init(&p, spec);
    bt_autoptr(json_t) def = load_def(&p, spec->name, err);
    if (!def)
        return -1;
    if (running_pid(&p))
        return bt_err_set(err, BT_E_NOT_MODIFIED, "machine \"%s\" is already running", spec->name);
    remove_run_files(&p);
    bt_autostrv char **argv = bt_json_to_strv(bt_json_get_arr(def, "argv"), err);
    if (!argv || !argv[0])
        return bt_err_set(err, BT_E_CORRUPT, "machine \"%s\": \"%s\" holds no command line",
                          spec->name, p.def);
    const char *tap = bt_json_get_str(def, "tap", NULL);
    bt_autoclose int tap_fd = -1;
    if (tap) {
        tap_fd = vm_tap_open(tap, bt_json_get_str(def, "bridge", ""), err);
        if (tap_fd < 0)
            return bt_err_wrap(err, "start machine \"%s\"", spec->name);
    }
    if (launch(argv, tap_fd, spec->name, err) < 0)
        return -1;
    if (!running_pid(&p))
        return bt_err_set(err, BT_E_UNAVAILABLE,
                          "start machine \"%s\": QEMU started but is not running (see the "
                          "console log)",
                          spec->name);
    return 0;
}

static int qm_stop(const struct vm_spec *spec, int timeout_ms, bool *forced, bt_err **err)
{
    if (forced)
        *forced = false;
    autopaths p = {0};
    paths_init(&p, spec);
    pid_t pid = running_pid(&p);
    if (!pid) {
        if (!bt_path_exists(p.def))
            return bt_err_set(err, BT_E_NOT_FOUND, "machine \"%s\" does not exist", spec->name);
        return bt_err_set(err, BT_E_NOT_MODIFIED, "machine \"%s\" is already stopped", spec->name);
    }
    /* ACPI power button; without -no-shutdown QEMU exits when the guest powers off */
    if (qmp_command(&p, "system_powerdown", NULL, NULL) == 0 && wait_gone(pid, p.pid, timeout_ms)) {
        remove_run_files(&p);
        return 0;
    }
    if (forced)
        *forced = true;
    return force_off(&p, pid, spec->name, err);
}

static int qm_kill(const struct vm_spec *spec, bt_err **err)
{
    autopaths p = {0};
    paths_init(&p, spec);
    pid_t pid = running_pid(&p);
    if (!pid) {
        if (!bt_path_exists(p.def))
            return bt_err_set(err, BT_E_NOT_FOUND, "machine \"%s\" does not exist", spec->name);
        return bt_err_set(err, BT_E_NOT_MODIFIED, "machine \"%s\" is already stopped", spec->name);
    }
    return force_off(&p, pid, spec->name, err);
}

static enum vm_state map_status(const char *status)
{
    if (strcmp(status, "running") == 0)
        return VM_STATE_RUNNING;
    if (strcmp(status, "shutdown") == 0)
        return VM_STATE_STOPPING;
    if (strcmp(status, "internal-error") == 0 || strcmp(status, "io-error") == 0 ||
        strcmp(status, "guest-panicked") == 0)
        return VM_STATE_ERROR;
    /* paused, suspended, prelaunch, inmigrate, debug, watchdog, ... */
    return VM_STATE_PAUSED;
}

static int qm_state(const struct vm_spec *spec, enum vm_state *out, bt_err **err)
{
    autopaths p = {0};
    paths_init(&p, spec);
    if (!running_pid(&p)) {
        *out = bt_path_exists(p.def) ? VM_STATE_STOPPED : VM_STATE_MISSING;
        return 0;
    }
    bt_autoptr(json_t) st = NULL;
    /* QEMU runs: when QMP cannot say more (another client holds it), it is running */
    *out = VM_STATE_RUNNING;
    if (qmp_command(&p, "query-status", &st, NULL) == 0)
        *out = map_status(bt_json_get_str(st, "status", "running"));
    return 0;
}

static int qm_remove(const struct vm_spec *spec, bt_err **err)
{
    autopaths p = {0};
    paths_init(&p, spec);
    pid_t pid = running_pid(&p);
    if (pid && force_off(&p, pid, spec->name, err) < 0)
        return bt_err_wrap(err, "remove machine \"%s\"", spec->name);
    remove_run_files(&p);
    if (unlink(p.def) < 0 && errno != ENOENT)
        return bt_err_errno(err, errno, "remove machine \"%s\": delete \"%s\"", spec->name, p.def);
    return 0;
}

const struct vm_driver vm_driver_qemu = {
        .name = "qemu",
        .create = qm_create,
        .start = qm_start,
        .stop = qm_stop,
        .kill = qm_kill,
        .state = qm_state,
        .remove = qm_remove,
};
