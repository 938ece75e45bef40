/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hijacked connections over TLS. On a TLS daemon libmicrohttpd cannot hand the TCP socket to
 * the application: it gives the upgrade handler one end of a socketpair and forwards between
 * the other end and the TLS session itself (daemon.c, thread_main_connection_upgrade). In
 * thread-per-connection mode (0.9.75) that forwarding runs on the connection's thread, and
 * only *after* the upgrade handler returned; berthd's handler stays until the container's
 * monitor is done with the connection, so the two would wait for each other. And its
 * forwarding drops half-closes: the client's close_notify (the docker CLI's CloseWrite at the
 * end of its stdin) stops the reading but never reaches the application as an end of stream,
 * so `echo hi | docker run -i IMAGE cat` would hang.
 *
 * So berthd relays itself, from inside the upgrade handler, where MHD does not touch the
 * session (it is blocked in the handler): this loop on the connection's thread, between the
 * session and a socketpair of our own whose other end goes to the application (and on to the
 * monitor, over SCM_RIGHTS, exactly like a unix-socket client). When it returns, MHD is told
 * to close; its own forwarding then finds nothing to do.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest/engine/api/tls.h"

/* One TLS record's worth of plaintext each way. */
#define RELAY_BUF 16384
/* How long a final close_notify may wait for room in the socket. */
#define BYE_TIMEOUT_MS 2000

struct relay {
    gnutls_session_t s;
    int tcp, app;
    /* from the client, for the application */
    char in[RELAY_BUF];
    size_t in_len, in_off;
    bool in_done;     /* no more: the client half-closed, or the application takes no input */
    bool half_closed; /* the client sent close_notify and goes on reading */
    bool hung_up;     /* the client's TCP stream ended: it is gone once its input is passed on */
    /* from the application, for the client */
    char out[RELAY_BUF];
    size_t out_len, out_off;
    bool app_eof; /* the application has said all it will */
    bool gone;    /* the client can no longer be written to */
};

static void from_client(struct relay *r)
{
    if (r->in_done || r->in_len)
        return;
    ssize_t n = gnutls_record_recv(r->s, r->in, sizeof(r->in));
    if (n > 0) {
        r->in_len = (size_t)n;
        r->in_off = 0;
        return;
    }
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED ||
        (n < 0 && !gnutls_error_is_fatal((int)n)))
        return; /* a warning alert, say: the record was consumed, nothing to pass on */
    r->in_done = true;
    if (n == 0) {
        /* close_notify: the client's half-close (Go's tls.Conn.CloseWrite, which the docker
         * CLI calls at the end of its stdin). It goes on reading; the application reads the
         * end of its input, as a unix-socket client's shutdown(SHUT_WR) gives it. */
        r->half_closed = true;
        shutdown(r->app, SHUT_WR);
    } else {
        /* The TCP stream ended without close_notify (a client that exits or is killed closes
         * its socket without one), or broke: the client is gone. A unix-socket client that
         * goes away is a hang-up the monitor notices; the relay gives it the same. */
        r->hung_up = true;
    }
}

static void to_app(struct relay *r)
{
    while (r->in_off < r->in_len) {
        ssize_t n =
                send(r->app, r->in + r->in_off, r->in_len - r->in_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) {
            /* the application closed its end: what the client sends now goes nowhere */
            r->in_done = true;
            break;
        }
        r->in_off += (size_t)n;
    }
    r->in_len = r->in_off = 0;
}

static void from_app(struct relay *r)
{
    if (r->app_eof || r->out_len)
        return;
    ssize_t n = recv(r->app, r->out, sizeof(r->out), MSG_DONTWAIT);
    if (n > 0) {
        r->out_len = (size_t)n;
        r->out_off = 0;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        r->app_eof = true;
    }
}

static void to_client(struct relay *r)
{
    while (r->out_off < r->out_len) {
        /* after GNUTLS_E_AGAIN the same call must be made again: out_off only moves when a
         * record went out, so the retry passes the same pointer and length */
        ssize_t n = gnutls_record_send(r->s, r->out + r->out_off, r->out_len - r->out_off);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            return;
        if (n < 0) {
            r->gone = true;
            return;
        }
        r->out_off += (size_t)n;
    }
    r->out_len = r->out_off = 0;
}

/* Wait until a socket can move data the relay has room or data for. Records GnuTLS already
 * decrypted are not in the socket: with those pending there is no waiting. */
static void wait_ready(struct relay *r)
{
    bool want_client = !r->in_done && !r->in_len;
    if (want_client && gnutls_record_check_pending(r->s) > 0) {
        from_client(r);
        return;
    }
    struct pollfd p[2] = {{.fd = r->tcp}, {.fd = r->app}};
    if (want_client)
        p[0].events |= POLLIN;
    /* after close_notify nothing may come but the end of the TCP stream: the client closed */
    if (r->half_closed)
        p[0].events |= POLLRDHUP;
    if (r->out_len)
        p[0].events |= POLLOUT;
    if (!r->app_eof && !r->out_len)
        p[1].events |= POLLIN;
    if (r->in_len)
        p[1].events |= POLLOUT;
    /* a socket the relay wants nothing from stays out of the poll, or its hang-up would be
     * reported again and again while the other side catches up */
    for (int i = 0; i < 2; i++)
        if (!p[i].events)
            p[i].fd = -1;
    if (poll(p, 2, -1) <= 0)
        return;
    if (r->half_closed && (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR)))
        r->hung_up = true;
    else if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        from_client(r);
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
        from_app(r);
}

static void say_goodbye(struct relay *r)
{
    for (int waited = 0; waited < BYE_TIMEOUT_MS; waited += 100) {
        int rc = gnutls_bye(r->s, GNUTLS_SHUT_WR);
        if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
            return;
        struct pollfd p = {.fd = r->tcp, .events = POLLOUT};
        poll(&p, 1, 100);
    }
}

void api_tls_relay(void *session, int tcp, int app)
{
    struct relay r = {.s = session, .tcp = tcp, .app = app};
    for (;;) {
        to_app(&r);
        to_client(&r);
        if (r.hung_up && !r.in_len)
            r.gone = true; /* its last input is with the application: let go */
        if (r.gone || (r.app_eof && !r.out_len))
            break;
        wait_ready(&r);
    }
    /* the application's end of stream is the client's: close_notify, which Go reads as EOF
     * (libmicrohttpd sends one more when it closes the connection; that one is refused) */
    if (!r.gone)
        say_goodbye(&r);
}
