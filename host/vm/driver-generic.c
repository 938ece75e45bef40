/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "generic" driver (driver.h): an existing Linux host over SSH, whose engine is a service.
 * Each operation is one SSH session running a POSIX shell script as root; the scripts are built
 * here and name every path Berth owns on the host (driver.h's VM_REMOTE_*), nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "host/transport/transport.h"
#include "host/vm/driver.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

void vm_remote_ssh_opts(const struct vm_remote *r, struct tp_ssh_opts *o)
{
    *o = (struct tp_ssh_opts){
            .host = r->host,
            .port = r->ssh_port,
            .user = r->ssh_user && *r->ssh_user ? r->ssh_user : "root",
            .identity_file = r->identity_file,
            .no_agent = r->identity_file != NULL,
            .no_default_keys = r->identity_file != NULL,
            .known_hosts = r->known_hosts,
            .host_key_policy = TP_HOST_KEY_ACCEPT_NEW,
            .timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : 30000,
            .keepalive_s = 15,
    };
}

static bool is_root(const struct vm_remote *r)
{
    return !r->ssh_user || !*r->ssh_user || strcmp(r->ssh_user, "root") == 0;
}

/* The last non-empty line of a script's stderr: the words it failed with. */
static char *last_line(const struct bt_strbuf *sb)
{
    const char *s = sb->len ? bt_strbuf_str((struct bt_strbuf *)sb) : "";
    size_t end = strlen(s);
    while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r' || s[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    return bt_xstrndup(s + start, end - start);
}

static int run(const struct vm_remote *r, bool root, const char *what, const char *script,
               struct bt_strbuf *out, bt_err **err)
{
    static const char *const plain[] = {"sh", "-s", NULL};
    static const char *const with_sudo[] = {"sudo", "-n", "sh", "-s", NULL};
    struct tp_ssh_opts o;
    vm_remote_ssh_opts(r, &o);
    o.command = !root || is_root(r) ? plain : with_sudo;
    struct tp_ssh_result res = TP_SSH_RESULT_INIT;
    int rc = tp_ssh_exec(&o, script, strlen(script), &res, err);
    if (rc == 0 && res.status != 0) {
        bt_autofree char *why = last_line(&res.err);
        rc = *why ? bt_err_set(err, BT_E_INTERNAL, "%s: %s", what, why)
                  : bt_err_set(err, BT_E_INTERNAL, "%s: the script exited with status %d", what,
                               res.status);
    } else if (rc < 0) {
        bt_err_wrap(err, "%s", what);
    }
    if (rc == 0 && out)
        bt_strbuf_append_n(out, res.out.len ? bt_strbuf_str(&res.out) : "", res.out.len);
    tp_ssh_result_clear(&res);
    return rc;
}

int vm_remote_run(const struct vm_remote *r, const char *what, const char *script,
                  struct bt_strbuf *out, bt_err **err)
{
    return run(r, true, what, script, out, err);
}

int vm_remote_run_user(const struct vm_remote *r, const char *what, const char *script,
                       struct bt_strbuf *out, bt_err **err)
{
    return run(r, false, what, script, out, err);
}

/* ---- the service ------------------------------------------------------------------------ */

char *vm_remote_engine_args(const struct vm_remote *r)
{
    return bt_xasprintf("-H unix://" VM_REMOTE_SOCKET " -H tcp://0.0.0.0:%d --tlsverify "
                        "--tlscacert " VM_REMOTE_TLS_DIR "/ca.pem --tlscert " VM_REMOTE_TLS_DIR
                        "/server.pem --tlskey " VM_REMOTE_TLS_DIR "/server-key.pem "
                        "--data-root " VM_REMOTE_DATA_DIR " --pidfile " VM_REMOTE_PIDFILE,
                        r->engine_port);
}

/* Shell functions both the init script and the driver's scripts use: is berthd running (its
 * pid file names a live berthd, replaced or not), and wait until it answers /_ping. */
#define SH_FUNCTIONS                                                                               \
    "DAEMON=" VM_REMOTE_BIN_DIR "/berthd\n"                                                        \
    "PIDFILE=" VM_REMOTE_PIDFILE "\n"                                                              \
    "LOG=" VM_REMOTE_LOG "\n"                                                                      \
    "running() {\n"                                                                                \
    "    pid=$(cat \"$PIDFILE\" 2>/dev/null) || return 1\n"                                        \
    "    [ -n \"$pid\" ] && kill -0 \"$pid\" 2>/dev/null || return 1\n"                            \
    "    case $(readlink \"/proc/$pid/exe\" 2>/dev/null) in \"$DAEMON\"*) return 0 ;; esac\n"      \
    "    return 1\n"                                                                               \
    "}\n"                                                                                          \
    "wait_ping() {\n"                                                                              \
    "    i=0\n"                                                                                    \
    "    while [ $i -lt 300 ]; do\n"                                                               \
    "        if [ -S " VM_REMOTE_SOCKET " ] && printf 'GET /_ping HTTP/1.0\\r\\nHost: berth\\r\\n" \
    "\\r\\n' |\n"                                                                                  \
    "            timeout 5 \"$DAEMON\" dial-stdio 2>/dev/null | head -n 1 | grep -q ' 200 '; "     \
    "then\n"                                                                                       \
    "            return 0\n"                                                                       \
    "        fi\n"                                                                                 \
    "        [ -z \"${1:-}\" ] || kill -0 \"$1\" 2>/dev/null || {\n"                               \
    "            echo \"berthd exited at start: $(tail -n 1 \"$LOG\" 2>/dev/null)\" >&2\n"         \
    "            return 1\n"                                                                       \
    "        }\n"                                                                                  \
    "        sleep 0.1\n"                                                                          \
    "        i=$((i + 1))\n"                                                                       \
    "    done\n"                                                                                   \
    "    echo \"berthd did not answer within 30 s: see $LOG\" >&2\n"                               \
    "    return 1\n"                                                                               \
    "}\n"

char *vm_remote_init_script(const struct vm_remote *r, const char *name)
{
    bt_autofree char *args = vm_remote_engine_args(r);
    return bt_xasprintf(
            "#!/bin/sh\n"
            "### BEGIN INIT INFO\n"
            "# Provides:          berthd\n"
            "# Required-Start:    $remote_fs $network\n"
            "# Required-Stop:     $remote_fs $network\n"
            "# Default-Start:     2 3 4 5\n"
            "# Default-Stop:      0 1 6\n"
            "# Short-Description: Berth container engine\n"
            "### END INIT INFO\n"
            "# Written by `berth machine create --driver generic` for the machine \"%s\";\n"
            "# `berth machine rm` removes it.\n"
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" SH_FUNCTIONS
            "ARGS=\"%s\"\n"
            "case \"${1:-}\" in\n"
            "start)\n"
            "    running && exit 0\n"
            "    rm -f \"$PIDFILE\"\n"
            "    # shellcheck disable=SC2086 # ARGS is a list of words\n"
            "    setsid \"$DAEMON\" $ARGS </dev/null >>\"$LOG\" 2>&1 &\n"
            "    wait_ping $!\n"
            "    ;;\n"
            "stop)\n"
            "    running || exit 0\n"
            "    kill -TERM \"$pid\"\n"
            "    i=0\n"
            "    while kill -0 \"$pid\" 2>/dev/null && [ $i -lt 150 ]; do\n"
            "        sleep 0.1\n"
            "        i=$((i + 1))\n"
            "    done\n"
            "    kill -KILL \"$pid\" 2>/dev/null\n"
            "    rm -f \"$PIDFILE\"\n"
            "    ;;\n"
            "restart | force-reload)\n"
            "    \"$0\" stop && exec \"$0\" start\n"
            "    ;;\n"
            "status)\n"
            "    if running; then echo \"berthd is running\"; exit 0; fi\n"
            "    echo \"berthd is not running\"\n"
            "    exit 3\n"
            "    ;;\n"
            "*)\n"
            "    echo \"Usage: $0 {start|stop|restart|status}\" >&2\n"
            "    exit 2\n"
            "    ;;\n"
            "esac\n",
            name, args);
}

char *vm_remote_unit(const struct vm_remote *r, const char *name)
{
    bt_autofree char *args = vm_remote_engine_args(r);
    /* KillMode=process: a stop or an upgrade ends berthd alone, its containers' monitors keep
     * running (as docker.service has it); Delegate: berthd makes the containers' cgroups */
    return bt_xasprintf("# Written by `berth machine create --driver generic` for the machine "
                        "\"%s\";\n"
                        "# `berth machine rm` removes it.\n"
                        "[Unit]\n"
                        "Description=Berth container engine\n"
                        "After=network-online.target\n"
                        "Wants=network-online.target\n"
                        "\n"
                        "[Service]\n"
                        "Type=simple\n"
                        "ExecStart=" VM_REMOTE_BIN_DIR "/berthd %s\n"
                        "KillMode=process\n"
                        "Delegate=yes\n"
                        "Restart=on-failure\n"
                        "StandardOutput=append:" VM_REMOTE_LOG "\n"
                        "StandardError=inherit\n"
                        "TimeoutStopSec=15\n"
                        "\n"
                        "[Install]\n"
                        "WantedBy=multi-user.target\n",
                        name, args);
}

/* A here-document writing `text` to `path` atomically, with `mode`. */
static void put_file(struct bt_strbuf *sb, const char *path, const char *mode, const char *text)
{
    bt_strbuf_appendf(sb,
                      "cat >'%s.new' <<'BERTH_EOF'\n%sBERTH_EOF\nchmod %s '%s.new'\n"
                      "mv -f '%s.new' '%s'\n",
                      path, text, mode, path, path, path);
}

#define SYSTEMD "[ -d /run/systemd/system ]"

char *vm_remote_service_script(const struct vm_remote *r, const char *name)
{
    bt_autofree char *init = vm_remote_init_script(r, name);
    bt_autofree char *unit = vm_remote_unit(r, name);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "umask 022\nif " SYSTEMD "; then\n");
    put_file(&sb, VM_REMOTE_UNIT, "644", unit);
    bt_strbuf_append(&sb, "systemctl daemon-reload\n"
                          "systemctl enable berthd.service >/dev/null 2>&1\n"
                          "else\n");
    put_file(&sb, VM_REMOTE_INIT, "755", init);
    bt_strbuf_append(&sb, "if command -v update-rc.d >/dev/null; then "
                          "update-rc.d berthd defaults >/dev/null 2>&1 || true; fi\n"
                          "fi\n");
    return bt_strbuf_steal(&sb);
}

static int gen_create(const struct vm_spec *spec, bt_err **err)
{
    bt_autofree char *script = vm_remote_service_script(spec->remote, spec->name);
    bt_autofree char *all = bt_xasprintf("set -e\n%s", script);
    return vm_remote_run(spec->remote, "write the engine's service", all, NULL, err);
}

/* Every verb's script starts by telling where the engine is: no service (it prints "missing"
 * and exits), or running or not (VERB_RUNNING / VERB_STOPPED say what the verb does then). */
#define VERB_PRELUDE                                                                          \
    SH_FUNCTIONS                                                                              \
    "if [ ! -e " VM_REMOTE_INIT " ] && [ ! -e " VM_REMOTE_UNIT " ]; then echo missing; exit " \
    "0; fi\n"

/* The state as one word on stdout: missing (no service), running, stopped. */
#define STATE_SCRIPT VERB_PRELUDE "if running; then echo running; else echo stopped; fi\n"

static int gen_state(const struct vm_spec *spec, enum vm_state *out, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (vm_remote_run(spec->remote, "read the engine's state", STATE_SCRIPT, &sb, err) < 0)
        return -1;
    const char *s = sb.len ? bt_strbuf_str(&sb) : "";
    *out = strncmp(s, "running", 7) == 0   ? VM_STATE_RUNNING
           : strncmp(s, "stopped", 7) == 0 ? VM_STATE_STOPPED
           : strncmp(s, "missing", 7) == 0 ? VM_STATE_MISSING
                                           : VM_STATE_ERROR;
    return 0;
}

/* Run a verb's script (VERB_PRELUDE first); its first word "missing", "running" or "stopped"
 * (printed when there was nothing to do) becomes the driver's errors. */
static int verb(const struct vm_spec *spec, const char *what, const char *script, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (vm_remote_run(spec->remote, what, script, &sb, err) < 0)
        return -1;
    const char *s = sb.len ? bt_strbuf_str(&sb) : "";
    if (strncmp(s, "missing", 7) == 0)
        return bt_err_set(err, BT_E_NOT_FOUND,
                          "machine \"%s\": the host has no Berth engine service (not "
                          "provisioned)",
                          spec->name);
    if (strncmp(s, "running", 7) == 0)
        return bt_err_set(err, BT_E_NOT_MODIFIED, "machine \"%s\" is already running", spec->name);
    if (strncmp(s, "stopped", 7) == 0)
        return bt_err_set(err, BT_E_NOT_MODIFIED, "machine \"%s\" is already stopped", spec->name);
    return 0;
}

static int gen_start(const struct vm_spec *spec, bt_err **err)
{
    return verb(spec, "start the engine",
                VERB_PRELUDE "if running; then echo running; exit 0; fi\n"
                             "if " SYSTEMD "; then systemctl start berthd.service && wait_ping; "
                             "else " VM_REMOTE_INIT " start; fi\n",
                err);
}

static int gen_stop(const struct vm_spec *spec, int timeout_ms, bool *forced, bt_err **err)
{
    (void)timeout_ms; /* the service's own: 15 s, then SIGKILL */
    if (forced)
        *forced = false;
    return verb(spec, "stop the engine",
                VERB_PRELUDE "running || { echo stopped; exit 0; }\n" VM_REMOTE_SERVICE_STOP, err);
}

static int gen_kill(const struct vm_spec *spec, bt_err **err)
{
    return verb(spec, "kill the engine",
                VERB_PRELUDE "running || { echo stopped; exit 0; }\n"
                             /* systemd would restart a berthd killed under it (on-failure):
                              * its stop job first, then the kill */
                             "if " SYSTEMD "; then systemctl stop --no-block berthd.service; "
                             "systemctl kill -s KILL berthd.service; "
                             "else kill -KILL \"$pid\"; fi\nrm -f \"$PIDFILE\"\n",
                err);
}

/* Stop the service and the containers (their monitors' children, then the monitors), delete
 * the service, Berth's programs and TLS files; with purge the data too (the engine's mounts
 * under it first; a data directory that is a mount point keeps the directory, emptied). Paths
 * are Berth's alone. */
static int gen_remove(const struct vm_spec *spec, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, SH_FUNCTIONS
                     "if [ -e " VM_REMOTE_UNIT " ]; then\n"
                     "    systemctl disable --now berthd.service >/dev/null 2>&1 || true\n"
                     "    rm -f " VM_REMOTE_UNIT "\n"
                     "    systemctl daemon-reload 2>/dev/null || true\n"
                     "fi\n"
                     "if [ -e " VM_REMOTE_INIT " ]; then\n"
                     "    " VM_REMOTE_INIT " stop || true\n"
                     "    if command -v update-rc.d >/dev/null; then "
                     "update-rc.d -f berthd remove >/dev/null 2>&1 || true; fi\n"
                     "    rm -f " VM_REMOTE_INIT "\n"
                     "fi\n"
                     "if running; then kill -KILL \"$pid\"; fi\n"
                     /* the containers go with their engine: no one would manage them */
                     "mons=\n"
                     "for d in /proc/[0-9]*; do\n"
                     "    case $(readlink \"$d/exe\" 2>/dev/null) in\n"
                     "    " VM_REMOTE_BIN_DIR "/berth-monitor*) mons=\"$mons ${d#/proc/}\" ;;\n"
                     "    esac\n"
                     "done\n"
                     "ctrs=\n"
                     "for p in $mons; do ctrs=\"$ctrs $(cat /proc/\"$p\"/task/*/children "
                     "2>/dev/null)\"; done\n"
                     "if [ -n \"$mons\" ]; then\n"
                     "    kill -TERM $ctrs 2>/dev/null\n"
                     "    i=0\n"
                     "    alive() { for c; do kill -0 \"$c\" 2>/dev/null && return 0; done; "
                     "return 1; }\n"
                     "    while [ $i -lt 20 ] && alive $ctrs; do sleep 0.1; i=$((i + 1)); done\n"
                     "    kill -KILL $ctrs 2>/dev/null\n"
                     "    sleep 0.3\n"
                     "    kill -KILL $mons 2>/dev/null\n"
                     "fi\n"
                     "rm -f " VM_REMOTE_BIN_DIR "/berthd " VM_REMOTE_BIN_DIR
                     "/berth-monitor " VM_REMOTE_BIN_DIR "/berth-init " VM_REMOTE_SOCKET
                     " " VM_REMOTE_PIDFILE "\n"
                     "rm -rf " VM_REMOTE_TLS_DIR " " VM_REMOTE_ETC_DIR "/machine\n"
                     "rmdir " VM_REMOTE_ETC_DIR " 2>/dev/null || true\n");
    if (spec->remote->purge)
        bt_strbuf_append(&sb, "for d in " VM_REMOTE_DATA_DIR " /run/berth; do\n"
                              "    awk -v d=\"$d/\" 'index($2, d) == 1 { print $2 }' "
                              "/proc/mounts | sort -r | while read -r m; do "
                              "umount -l \"$m\" 2>/dev/null || true; done\n"
                              "done\n"
                              "for d in " VM_REMOTE_DATA_DIR " /run/berth; do\n"
                              "    [ -d \"$d\" ] || continue\n"
                              "    find \"$d\" -mindepth 1 -maxdepth 1 -exec rm -rf "
                              "--one-file-system {} +\n"
                              "    rmdir \"$d\" 2>/dev/null || true\n"
                              "done\n"
                              "rm -rf " VM_REMOTE_ETC_DIR " " VM_REMOTE_LOG "\n");
    return vm_remote_run(spec->remote, "remove the engine's service", bt_strbuf_str(&sb), NULL,
                         err);
}

const struct vm_driver vm_driver_generic = {
        .name = "generic",
        .create = gen_create,
        .start = gen_start,
        .stop = gen_stop,
        .kill = gen_kill,
        .state = gen_state,
        .remove = gen_remove,
};
