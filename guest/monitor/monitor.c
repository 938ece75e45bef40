/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/monproto/monproto.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/strbuf.h"

/* A client far behind stops the reading of the container's output (backpressure, as an
 * attached docker CLI slows a container down) rather than growing without bound. */
#define CLIENT_BACKLOG (4u << 20)
/* After the process exited, slow clients get this long to take the rest. */
#define DRAIN_SECONDS 10

struct mon_client {
    int fd;
    int ctl; /* the control connection that handed it over (-1 once that is gone) */
    char token[64];
    bool in, out, err;
    unsigned char detach[16];
    size_t ndetach, matched;
    struct bt_strbuf pending;
    size_t sent;
    bool in_done;
};

void mon_init(struct mon *m)
{
    memset(m, 0, sizeof(*m));
    m->stdin_w = m->out_r = m->err_r = m->listen_fd = m->sigfd = -1;
    m->pid = -1;
}

void mon_add_ctl(struct mon *m, int fd)
{
    if (m->nctls == MON_MAX_CTLS) {
        close(fd);
        return;
    }
    m->ctls[m->nctls++] = fd;
}

static void drop_ctl(struct mon *m, size_t i)
{
    int fd = m->ctls[i];
    for (size_t k = 0; k < m->nclients; k++)
        if (m->clients[k]->ctl == fd)
            m->clients[k]->ctl = -1;
    close(fd);
    m->ctls[i] = m->ctls[--m->nctls];
}

void mon_broadcast(struct mon *m, const char *fmt, ...)
{
    char buf[MONPROTO_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < m->nctls; i++)
        monproto_send(m->ctls[i], -1, NULL, "%s", buf);
}

int mon_exit_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 255;
}

/* ---- clients ---- */

static void close_client(struct mon *m, size_t i)
{
    struct mon_client *c = m->clients[i];
    /* The output is over for this client: say so with a FIN, which the docker CLI reads as the
     * end of the stream, then let go. */
    shutdown(c->fd, SHUT_WR);
    close(c->fd);
    if (c->ctl >= 0)
        monproto_send(c->ctl, -1, NULL, "detached %s", c->token);
    bt_strbuf_free(&c->pending);
    free(c);
    m->clients[i] = m->clients[--m->nclients];
}

static void close_stdin(struct mon *m)
{
    if (m->stdin_w >= 0 && !m->tty) {
        close(m->stdin_w);
        m->stdin_w = -1;
    }
}

static int add_client(struct mon *m, int ctl, int fd, char **w, size_t n)
{
    if (n < 4 || m->nclients == MON_MAX_CLIENTS) {
        close(fd);
        return 0;
    }
    struct mon_client *c = bt_xzalloc(sizeof(*c));
    c->fd = fd;
    c->ctl = ctl;
    snprintf(c->token, sizeof(c->token), "%s", w[1]);
    c->in = strchr(w[2], 'i') != NULL;
    c->out = strchr(w[2], 'o') != NULL;
    c->err = strchr(w[2], 'e') != NULL;
    if (strcmp(w[3], "-") != 0) {
        for (size_t k = 0; w[3][2 * k] && w[3][2 * k + 1] && k < sizeof(c->detach); k++) {
            char hex[3] = {w[3][2 * k], w[3][2 * k + 1], 0};
            c->detach[c->ndetach++] = (unsigned char)strtoul(hex, NULL, 16);
        }
    }
    bt_fd_set_nonblock(fd, true, NULL);
    m->clients[m->nclients++] = c;
    /* a client that asked for no output and no input has nothing to wait for */
    if (!c->out && !c->err && !c->in)
        close_client(m, m->nclients - 1);
    return 0;
}

/* Queue output for every client that wants this stream. Without a terminal Docker multiplexes
 * stdout and stderr on one connection: an 8-byte header (stream, 0, 0, 0, length big-endian)
 * before each chunk. */
static void fan_out(struct mon *m, int stream, const char *data, size_t len)
{
    for (size_t i = 0; i < m->nclients; i++) {
        struct mon_client *c = m->clients[i];
        if ((stream == 1 && !c->out) || (stream == 2 && !c->err))
            continue;
        if (!m->tty) {
            unsigned char h[8] = {(unsigned char)stream,
                                  0,
                                  0,
                                  0,
                                  (unsigned char)(len >> 24),
                                  (unsigned char)(len >> 16),
                                  (unsigned char)(len >> 8),
                                  (unsigned char)len};
            bt_strbuf_append_n(&c->pending, h, 8);
        }
        bt_strbuf_append_n(&c->pending, data, len);
    }
}

/* Write what a client can take now; false when it is gone. */
static bool flush_client(struct mon_client *c)
{
    while (c->sent < c->pending.len) {
        ssize_t n = send(c->fd, c->pending.buf + c->sent, c->pending.len - c->sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN;
        }
        c->sent += (size_t)n;
    }
    bt_strbuf_reset(&c->pending);
    c->sent = 0;
    return true;
}

/* Input from a client: detach keys are looked for and swallowed, the rest goes to the
 * process. Returns false when the client should be closed. */
static bool client_input(struct mon *m, struct mon_client *c)
{
    char buf[8192];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    if (n == 0) {
        /* The client closed its sending side (the docker CLI at the end of its stdin, a
         * half-close) or went away; the output may still go to it. */
        c->in_done = true;
        if (c->in && m->stdin_once)
            close_stdin(m);
        return c->out || c->err;
    }
    if (!c->in || m->stdin_w < 0)
        return true;
    /* Detach keys only mean something on a terminal, as in dockerd (container/stream/attach.go
     * copies stdin with copyEscapable only with a TTY): without one, stdin is data, where any
     * pair of bytes may come (ctrl-p ctrl-q is 0x10 0x11). */
    size_t ndetach = m->tty ? c->ndetach : 0;
    char fwd[8192 + 16];
    size_t nf = 0;
    for (ssize_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (ndetach && b == c->detach[c->matched]) {
            if (++c->matched == ndetach)
                return false; /* detach: the container goes on, this client leaves */
            continue;
        }
        /* a partial match that failed: those bytes were input after all */
        for (size_t k = 0; k < c->matched; k++)
            fwd[nf++] = (char)c->detach[k];
        c->matched = 0;
        if (ndetach && b == c->detach[0]) {
            c->matched = 1;
            continue;
        }
        fwd[nf++] = (char)b;
    }
    if (nf && bt_fd_write_all(m->stdin_w, fwd, nf, NULL) < 0)
        close_stdin(m);
    return true;
}

/* ---- control ---- */

int mon_handle_ctl(struct mon *m, int ctl)
{
    char buf[MONPROTO_MAX];
    int fd = -1;
    ssize_t n = monproto_recv(ctl, buf, sizeof(buf), &fd, NULL);
    if (n <= 0)
        return -1;
    char *w[5];
    size_t nw = monproto_split(buf, w, 5);
    if (nw == 0) {
        bt_fd_close(fd);
        return 0;
    }
    if (strcmp(w[0], "attach") == 0 && fd >= 0)
        return add_client(m, ctl, fd, w, nw);
    bt_fd_close(fd);
    if (strcmp(w[0], "start") == 0)
        return 1;
    if (strcmp(w[0], "kill") == 0 && nw == 2 && m->pid > 0 && !m->exited) {
        kill(m->pid, atoi(w[1]));
    } else if (strcmp(w[0], "resize") == 0 && nw == 3 && m->tty && m->out_r >= 0) {
        struct winsize ws = {.ws_row = (unsigned short)atoi(w[1]),
                             .ws_col = (unsigned short)atoi(w[2])};
        ioctl(m->out_r, TIOCSWINSZ, &ws);
    } else if (strcmp(w[0], "hello") == 0) {
        if (m->exited)
            monproto_send(ctl, -1, NULL, "exited %d 0 0", m->status);
        else if (m->pid > 0)
            monproto_send(ctl, -1, NULL, "running %d", (int)m->pid);
    }
    return 0;
}

/* ---- the loop ---- */

static bool output_open(struct mon *m)
{
    return m->out_r >= 0 || m->err_r >= 0;
}

static bool backlogged(struct mon *m)
{
    for (size_t i = 0; i < m->nclients; i++)
        if (m->clients[i]->pending.len - m->clients[i]->sent > CLIENT_BACKLOG)
            return true;
    return false;
}

/* Read a chunk of output; false at its end. */
static bool read_output(struct mon *m, int *fdp, int stream)
{
    char buf[65536];
    ssize_t n = read(*fdp, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (n <= 0) {
        /* EOF, or EIO from a terminal whose other side is gone */
        if (m->tty && *fdp == m->stdin_w)
            m->stdin_w = -1;
        close(*fdp);
        *fdp = -1;
        return false;
    }
    logfile_write(m->log, stream == 2 ? "stderr" : "stdout", buf, (size_t)n);
    fan_out(m, stream, buf, (size_t)n);
    return true;
}

static void reap(struct mon *m)
{
    struct signalfd_siginfo si;
    while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
        ;
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == m->pid) {
            m->exited = true;
            m->status = mon_exit_status(st);
        }
    }
}

void mon_loop(struct mon *m)
{
    time_t drain_deadline = 0;
    for (;;) {
        if (m->exited && !drain_deadline)
            drain_deadline = time(NULL) + DRAIN_SECONDS;
        bool busy_clients = false;
        for (size_t i = 0; i < m->nclients; i++)
            busy_clients |= m->clients[i]->pending.len > m->clients[i]->sent;
        if (m->exited && !output_open(m)) {
            if (!busy_clients || time(NULL) >= drain_deadline)
                break;
        }
        if (m->exited && output_open(m) && time(NULL) >= drain_deadline)
            break; /* something in the container keeps the output open: give up on it */

        struct pollfd p[4 + MON_MAX_CTLS + MON_MAX_CLIENTS];
        size_t np = 0;
        size_t i_out = SIZE_MAX, i_err = SIZE_MAX, i_sig = SIZE_MAX, i_listen = SIZE_MAX;
        bool hold = backlogged(m);
        if (m->out_r >= 0 && !hold) {
            i_out = np;
            p[np++] = (struct pollfd){.fd = m->out_r, .events = POLLIN};
        }
        if (m->err_r >= 0 && !hold) {
            i_err = np;
            p[np++] = (struct pollfd){.fd = m->err_r, .events = POLLIN};
        }
        if (m->sigfd >= 0) {
            i_sig = np;
            p[np++] = (struct pollfd){.fd = m->sigfd, .events = POLLIN};
        }
        if (m->listen_fd >= 0) {
            i_listen = np;
            p[np++] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
        }
        size_t ctl0 = np;
        for (size_t k = 0; k < m->nctls; k++)
            p[np++] = (struct pollfd){.fd = m->ctls[k], .events = POLLIN};
        size_t cl0 = np;
        for (size_t k = 0; k < m->nclients; k++) {
            struct mon_client *c = m->clients[k];
            short ev = c->in_done ? 0 : POLLIN;
            if (c->pending.len > c->sent)
                ev |= POLLOUT;
            p[np++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        int timeout = drain_deadline ? 1000 : -1;
        if (poll(p, np, timeout) < 0 && errno != EINTR)
            break;

        if (i_sig != SIZE_MAX && p[i_sig].revents)
            reap(m);
        if (i_out != SIZE_MAX && p[i_out].revents)
            read_output(m, &m->out_r, 1);
        if (i_err != SIZE_MAX && p[i_err].revents)
            read_output(m, &m->err_r, 2);
        if (i_listen != SIZE_MAX && (p[i_listen].revents & POLLIN)) {
            int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                mon_add_ctl(m, fd);
        }
        /* control connections: walk backwards, drop_ctl() moves the last one into place */
        size_t nctl_polled = cl0 - ctl0;
        for (size_t k = nctl_polled; k-- > 0;) {
            if (!p[ctl0 + k].revents)
                continue;
            int fd = p[ctl0 + k].fd;
            size_t idx = SIZE_MAX;
            for (size_t q = 0; q < m->nctls; q++)
                if (m->ctls[q] == fd)
                    idx = q;
            if (idx != SIZE_MAX && mon_handle_ctl(m, fd) < 0)
                drop_ctl(m, idx);
        }
        size_t ncl_polled = np - cl0;
        for (size_t k = ncl_polled; k-- > 0;) {
            int fd = p[cl0 + k].fd;
            short rev = p[cl0 + k].revents;
            size_t idx = SIZE_MAX;
            for (size_t q = 0; q < m->nclients; q++)
                if (m->clients[q]->fd == fd)
                    idx = q;
            if (idx == SIZE_MAX || !rev)
                continue;
            struct mon_client *c = m->clients[idx];
            bool keep = true;
            if (rev & POLLIN)
                keep = client_input(m, c);
            if (keep && (rev & POLLOUT))
                keep = flush_client(c);
            if (keep && (rev & (POLLERR | POLLHUP)) && !(rev & POLLIN))
                keep = false;
            if (!keep)
                close_client(m, idx);
        }
    }
    logfile_flush(m->log);
    /* deliver what is left, as far as clients take it without blocking us long */
    for (size_t i = m->nclients; i-- > 0;) {
        bt_fd_set_nonblock(m->clients[i]->fd, false, NULL);
        struct timeval tv = {.tv_sec = 2};
        setsockopt(m->clients[i]->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        flush_client(m->clients[i]);
    }
}

void mon_close_clients(struct mon *m)
{
    for (size_t i = m->nclients; i-- > 0;)
        close_client(m, i);
}

void mon_await_recorded(struct mon *m, int timeout_ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (m->nctls > 0) {
        struct pollfd p[MON_MAX_CTLS];
        for (size_t i = 0; i < m->nctls; i++)
            p[i] = (struct pollfd){.fd = m->ctls[i], .events = POLLIN};
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent >= timeout_ms || poll(p, m->nctls, (int)(timeout_ms - spent)) <= 0)
            return;
        for (size_t i = m->nctls; i-- > 0;) {
            if (!p[i].revents)
                continue;
            char buf[MONPROTO_MAX];
            int fd = -1;
            ssize_t n = monproto_recv(m->ctls[i], buf, sizeof(buf), &fd, NULL);
            bt_fd_close(fd);
            if (n <= 0)
                drop_ctl(m, i);
        }
    }
}
