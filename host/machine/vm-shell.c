/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `berth machine ssh` and `scp`: root@VM with the machine's key (NAME/id_ed25519), the host key
 * recorded in NAME/known_hosts on first use and checked after (a changed key is refused, as
 * ssh does), through host/transport (libssh2).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/machine/vm-module.h"
#include "host/term/term.h"
#include "host/transport/transport.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

struct ssh_paths {
    char *key, *known_hosts;
};

static void opts_for(const struct machine *m, struct tp_ssh_opts *o, struct ssh_paths *p)
{
    /* The machine's host key goes into its own known_hosts without a word, as docker-machine
     * (which turns host key checks off) says none: the transport's notice is for ssh:// URLs. */
    if (bt_log_get_level() == BT_LOG_INFO)
        bt_log_set_level(BT_LOG_WARN);
    /* a generic host: the copy of the user's key create made, or ssh-agent and ~/.ssh's keys */
    json_t *drv = json_object_get(m->doc, "Driver");
    const char *key = drv ? bt_json_get_str(drv, "SSHKeyPath", NULL) : NULL;
    p->key = mgen_is(m) ? (key && *key ? bt_xstrdup(key) : NULL)
                        : bt_xasprintf("%s/id_ed25519", m->dir);
    p->known_hosts = bt_xasprintf("%s/known_hosts", m->dir);
    *o = (struct tp_ssh_opts){
            .host = m->ip_address,
            .port = m->ssh_port,
            .user = m->ssh_user && *m->ssh_user ? m->ssh_user : "root",
            .identity_file = p->key,
            .no_agent = p->key != NULL,
            .no_default_keys = p->key != NULL,
            .known_hosts = p->known_hosts,
            .host_key_policy = TP_HOST_KEY_ACCEPT_NEW,
            .timeout_ms = 30000,
            .forward_stderr = true,
            .stderr_fd = STDERR_FILENO,
    };
}

static void paths_clear(struct ssh_paths *p)
{
    free(p->key);
    free(p->known_hosts);
}

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
    (void)sig;
    winch = 1;
}

static bool write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return false;
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

/* Copy stdin to the session and the session to stdout until the session ends. */
static void pump(struct tp_ssh_conn *c, bool tty)
{
    int fd = tp_ssh_conn_fd(c);
    bool in_open = true;
    char buf[16384];
    for (;;) {
        if (winch && tty) {
            winch = 0;
            unsigned rows, cols;
            if (term_size(STDIN_FILENO, &rows, &cols))
                tp_ssh_conn_resize(c, (int)cols, (int)rows, NULL);
        }
        struct pollfd p[2] = {{fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        int n = poll(p, in_open ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;
        if (p[0].revents) {
            ssize_t r = read(fd, buf, sizeof(buf));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return;
            if (!write_all(STDOUT_FILENO, buf, (size_t)r))
                return;
        }
        if (in_open && p[1].revents) {
            ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0 || !write_all(fd, buf, (size_t)r)) {
                in_open = false;
                shutdown(fd, SHUT_WR);
            }
        }
    }
}

int mvm_ssh(struct machine *m, char *const *args, int *status, bt_err **err)
{
    struct tp_ssh_opts o;
    struct ssh_paths paths;
    opts_for(m, &o, &paths);
    bt_autostrbuf struct bt_strbuf line = BT_STRBUF_INIT;
    for (size_t i = 0; args && args[i]; i++)
        bt_strbuf_appendf(&line, "%s%s", i ? " " : "", args[i]);
    if (line.len)
        o.command_line = bt_strbuf_str(&line);
    else
        o.shell = true;
    bool tty = isatty(STDIN_FILENO);
    unsigned rows = 24, cols = 80;
    if (tty) {
        term_size(STDIN_FILENO, &rows, &cols);
        const char *term = getenv("TERM");
        o.pty_term = term && *term ? term : "xterm";
        o.pty_cols = (int)cols;
        o.pty_rows = (int)rows;
    }
    struct tp_ssh_conn *c = tp_ssh_connect(&o, err);
    paths_clear(&paths);
    if (!c)
        return bt_err_wrap(err, "ssh to machine \"%s\"", m->name);
    struct term_state ts = {0};
    struct sigaction sa = {.sa_handler = on_winch}, old;
    if (tty) {
        term_make_raw(STDIN_FILENO, &ts, NULL);
        sigaction(SIGWINCH, &sa, &old);
    }
    pump(c, tty);
    if (tty) {
        sigaction(SIGWINCH, &old, NULL);
        term_restore(&ts);
    }
    struct tp_ssh_end end;
    int rc = tp_ssh_conn_wait(c, -1, &end, err);
    if (rc == 0 && end.error)
        rc = bt_err_set(err, BT_E_UNAVAILABLE, "%s: %s", end.description, end.error);
    if (rc == 0)
        *status = end.exit_status >= 0 ? end.exit_status : 255;
    tp_ssh_conn_free(c);
    return rc;
}

int mvm_ssh_run(const struct machine *m, const char *command_line, bt_err **err)
{
    struct tp_ssh_opts o;
    struct ssh_paths paths;
    opts_for(m, &o, &paths);
    o.command_line = command_line;
    o.forward_stderr = false;
    struct tp_ssh_conn *c = tp_ssh_connect(&o, err);
    paths_clear(&paths);
    if (!c)
        return -1;
    int fd = tp_ssh_conn_fd(c);
    shutdown(fd, SHUT_WR);
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    struct tp_ssh_end end;
    int rc = tp_ssh_conn_wait(c, -1, &end, err);
    if (rc == 0)
        rc = tp_ssh_conn_check(c, err);
    tp_ssh_conn_free(c);
    return rc;
}

int mvm_sftp_put(const struct machine *m, const char *const *locals, const char *remote_dir,
                 bt_err **err)
{
    struct tp_ssh_opts o;
    struct ssh_paths paths;
    opts_for(m, &o, &paths);
    struct tp_sftp *f = tp_sftp_open(&o, err);
    paths_clear(&paths);
    if (!f)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && locals[i]; i++)
        rc = tp_sftp_put(f, locals[i], remote_dir, false, err);
    tp_sftp_close(f);
    return rc;
}

/* "NAME:PATH" names a machine's file when NAME is a machine name (no "/" before the colon). */
static bool split_remote(const char *arg, char **name, char **path)
{
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || memchr(arg, '/', (size_t)(colon - arg)))
        return false;
    *name = bt_xstrndup(arg, (size_t)(colon - arg));
    *path = bt_xstrdup(colon[1] ? colon + 1 : ".");
    return true;
}

int mvm_scp(const struct machine_store *s, const char *src, const char *dst, bool recursive,
            bt_err **err)
{
    bt_autofree char *src_name = NULL, *src_path = NULL, *dst_name = NULL, *dst_path = NULL;
    bool src_remote = split_remote(src, &src_name, &src_path);
    bool dst_remote = split_remote(dst, &dst_name, &dst_path);
    if (src_remote == dst_remote)
        return bt_err_set(err, BT_E_INVALID,
                          src_remote ? "copying from one machine to another is not supported: "
                                       "copy through this host"
                                     : "one of SRC and DST must be a machine's file: "
                                       "MACHINE:PATH");
    bt_autoptr(machine) m = machine_load(s, src_remote ? src_name : dst_name, err);
    if (!m)
        return -1;
    struct tp_ssh_opts o;
    struct ssh_paths paths;
    opts_for(m, &o, &paths);
    struct tp_sftp *f = tp_sftp_open(&o, err);
    paths_clear(&paths);
    if (!f)
        return -1;
    int rc = src_remote ? tp_sftp_get(f, src_path, dst, recursive, err)
                        : tp_sftp_put(f, src, dst_path, recursive, err);
    tp_sftp_close(f);
    return rc;
}
