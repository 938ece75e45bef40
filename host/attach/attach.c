/* SPDX-License-Identifier: Apache-2.0 */
#include "host/attach/attach.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "host/term/term.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

void at_resize(struct cl_client *c, const char *id, bool is_exec, int tty_fd)
{
    unsigned rows, cols;
    if (!c || !term_size(tty_fd, &rows, &cols))
        return;
    bt_autofree char *path = bt_xasprintf("/%s/%s/resize?h=%u&w=%u",
                                          is_exec ? "exec" : "containers", id, rows, cols);
    struct cl_request req = {.method = "POST", .path = path};
    struct cl_response resp;
    if (cl_do(c, &req, &resp, NULL) == 0)
        cl_response_clear(&resp);
}

static void forward_signal(const struct at_opts *o, int sig)
{
    if (!o->client || o->is_exec)
        return;
    bt_autofree char *path = bt_xasprintf("/containers/%s/kill?signal=%d", o->id, sig);
    struct cl_request req = {.method = "POST", .path = path};
    struct cl_response resp;
    if (cl_do(o->client, &req, &resp, NULL) == 0)
        cl_response_clear(&resp);
}

struct out_ctx {
    const struct at_opts *o;
};

static int demux_out(void *arg, int stream, const char *p, size_t n)
{
    const struct at_opts *o = arg;
    int fd = stream == 2 ? o->err_fd : o->out_fd;
    if (stream == 3) {
        /* an error the engine reports in the stream (stdcopy's systemerr) */
        fprintf(stderr, "%.*s\n", (int)n, p);
        return 0;
    }
    if (fd >= 0 && write_all(fd, p, n) < 0)
        return -1;
    return 0;
}

static int signal_fd(const struct at_opts *o, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    if (o->resize)
        sigaddset(&set, SIGWINCH);
    if (o->sig_proxy)
        for (size_t i = 0; i < sizeof(proxied) / sizeof(proxied[0]); i++)
            sigaddset(&set, proxied[i]);
    sigprocmask(SIG_BLOCK, &set, old);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct loop {
    struct cl_stream *s;
    const struct at_opts *o;
    struct term_escape esc;
    struct cl_demux dmx;
    bool in_open;
};

/* The user's input: to the container, or the end of the session. */
static int pump_input(struct loop *l, bt_err **err)
{
    unsigned char buf[4096], out[4096 + TERM_MAX_KEYS];
    ssize_t n = read(l->o->in_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) {
        l->in_open = false;
        cl_stream_close_write(l->s);
        return 0;
    }
    size_t m = (size_t)n;
    const unsigned char *send = buf;
    if (l->esc.n) {
        if (term_escape_filter(&l->esc, buf, m, out, &m))
            return AT_END_DETACHED;
        send = out;
    }
    while (m) {
        ssize_t w = cl_stream_write(l->s, send, m);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            l->in_open = false; /* the container is gone; its output may still come */
            return 0;
        }
        send += w;
        m -= (size_t)w;
    }
    return 0;
}

/* The engine's output; 1 at its end. */
static int pump_output(struct loop *l, bt_err **err)
{
    char buf[32768];
    ssize_t n = cl_stream_read(l->s, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n < 0)
        return bt_err_errno(err, errno, "read from the engine");
    if (n == 0)
        return 1;
    if (l->o->tty) {
        if (l->o->out_fd >= 0 && write_all(l->o->out_fd, buf, (size_t)n) < 0)
            return bt_err_errno(err, errno, "write the output");
        return 0;
    }
    return cl_demux_feed(&l->dmx, buf, (size_t)n, demux_out, (void *)l->o, err);
}

static void pump_signals(struct loop *l, int sfd)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if ((int)si.ssi_signo == SIGWINCH)
            at_resize(l->o->client, l->o->id, l->o->is_exec, l->o->out_fd);
        else
            forward_signal(l->o, (int)si.ssi_signo);
    }
}

int at_stream(struct cl_stream *s, const struct at_opts *o, bt_err **err)
{
    struct loop l = {.s = s, .o = o, .in_open = o->in_fd >= 0};
    struct term_state ts_in = {.fd = -1}, ts_out = {.fd = -1};
    if (o->tty && o->in_fd >= 0) {
        if (term_parse_keys(o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q", l.esc.keys, &l.esc.n,
                            NULL) < 0)
            term_parse_keys("ctrl-p,ctrl-q", l.esc.keys, &l.esc.n, NULL);
        if (term_make_raw(o->in_fd, &ts_in, err) < 0)
            return -1;
        if (o->out_fd >= 0)
            term_make_raw(o->out_fd, &ts_out, NULL);
    }
    sigset_t old;
    bt_autoclose int sfd = o->resize || o->sig_proxy ? signal_fd(o, &old) : -1;
    bool out_attached = o->out_fd >= 0 || o->err_fd >= 0;
    int rc = -1;
    for (;;) {
        if (cl_stream_pending(s)) {
            int r = pump_output(&l, err);
            if (r != 0) {
                rc = r < 0 ? -1 : AT_END_OUTPUT;
                break;
            }
            continue;
        }
        struct pollfd p[3] = {{.fd = cl_stream_fd(s), .events = POLLIN},
                              {.fd = l.in_open ? o->in_fd : -1, .events = POLLIN},
                              {.fd = sfd, .events = POLLIN}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            bt_err_errno(err, errno, "poll");
            break;
        }
        if (p[2].revents)
            pump_signals(&l, sfd);
        if (p[1].revents) {
            int r = pump_input(&l, err);
            if (r == AT_END_DETACHED) {
                rc = AT_END_DETACHED;
                break;
            }
            if (!l.in_open && !out_attached) {
                rc = AT_END_INPUT;
                break;
            }
        }
        if (p[0].revents) {
            int r = pump_output(&l, err);
            if (r != 0) {
                rc = r < 0 ? -1 : AT_END_OUTPUT;
                break;
            }
        }
    }
    term_restore(&ts_out);
    term_restore(&ts_in);
    if (sfd >= 0)
        sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* ---- the wait, on a thread ---- */

struct at_wait {
    pthread_t thread;
    bool started;
    struct cl_endpoint ep;
    char *path;
    int status;
    bt_err *err;
    /* set once the engine answered with its headers (it is waiting) or the request ended */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool headed;
};

static void wait_headed(struct at_wait *w)
{
    pthread_mutex_lock(&w->lock);
    w->headed = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void on_head(void *arg, int status)
{
    (void)status;
    wait_headed(arg);
}

static void *wait_thread(void *arg)
{
    struct at_wait *w = arg;
    struct cl_client *c = cl_client_new(&w->ep);
    struct cl_request req = {
            .method = "POST", .path = w->path, .on_head = on_head, .on_head_arg = w};
    struct cl_response resp;
    if (cl_call(c, &req, &resp, &w->err) >= 0) {
        bt_autoptr(json_t) doc = bt_json_parse(resp.body.buf, resp.body.len, &w->err);
        if (doc) {
            w->status = (int)bt_json_get_int(doc, "StatusCode", -1);
            const char *msg = bt_json_get_str(bt_json_get_obj(doc, "Error"), "Message", NULL);
            if (msg && *msg)
                bt_err_set(&w->err, BT_E_INTERNAL, "%s", msg);
        }
        cl_response_clear(&resp);
    }
    cl_client_free(c);
    wait_headed(w);
    return NULL;
}

struct at_wait *at_wait_start(const struct cl_endpoint *ep, const char *id, const char *condition)
{
    struct at_wait *w = bt_xzalloc(sizeof(*w));
    cl_endpoint_copy(&w->ep, ep);
    w->path = bt_xasprintf("/containers/%s/wait?condition=%s", id, condition);
    w->status = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    /* the signals the main thread proxies must not land here */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    w->started = pthread_create(&w->thread, NULL, wait_thread, w) == 0;
    if (!w->started)
        bt_err_set(&w->err, BT_E_INTERNAL, "wait for the container: cannot start a thread");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* Return once the engine is waiting, as docker's ContainerWait does: a container started
     * before that could exit, and with --rm be gone, before the wait reaches the engine. */
    pthread_mutex_lock(&w->lock);
    while (w->started && !w->headed)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return w;
}

int at_wait_finish(struct at_wait *w, int *status, bt_err **err)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    int rc = 0;
    if (w->err) {
        bt_err_move(err, &w->err);
        rc = -1;
    }
    *status = w->status;
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    cl_endpoint_clear(&w->ep);
    free(w->path);
    free(w);
    return rc;
}
