/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bridge thread: the one owner of a connection's libssh2 session once the dial returned.
 * It copies the local socket to the channel and the channel to the local socket, with
 * non-blocking libssh2 and one poll() over the TCP socket, the local socket and the stop pipe.
 *
 * EOF rules (see docs/internals/transport.md):
 *  - local read() returns 0 (the caller's shutdown(SHUT_WR) or close): what was read is sent,
 *    then the channel's EOF;
 *  - the channel's EOF: what was read is written, then shutdown(lfd, SHUT_WR);
 *  - the caller closed its end (POLLHUP before we shut our side, EPIPE, ECONNRESET): output is
 *    dropped; we wait up to CLOSE_GRACE_MS for the command to end so its exit status is known;
 *  - the remote CLOSE (after exit-status) ends the bridge once output is handed over;
 *  - the stop pipe (tp_ssh_conn_free) ends it at once.
 *
 * Invariant of the loop: poll() only after a pass in which nothing moved, and in which every
 * libssh2 read that could run returned EAGAIN; libssh2 may have queued packets while writing,
 * so writes come before reads in a pass and libssh2_poll_channel_read() is asked before
 * sleeping.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "host/transport/ssh-internal.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"

#define BUF_SIZE       (64 * 1024)
#define CLOSE_GRACE_MS 2000
#define TEARDOWN_MS    1000

struct bridge {
    struct tp_ssh_conn *c;
    LIBSSH2_SESSION *s;
    LIBSSH2_CHANNEL *ch;
    char up[BUF_SIZE]; /* local -> channel */
    size_t up_len;
    char down[BUF_SIZE]; /* channel -> local: [down_off, down_end) */
    size_t down_off, down_end;
    bool local_eof;      /* read() gave 0: nothing more comes from the caller */
    bool local_gone;     /* the caller closed its end: output is dropped */
    bool local_shut;     /* we passed the channel's EOF on (shutdown SHUT_WR) */
    bool eof_sent;       /* the channel's EOF went out */
    bool out_eof;        /* the channel's stdout (and stderr) ended */
    bool closed;         /* the remote closed the channel */
    bool stop;           /* tp_ssh_conn_free() asked us to stop */
    long long grace_end; /* ms: when to stop waiting for the remote after local_gone */
    char *error;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct bridge *b, const char *what, int rc)
{
    if (!b->error)
        b->error = bt_xasprintf("connection lost: %s: %s (%d)", what, tp_ssh_last_error(b->s), rc);
    return -1;
}

static void gone(struct bridge *b)
{
    if (b->local_gone)
        return;
    b->local_gone = true;
    b->local_eof = true;
    b->down_off = b->down_end = 0;
    b->grace_end = now_ms() + CLOSE_GRACE_MS;
}

/* local socket -> up buffer */
static int local_read(struct bridge *b)
{
    if (b->local_eof || b->up_len == sizeof(b->up))
        return 0;
    ssize_t n = recv(b->c->lfd, b->up + b->up_len, sizeof(b->up) - b->up_len, MSG_DONTWAIT);
    if (n > 0) {
        b->up_len += (size_t)n;
        return 1;
    }
    if (n == 0) {
        b->local_eof = true;
        return 1;
    }
    if (errno == EAGAIN || errno == EINTR)
        return 0;
    gone(b); /* ECONNRESET and friends: the caller is gone */
    return 1;
}

/* up buffer -> channel, then the channel's EOF once the caller's input ended */
static int channel_send(struct bridge *b)
{
    int progress = 0;
    while (b->up_len > 0 && !b->eof_sent && !b->closed) {
        ssize_t w = libssh2_channel_write(b->ch, b->up, b->up_len);
        if (w == LIBSSH2_ERROR_EAGAIN)
            break;
        if (w == LIBSSH2_ERROR_CHANNEL_CLOSED || w == LIBSSH2_ERROR_CHANNEL_EOF_SENT) {
            b->up_len = 0; /* the command is gone: nobody reads this */
            return 1;
        }
        if (w < 0)
            return fail(b, "send to the remote command", (int)w);
        memmove(b->up, b->up + w, b->up_len - (size_t)w);
        b->up_len -= (size_t)w;
        progress = 1;
    }
    if (b->local_eof && b->up_len == 0 && !b->eof_sent && !b->closed) {
        int rc = libssh2_channel_send_eof(b->ch);
        if (rc == LIBSSH2_ERROR_EAGAIN)
            return progress;
        if (rc < 0 && rc != LIBSSH2_ERROR_CHANNEL_CLOSED && rc != LIBSSH2_ERROR_CHANNEL_EOF_SENT)
            return fail(b, "send EOF to the remote command", rc);
        b->eof_sent = true;
        progress = 1;
    }
    return progress;
}

static void keep_stderr(struct bridge *b, const char *data, size_t n)
{
    struct bt_strbuf *sb = &b->c->stderr_buf;
    size_t room = sb->len < TP_STDERR_MAX ? TP_STDERR_MAX - sb->len : 0;
    bt_strbuf_append_n(sb, data, n < room ? n : room);
}

/* channel stdout -> down buffer; channel stderr -> the connection's stderr text */
static int channel_recv(struct bridge *b)
{
    int progress = 0;
    if (b->local_gone)
        b->down_off = b->down_end = 0;
    if (b->down_off > 0 && b->down_off == b->down_end)
        b->down_off = b->down_end = 0;
    while (!b->out_eof && b->down_end < sizeof(b->down)) {
        ssize_t r =
                libssh2_channel_read(b->ch, b->down + b->down_end, sizeof(b->down) - b->down_end);
        if (r == LIBSSH2_ERROR_EAGAIN)
            break;
        if (r < 0)
            return fail(b, "read from the remote command", (int)r);
        progress = 1;
        if (r == 0) { /* EOF, or the channel closed */
            b->out_eof = true;
            break;
        }
        b->down_end += (size_t)r;
        if (b->local_gone)
            b->down_off = b->down_end = 0;
    }
    for (;;) {
        char tmp[4096];
        ssize_t r = libssh2_channel_read_stderr(b->ch, tmp, sizeof(tmp));
        if (r == LIBSSH2_ERROR_EAGAIN || r == 0)
            break;
        if (r < 0)
            return fail(b, "read the remote command's stderr", (int)r);
        keep_stderr(b, tmp, (size_t)r);
        if (b->c->stderr_fd >= 0)
            bt_fd_write_all(b->c->stderr_fd, tmp, (size_t)r, NULL);
        progress = 1;
    }
    return progress;
}

/* down buffer -> local socket; the channel's EOF -> shutdown(SHUT_WR) */
static int local_write(struct bridge *b)
{
    int progress = 0;
    if (!b->local_gone && b->down_end > b->down_off) {
        ssize_t w = send(b->c->lfd, b->down + b->down_off, b->down_end - b->down_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            b->down_off += (size_t)w;
            progress = 1;
        } else if (errno != EAGAIN && errno != EINTR) {
            gone(b); /* EPIPE, ECONNRESET: the caller closed its end */
            progress = 1;
        }
    }
    if (b->out_eof && b->down_end == b->down_off && !b->local_shut && !b->local_gone) {
        shutdown(b->c->lfd, SHUT_WR);
        b->local_shut = true;
        progress = 1;
    }
    return progress;
}

/* A new size for the far side's pseudo-terminal (tp_ssh_conn_resize). */
static int channel_resize(struct bridge *b)
{
    struct tp_ssh_conn *c = b->c;
    pthread_mutex_lock(&c->lock);
    bool pending = c->resize_pending;
    int cols = c->cols, rows = c->rows;
    pthread_mutex_unlock(&c->lock);
    if (!pending || b->closed)
        return 0;
    int rc = libssh2_channel_request_pty_size_ex(b->ch, cols, rows, 0, 0);
    if (rc == LIBSSH2_ERROR_EAGAIN)
        /* libssh2 1.10 answers EAGAIN once after the request went out, with nothing to wait
         * for: call again at once rather than poll for traffic that may never come */
        return libssh2_session_block_directions(b->s) ? 0 : 1;
    pthread_mutex_lock(&c->lock);
    if (c->cols == cols && c->rows == rows)
        c->resize_pending = false;
    pthread_mutex_unlock(&c->lock);
    if (rc < 0)
        bt_debug("%s: window change: %s", c->desc, tp_ssh_last_error(b->s));
    return 1;
}

/* After the EOF: the remote's CLOSE, which follows the exit status. */
static int channel_closed(struct bridge *b)
{
    if (!b->out_eof || b->closed)
        return 0;
    int rc = libssh2_channel_wait_closed(b->ch);
    if (rc == LIBSSH2_ERROR_EAGAIN)
        return 0;
    if (rc < 0)
        return fail(b, "wait for the remote command to end", rc);
    b->closed = true;
    return 1;
}

static bool finished(struct bridge *b)
{
    if (b->stop || b->error)
        return true;
    if (b->closed && (b->local_gone || (b->local_shut && b->down_off == b->down_end)))
        return true;
    return b->local_gone && now_ms() >= b->grace_end;
}

static int poll_once(struct bridge *b)
{
    struct tp_ssh_conn *c = b->c;
    /* packets libssh2 queued while sending are not on the socket any more */
    if (!b->out_eof && b->down_end < sizeof(b->down) && libssh2_poll_channel_read(b->ch, 0))
        return 0;
    if (libssh2_poll_channel_read(b->ch, 1))
        return 0;
    struct pollfd p[4] = {
            {.fd = c->sock, .events = POLLIN},
            {.fd = -1},
            {.fd = c->stop_r, .events = POLLIN},
            {.fd = c->wake_r, .events = POLLIN},
    };
    if (libssh2_session_block_directions(b->s) & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        p[0].events |= POLLOUT;
    /* Once we shut our side and the caller shut theirs, POLLHUP stays: stop asking then. */
    if (!b->local_gone && !(b->local_eof && b->local_shut)) {
        p[1].fd = c->lfd;
        if (!b->local_eof && b->up_len < sizeof(b->up))
            p[1].events |= POLLIN;
        if (b->down_end > b->down_off)
            p[1].events |= POLLOUT;
    }
    int timeout = -1;
    if (c->keepalive_s > 0) {
        int next = 0;
        if (libssh2_keepalive_send(b->s, &next) == 0 && next > 0)
            timeout = next * 1000;
    }
    if (b->local_gone) {
        long long left = b->grace_end - now_ms();
        timeout = left < 0 ? 0 : (timeout < 0 || left < timeout ? (int)left : timeout);
    }
    if (poll(p, 4, timeout) < 0 && errno != EINTR)
        return fail(b, "poll", -errno);
    if (p[2].revents)
        b->stop = true;
    if (p[3].revents) {
        char drain[64];
        while (read(c->wake_r, drain, sizeof(drain)) > 0)
            ;
    }
    /* The caller closed its end: POLLHUP or POLLERR while our write side is still open.
     * (Its shutdown(SHUT_WR) alone shows as POLLIN with read() returning 0.) Input still
     * queued is read first. */
    if ((p[1].revents & (POLLHUP | POLLERR)) && b->local_eof && !b->local_shut)
        gone(b);
    return 0;
}

static void teardown(struct bridge *b)
{
    struct tp_ssh_conn *c = b->c;
    libssh2_session_set_blocking(b->s, 1);
    libssh2_session_set_timeout(b->s, TEARDOWN_MS);
    if (b->closed && !b->error) {
        char *signame = NULL;
        size_t siglen = 0;
        c->exit_status = libssh2_channel_get_exit_status(b->ch);
        if (libssh2_channel_get_exit_signal(b->ch, &signame, &siglen, NULL, NULL, NULL, NULL) ==
                    0 &&
            signame) {
            c->exit_signal = bt_xstrndup(signame, siglen);
            c->exit_status = -1;
            libssh2_free(b->s, signame);
        }
        libssh2_channel_close(b->ch);
    } else {
        /* Not waiting for a command that still runs: tell the server we leave, then make
         * every further send fail at once so freeing the channel does not wait either. */
        libssh2_session_disconnect(b->s, "berth: connection closed");
        shutdown(c->sock, SHUT_RDWR);
    }
    libssh2_channel_free(b->ch);
    if (b->closed && !b->error)
        libssh2_session_disconnect(b->s, "berth: done");
    libssh2_session_free(b->s);
    close(c->sock);
    c->sock = -1;
    c->session = NULL;
    c->channel = NULL;
    /* Drop what the caller sent and nobody will read, so that closing our end does not turn
     * the caller's EOF into ECONNRESET. */
    char tmp[4096];
    while (recv(c->lfd, tmp, sizeof(tmp), MSG_DONTWAIT) > 0)
        ;
    close(c->lfd);
    c->lfd = -1;
}

/* One pass over every direction; 1 when anything moved, -1 on a failure. */
static int pass(struct bridge *b)
{
    static int (*const steps[])(struct bridge *) = {channel_resize, local_read,  channel_send,
                                                    channel_recv,   local_write, channel_closed};
    int progress = 0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        int rc = steps[i](b);
        if (rc < 0)
            return -1;
        progress |= rc;
    }
    return progress;
}

void *tp_ssh_bridge_main(void *arg)
{
    struct tp_ssh_conn *c = arg;
    struct bridge *b = bt_xzalloc(sizeof(*b));
    b->c = c;
    b->s = c->session;
    b->ch = c->channel;
    while (!finished(b)) {
        int progress = pass(b);
        if (progress < 0 || (!progress && poll_once(b) < 0))
            break;
    }
    if (b->error)
        bt_debug("%s: %s", c->desc, b->error);
    teardown(b);

    pthread_mutex_lock(&c->lock);
    c->error = b->error;
    pthread_mutex_unlock(&c->lock);
    free(b);

    if (c->on_end) {
        struct tp_ssh_end end = {
                .exit_status = c->exit_status,
                .exit_signal = c->exit_signal,
                .stderr_text = bt_strbuf_str(&c->stderr_buf),
                .stderr_len = c->stderr_buf.len,
                .error = c->error,
                .description = c->desc,
        };
        c->on_end(c->on_end_arg, &end);
    }
    pthread_mutex_lock(&c->lock);
    c->ended = true;
    bool detached = c->detached;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (detached)
        tp_ssh_conn_destroy(c);
    return NULL;
}
