/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SSH dial: TCP connect, handshake, host key check, authentication, exec; then the
 * connection handle around the bridge thread (ssh-bridge.c).
 *
 * The dial runs on the caller's thread with the session in blocking mode and
 * libssh2_session_set_timeout() bounding each step; the session is then switched to
 * non-blocking mode and handed to the bridge thread, its only user from then on
 * (pthread_create orders the hand-over).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "host/transport/ssh-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"

#define DEFAULT_TIMEOUT_MS 30000

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init_once(void)
{
    if (libssh2_init(0) != 0)
        abort();
}

void tp_ssh_library_init(void)
{
    pthread_once(&library_once, library_init_once);
}

static char *local_user(void)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        return bt_xstrdup(pw.pw_name);
    const char *u = getenv("USER");
    return bt_xstrdup(u && u[0] ? u : "root");
}

/* $HOME, as ssh uses for ~ (falling back to the password database) */
static char *home_dir(void)
{
    const char *h = getenv("HOME");
    if (h && h[0])
        return bt_xstrdup(h);
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        return bt_xstrdup(pw.pw_dir);
    return NULL;
}

/* What a dial knows, for its steps and its messages. */
struct dial {
    const struct tp_ssh_opts *o;
    char *user;
    char *home;
    int port;
    int timeout_ms;
    char *desc; /* "ssh root@127.0.0.1 port 2222" */
    char *known_hosts;
    char *command;
    int sock;
    LIBSSH2_SESSION *s;
    LIBSSH2_CHANNEL *ch;
};

static void dial_free(struct dial *d)
{
    free(d->user);
    free(d->home);
    free(d->desc);
    free(d->known_hosts);
    free(d->command);
    if (d->ch)
        libssh2_channel_free(d->ch);
    if (d->s) {
        libssh2_session_disconnect(d->s, "berth: dial failed");
        libssh2_session_free(d->s);
    }
    bt_fd_close(d->sock);
}

static int connect_one(const struct addrinfo *ai, int timeout_ms, int *out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return errno;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            int e = errno;
            close(fd);
            return e;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n;
        while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
            ;
        int e = 0;
        socklen_t len = sizeof(e);
        if (n == 0)
            e = ETIMEDOUT;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
            e = errno;
        if (e) {
            close(fd);
            return e;
        }
    }
    /* the API's requests are small and answered at once: no Nagle delay */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *out = fd;
    return 0;
}

static int tcp_connect(struct dial *d, bt_err **err)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", d->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(d->o->host, port, &hints, &res);
    if (rc != 0)
        return bt_err_set(err, BT_E_UNAVAILABLE, "connect: resolve \"%s\": %s", d->o->host,
                          rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    int e = ENOENT;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if ((e = connect_one(ai, d->timeout_ms, &d->sock)) == 0)
            break;
    freeaddrinfo(res);
    if (e == ETIMEDOUT)
        return bt_err_set(err, BT_E_TIMEOUT, "connect: no answer within %d s",
                          d->timeout_ms / 1000);
    if (e)
        return bt_err_errno(err, e, "connect");
    return 0;
}

static int hostkey_message_mismatch(struct dial *d, const char *name, int type, int line,
                                    bt_err **err)
{
    bt_autofree char *fp = tp_hostkey_fingerprint(d->s);
    bt_autofree char *where =
            line ? bt_xasprintf("%s:%d", d->known_hosts, line) : bt_xstrdup(d->known_hosts);
    return bt_err_set(err, BT_E_FORBIDDEN,
                      "host key check: REMOTE HOST IDENTIFICATION HAS CHANGED! The %s key the "
                      "host offers (%s) differs from the one on file for \"%s\" (%s). Someone "
                      "could be eavesdropping on you right now (man-in-the-middle attack), or "
                      "the host key has just been changed. If you know the change is expected, "
                      "remove the old key with: ssh-keygen -f \"%s\" -R \"%s\"",
                      tp_hostkey_type_name(type), fp, name, where, d->known_hosts, name);
}

static int check_host_key(struct dial *d, struct tp_known_hosts *kh, const char *name, bt_err **err)
{
    size_t len = 0;
    int type = 0;
    const char *key = libssh2_session_hostkey(d->s, &len, &type);
    if (!key)
        return bt_err_set(err, BT_E_INTERNAL, "host key check: no host key: %s",
                          tp_ssh_last_error(d->s));
    int line = 0;
    switch (tp_kh_check(kh, name, key, len, type, &line)) {
    case TP_KH_MATCH:
        return 0;
    case TP_KH_REVOKED: {
        bt_autofree char *fp = tp_hostkey_fingerprint(d->s);
        return bt_err_set(err, BT_E_FORBIDDEN,
                          "host key check: the %s key the host offers (%s) is marked @revoked "
                          "in \"%s\": refusing to connect",
                          tp_hostkey_type_name(type), fp, d->known_hosts);
    }
    case TP_KH_MISMATCH:
        return hostkey_message_mismatch(d, name, type, line, err);
    case TP_KH_NOTFOUND:
        break;
    }
    bt_autofree char *fp = tp_hostkey_fingerprint(d->s);
    if (d->o->host_key_policy == TP_HOST_KEY_ACCEPT_NEW) {
        if (tp_kh_append(kh, d->known_hosts, name, key, len, type, err) < 0)
            return bt_err_wrap(err, "host key check: remember the key of \"%s\"", name);
        bt_info("Permanently added '%s' (%s) to the list of known hosts (%s, %s).", name,
                tp_hostkey_type_name(type), d->known_hosts, fp);
        return 0;
    }
    bt_autofree char *ssh_cmd =
            d->port == 22 ? bt_xasprintf("ssh %s@%s", d->user, d->o->host)
                          : bt_xasprintf("ssh -p %d %s@%s", d->port, d->user, d->o->host);
    return bt_err_set(err, BT_E_FORBIDDEN,
                      "host key check: the host \"%s\" is not known (not in \"%s\"); its %s key "
                      "fingerprint is %s. Check that fingerprint with the host's owner, then "
                      "trust it by connecting once with `%s` and answering yes (it adds the key "
                      "to known_hosts)",
                      name, d->known_hosts, tp_hostkey_type_name(type), fp, ssh_cmd);
}

/* The names of `prefs` this libssh2 knows. libssh2 1.10's method_pref strips unknown names
 * with an overlapping memcpy (undefined behaviour), so it must never see one. */
static char *supported_only(LIBSSH2_SESSION *s, const char *prefs)
{
    const char **algs = NULL;
    int n = libssh2_session_supported_algs(s, LIBSSH2_METHOD_HOSTKEY, &algs);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_autofree char *copy = bt_xstrdup(prefs);
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save))
        for (int i = 0; i < n; i++)
            if (!strcmp(algs[i], name)) {
                if (out.len)
                    bt_strbuf_append_c(&out, ',');
                bt_strbuf_append(&out, name);
                break;
            }
    if (n > 0)
        libssh2_free(s, (void *)algs);
    return bt_strbuf_steal(&out);
}

static int secure_session(struct dial *d, bt_err **err)
{
    bt_autofree char *name = tp_kh_host_name(d->o->host, d->port);
    d->s = libssh2_session_init();
    if (!d->s)
        abort();
    libssh2_session_set_blocking(d->s, 1);
    libssh2_session_set_timeout(d->s, d->timeout_ms);

    struct tp_known_hosts *kh = tp_kh_load(d->s, d->known_hosts, err);
    if (!kh)
        return bt_err_wrap(err, "host key check: read known hosts");
    bt_autofree char *all = tp_kh_hostkey_prefs(kh, name);
    bt_autofree char *prefs = supported_only(d->s, all);
    if (prefs[0] && libssh2_session_method_pref(d->s, LIBSSH2_METHOD_HOSTKEY, prefs) != 0)
        bt_debug("host key algorithms \"%s\": %s", prefs, tp_ssh_last_error(d->s));
    int rc = libssh2_session_handshake(d->s, d->sock);
    if (rc != 0) {
        tp_kh_free(kh);
        if (rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_SOCKET_TIMEOUT)
            return bt_err_set(err, BT_E_TIMEOUT, "handshake: no answer within %d s",
                              d->timeout_ms / 1000);
        return bt_err_set(err, BT_E_UNAVAILABLE, "handshake: %s (is it an SSH server?)",
                          tp_ssh_last_error(d->s));
    }
    rc = check_host_key(d, kh, name, err);
    tp_kh_free(kh);
    return rc;
}

static int run_command(struct dial *d, bt_err **err)
{
    d->ch = libssh2_channel_open_session(d->s);
    if (!d->ch)
        return bt_err_set(err, BT_E_UNAVAILABLE, "exec: open a session channel: %s",
                          tp_ssh_last_error(d->s));
    const struct tp_ssh_opts *o = d->o;
    if (o->pty_term) {
        int rc = libssh2_channel_request_pty_ex(d->ch, o->pty_term, (unsigned)strlen(o->pty_term),
                                                NULL, 0, o->pty_cols > 0 ? o->pty_cols : 80,
                                                o->pty_rows > 0 ? o->pty_rows : 24, 0, 0);
        if (rc != 0)
            return bt_err_set(err, BT_E_UNAVAILABLE,
                              "exec: the server refused a pseudo-terminal: %s",
                              tp_ssh_last_error(d->s));
    }
    if (o->shell) {
        if (libssh2_channel_shell(d->ch) != 0)
            return bt_err_set(err, BT_E_UNAVAILABLE, "exec: the server refused a shell: %s",
                              tp_ssh_last_error(d->s));
        return 0;
    }
    int rc = libssh2_channel_exec(d->ch, d->command);
    if (rc != 0)
        return bt_err_set(err, BT_E_UNAVAILABLE, "exec: the server refused to run \"%s\": %s",
                          d->command, tp_ssh_last_error(d->s));
    return 0;
}

static int dial_prepare(struct dial *d, const struct tp_ssh_opts *o, bt_err **err)
{
    d->o = o;
    d->sock = -1;
    d->user = o->user && o->user[0] ? bt_xstrdup(o->user) : local_user();
    d->home = home_dir();
    d->port = o->port > 0 ? o->port : 22;
    d->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    d->desc = bt_xasprintf("ssh %s@%s port %d", d->user, o->host ? o->host : "", d->port);
    if (!o->host || !o->host[0])
        return bt_err_set(err, BT_E_INVALID, "no host given");
    if (o->known_hosts)
        d->known_hosts = bt_xstrdup(o->known_hosts);
    else if (d->home)
        d->known_hosts = bt_xasprintf("%s/.ssh/known_hosts", d->home);
    else
        return bt_err_set(err, BT_E_INVALID,
                          "host key check: no home directory for ~/.ssh/known_hosts");
    static const char *const def[] = {"berthd", "dial-stdio", NULL};
    d->command = tp_shell_join(o->command ? o->command : def, err);
    return d->command ? 0 : -1;
}

static struct tp_ssh_conn *conn_new(struct dial *d)
{
    struct tp_ssh_conn *c = bt_xzalloc(sizeof(*c));
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&c->lock, NULL);
    c->fd = c->lfd = c->stop_r = c->stop_w = c->wake_r = c->wake_w = c->sock = -1;
    c->pty = d->o->pty_term != NULL;
    c->stderr_fd = d->o->forward_stderr ? d->o->stderr_fd : -1;
    c->exit_status = -1;
    c->desc = bt_steal_ptr(&d->desc);
    c->command = bt_steal_ptr(&d->command);
    c->keepalive_s = d->o->keepalive_s;
    c->on_end = d->o->on_end;
    c->on_end_arg = d->o->on_end_arg;
    return c;
}

void tp_ssh_conn_destroy(struct tp_ssh_conn *c)
{
    bt_fd_close(c->fd);
    bt_fd_close(c->stop_w);
    bt_fd_close(c->stop_r);
    bt_fd_close(c->wake_w);
    bt_fd_close(c->wake_r);
    bt_fd_close(c->lfd);
    bt_fd_close(c->sock);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c->exit_signal);
    bt_strbuf_free(&c->stderr_buf);
    free(c->error);
    free(c->desc);
    free(c->command);
    free(c);
}

/* Hand the session to a new bridge thread, with every signal blocked in it. */
static int start_bridge(struct tp_ssh_conn *c, bt_err **err)
{
    int sp[2], stop[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        return bt_err_errno(err, errno, "socketpair");
    c->fd = sp[0];
    c->lfd = sp[1];
    if (pipe2(stop, O_CLOEXEC | O_NONBLOCK) < 0)
        return bt_err_errno(err, errno, "pipe");
    c->stop_r = stop[0];
    c->stop_w = stop[1];
    int wake[2];
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0)
        return bt_err_errno(err, errno, "pipe");
    c->wake_r = wake[0];
    c->wake_w = wake[1];
    if (bt_fd_set_nonblock(c->lfd, true, err) < 0)
        return -1;
    libssh2_session_set_blocking(c->session, 0);
    if (c->keepalive_s > 0)
        libssh2_keepalive_config(c->session, 1, (unsigned)c->keepalive_s);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&c->thread, NULL, tp_ssh_bridge_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        libssh2_session_set_blocking(c->session, 1);
        return bt_err_errno(err, rc, "start the bridge thread");
    }
    return 0;
}

int tp_ssh_session_open(const struct tp_ssh_opts *o, struct tp_ssh_session *out, bt_err **err)
{
    struct dial d = {0};
    *out = (struct tp_ssh_session){.sock = -1};
    tp_ssh_library_init();
    if (dial_prepare(&d, o, err) < 0 || tcp_connect(&d, err) < 0 || secure_session(&d, err) < 0)
        goto fail;
    struct tp_auth_opts ao = {
            .user = d.user,
            .home = d.home,
            .identity_file = o->identity_file,
            .no_agent = o->no_agent,
            .no_default_keys = o->no_default_keys,
    };
    if (tp_ssh_authenticate(d.s, &ao, err) < 0) {
        bt_err_wrap(err, "authentication");
        goto fail;
    }
    out->s = bt_steal_ptr(&d.s);
    out->sock = bt_steal_fd(&d.sock);
    out->desc = bt_steal_ptr(&d.desc);
    dial_free(&d);
    return 0;
fail:
    bt_err_wrap(err, "%s", d.desc ? d.desc : "ssh");
    dial_free(&d);
    return -1;
}

void tp_ssh_session_close(struct tp_ssh_session *ss)
{
    if (ss->s) {
        libssh2_session_disconnect(ss->s, "berth: done");
        libssh2_session_free(ss->s);
        ss->s = NULL;
    }
    bt_fd_close(bt_steal_fd(&ss->sock));
    free(bt_steal_ptr(&ss->desc));
}

struct tp_ssh_conn *tp_ssh_connect(const struct tp_ssh_opts *o, bt_err **err)
{
    struct dial d = {0};
    struct tp_ssh_conn *c = NULL;
    tp_ssh_library_init();
    if (dial_prepare(&d, o, err) < 0 || tcp_connect(&d, err) < 0 || secure_session(&d, err) < 0)
        goto fail;
    struct tp_auth_opts ao = {
            .user = d.user,
            .home = d.home,
            .identity_file = o->identity_file,
            .no_agent = o->no_agent,
            .no_default_keys = o->no_default_keys,
    };
    if (tp_ssh_authenticate(d.s, &ao, err) < 0) {
        bt_err_wrap(err, "authentication");
        goto fail;
    }
    if (run_command(&d, err) < 0)
        goto fail;
    c = conn_new(&d);
    c->session = bt_steal_ptr(&d.s);
    c->channel = bt_steal_ptr(&d.ch);
    c->sock = bt_steal_fd(&d.sock);
    if (start_bridge(c, err) < 0) {
        d.s = bt_steal_ptr(&c->session);
        d.ch = bt_steal_ptr(&c->channel);
        d.sock = bt_steal_fd(&c->sock);
        tp_ssh_conn_destroy(c);
        c = NULL;
        goto fail;
    }
    bt_debug("%s: running \"%s\"", c->desc, c->command);
    dial_free(&d);
    return c;
fail:
    bt_err_wrap(err, "%s", d.desc ? d.desc : "ssh");
    dial_free(&d);
    return NULL;
}

int tp_ssh_conn_fd(const struct tp_ssh_conn *c)
{
    return c->fd;
}

int tp_ssh_conn_take_fd(struct tp_ssh_conn *c)
{
    return bt_steal_fd(&c->fd);
}

static void fill_end(struct tp_ssh_conn *c, struct tp_ssh_end *end)
{
    *end = (struct tp_ssh_end){
            .exit_status = c->exit_status,
            .exit_signal = c->exit_signal,
            .stderr_text = bt_strbuf_str(&c->stderr_buf),
            .stderr_len = c->stderr_buf.len,
            .error = c->error,
            .description = c->desc,
    };
}

int tp_ssh_conn_wait(struct tp_ssh_conn *c, int timeout_ms, struct tp_ssh_end *end, bt_err **err)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms >= 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
    }
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    while (!c->ended && rc == 0)
        rc = timeout_ms < 0 ? pthread_cond_wait(&c->cond, &c->lock)
                            : pthread_cond_timedwait(&c->cond, &c->lock, &until);
    bool ended = c->ended;
    pthread_mutex_unlock(&c->lock);
    if (!ended)
        return bt_err_set(err, BT_E_TIMEOUT, "%s: the remote command is still running after %d ms",
                          c->desc, timeout_ms);
    if (end)
        fill_end(c, end);
    return 0;
}

/* The stderr text trimmed of surrounding white space, for a message. */
static char *stderr_tail(const struct tp_ssh_conn *c)
{
    const char *s = bt_strbuf_str(&c->stderr_buf);
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    return bt_xstrndup(s, n);
}

int tp_ssh_conn_check(struct tp_ssh_conn *c, bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    bool ended = c->ended;
    pthread_mutex_unlock(&c->lock);
    if (!ended)
        return bt_err_set(err, BT_E_CONFLICT, "%s: the remote command is still running", c->desc);
    bt_autofree char *text = stderr_tail(c);
    const char *sep = text[0] ? ": " : "";
    if (c->error)
        return bt_err_set(err, BT_E_UNAVAILABLE, "%s: %s%s%s", c->desc, c->error, sep, text);
    if (c->exit_signal)
        return bt_err_set(err, BT_E_UNAVAILABLE,
                          "%s: remote command \"%s\" was killed by signal %s%s%s", c->desc,
                          c->command, c->exit_signal, sep, text);
    if (c->exit_status != 0)
        return bt_err_set(err, BT_E_UNAVAILABLE,
                          "%s: remote command \"%s\" exited with status %d%s%s", c->desc,
                          c->command, c->exit_status, sep, text);
    return 0;
}

void tp_ssh_conn_free(struct tp_ssh_conn *c)
{
    if (!c)
        return;
    bt_fd_close(bt_steal_fd(&c->fd));
    bt_fd_close(bt_steal_fd(&c->stop_w)); /* the bridge sees POLLHUP and stops */
    pthread_join(c->thread, NULL);
    tp_ssh_conn_destroy(c);
}

int tp_ssh_dial(const struct tp_ssh_opts *o, bt_err **err)
{
    struct tp_ssh_conn *c = tp_ssh_connect(o, err);
    if (!c)
        return -1;
    int fd = tp_ssh_conn_take_fd(c);
    pthread_mutex_lock(&c->lock);
    c->detached = true;
    bool ended = c->ended;
    pthread_t t = c->thread;
    pthread_mutex_unlock(&c->lock);
    if (ended) { /* the thread saw detached == false: the connection is ours to free */
        pthread_join(t, NULL);
        tp_ssh_conn_destroy(c);
    } else {
        pthread_detach(t); /* from here on c may be freed by the thread at any time */
    }
    return fd;
}

int tp_ssh_conn_resize(struct tp_ssh_conn *c, int cols, int rows, bt_err **err)
{
    if (!c->pty)
        return bt_err_set(err, BT_E_INVALID, "resize: the session has no pseudo-terminal");
    pthread_mutex_lock(&c->lock);
    bool ended = c->ended;
    c->cols = cols;
    c->rows = rows;
    c->resize_pending = true;
    pthread_mutex_unlock(&c->lock);
    if (!ended && c->wake_w >= 0) {
        char b = 1;
        if (write(c->wake_w, &b, 1) < 0 && errno != EAGAIN)
            return bt_err_errno(err, errno, "resize: wake the bridge");
    }
    return 0;
}
