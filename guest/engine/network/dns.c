/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded DNS server (dns.h): one thread, one epoll set over every socket.
 *
 * Locking: d->lock guards everything. The server's thread holds it except while it waits in
 * epoll_wait and while the engine's lookup callback runs, so that the callback may take the
 * engine's locks while another thread, holding them, calls net_dns_listen or _unlisten (which
 * take d->lock and never wait for the thread). Other threads never free what the thread may
 * be using: net_dns_unlisten closes a listener's sockets at once (the port is free when it
 * returns) and marks it and its connections dead; the thread skips dead objects and frees
 * them at the end of its turn, and checks `dead` again after every callback.
 *
 * UDP forwarding: each forwarded query gets a socket of its own, connected to the server, and
 * a fresh random ID (restored to the client's on the way back): the kernel drops datagrams
 * from other sources, and a spoofed reply must guess the source port as well as the ID
 * (RFC 5452), as dockerd's forwarder (a new connection per query) has it too. TCP queries are
 * forwarded over TCP by a short-lived thread (dns_forward_tcp, blocking), whose result comes
 * back through the wake eventfd.
 */
#include "guest/engine/network/dns-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

/* A TCP client idle this long is closed (dnsmasq and unbound use similar limits). */
#define DNS_TCP_IDLE_MS 10000
/* Bounds on what clients can make the server hold: TCP connections, UDP queries waiting for
 * upstream (each holds a socket: berthd's descriptors are not infinite), TCP forwarding
 * threads. Beyond them new connections are closed and queries answered SERVFAIL. */
#define DNS_MAX_CONNS    128
#define DNS_MAX_FORWARDS 256
#define DNS_MAX_JOBS     16
#define DNS_PORT         53

enum handle_kind {
    H_WAKE,
    H_UDP,
    H_TCP_LISTEN,
    H_CONN,
    H_FORWARD,
};

/* What an epoll event points at: the kind, and the object. */
struct handle {
    enum handle_kind kind;
    void *obj;
};

struct listener {
    SLIST_ENTRY(listener) link;
    uint32_t addr;
    int udp_fd, tcp_fd;
    struct handle hu, ht;
    bool dead;
};

/* A TCP client: one query read at a time (2-byte length, then the message), one reply
 * written at a time. */
struct conn {
    TAILQ_ENTRY(conn) link; /* ordered by deadline */
    struct handle h;
    int fd;
    uint32_t laddr, client;
    long long deadline;
    uint8_t lenbuf[2];
    size_t have; /* bytes read of the current query, its length included */
    size_t qlen;
    uint8_t *in;
    uint8_t *out;
    size_t outlen, outoff;
    bool busy; /* a TCP forward owns the query; the connection is out of the epoll set */
    bool dead;
};

/* A UDP query waiting for an upstream server. */
struct forward {
    TAILQ_ENTRY(forward) link; /* ordered by deadline */
    struct handle h;
    int fd; /* connected to servers[server] */
    size_t server;
    uint16_t id, client_id;
    uint32_t laddr;
    struct sockaddr_in client;
    uint8_t *query;
    size_t len;
    long long deadline;
};

/* A TCP query forwarded by a thread of its own. */
struct job {
    SLIST_ENTRY(job) link;
    struct net_dns *d;
    pthread_t thread;
    struct conn *c;
    uint8_t *query, *reply;
    size_t len, reply_len;
    bool done;
};

struct net_dns {
    pthread_mutex_t lock;
    pthread_t thread;
    int epfd;
    int wake_fd; /* an eventfd: a job is done, or the server stops */
    int stop_fd; /* an eventfd written once at stop, for the jobs' polls */
    struct handle hwake;
    bool stopping;
    net_dns_lookup_fn lookup;
    void *ctx;
    struct dns_server servers[DNS_MAX_SERVERS];
    size_t nservers;
    SLIST_HEAD(, listener) listeners;
    TAILQ_HEAD(, conn) conns;
    TAILQ_HEAD(, forward) forwards;
    SLIST_HEAD(, job) jobs;
    size_t nconns, nforwards, njobs;
    uint8_t buf[DNS_MSG_MAX];       /* what was received */
    uint8_t reply[DNS_MSG_MAX + 2]; /* what is sent (room for TCP's length) */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ep_set(struct net_dns *d, int op, int fd, uint32_t events, struct handle *h)
{
    struct epoll_event ev = {.events = events, .data.ptr = h};
    if (epoll_ctl(d->epfd, op, fd, &ev) < 0 && op != EPOLL_CTL_DEL)
        bt_warn("dns: epoll_ctl: %s", strerror(errno));
}

/* Out of the epoll set, then closed. Closing alone is not enough: a child berthd forks holds
 * a copy of every descriptor until its exec (CLOEXEC or not), the registration lives as long
 * as the open file does, and its events would point at freed memory. */
static void ep_close(struct net_dns *d, int fd)
{
    if (fd < 0)
        return;
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

/* The engine's lookup, called without the lock (see the top of the file). */
static size_t unlocked_lookup(void *ctx, uint32_t client, const char *name, uint32_t *out,
                              size_t max)
{
    struct net_dns *d = ctx;
    pthread_mutex_unlock(&d->lock);
    size_t n = d->lookup(d->ctx, client, name, out, max);
    pthread_mutex_lock(&d->lock);
    return n;
}

static long answer(struct net_dns *d, const uint8_t *q, size_t len, uint32_t client, bool udp,
                   uint8_t *out, size_t out_size)
{
    struct dns_request rq = {
            .query = q,
            .len = len,
            .client = client,
            .udp = udp,
            .lookup = unlocked_lookup,
            .ctx = d,
    };
    return dns_answer(&rq, out, out_size);
}

static struct listener *find_listener(struct net_dns *d, uint32_t addr)
{
    struct listener *l;
    SLIST_FOREACH(l, &d->listeners, link)
    {
        if (l->addr == addr && !l->dead)
            return l;
    }
    return NULL;
}

/* ---- UDP ---- */

static void send_udp(struct net_dns *d, uint32_t laddr, const struct sockaddr_in *to,
                     const uint8_t *msg, size_t len)
{
    struct listener *l = find_listener(d, laddr);
    if (l &&
        sendto(l->udp_fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to)) < 0)
        bt_debug("dns: send reply: %s", strerror(errno));
}

static void servfail_udp(struct net_dns *d, uint32_t laddr, const struct sockaddr_in *to,
                         const uint8_t *q, size_t len)
{
    long n = dns_servfail(q, len, d->reply, sizeof(d->reply));
    if (n > 0)
        send_udp(d, laddr, to, d->reply, (size_t)n);
}

static void forward_free(struct net_dns *d, struct forward *f)
{
    TAILQ_REMOVE(&d->forwards, f, link);
    d->nforwards--;
    ep_close(d, f->fd);
    free(f->query);
    free(f);
}

/* Send f's query to the first server from `from` on that takes it; -1 when none does. */
static int forward_send(struct net_dns *d, struct forward *f, size_t from)
{
    for (size_t s = from; s < d->nservers; s++) {
        ep_close(d, f->fd); /* the previous server's */
        f->fd = socket(d->servers[s].addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (f->fd < 0)
            return -1;
        f->id = (uint16_t)arc4random_uniform(65536);
        f->query[0] = (uint8_t)(f->id >> 8);
        f->query[1] = (uint8_t)f->id;
        const struct dns_server *srv = &d->servers[s];
        if (connect(f->fd, (const struct sockaddr *)&srv->addr, srv->addr_len) < 0 ||
            send(f->fd, f->query, f->len, MSG_DONTWAIT) < 0)
            continue;
        f->server = s;
        f->deadline = now_ms() + DNS_UPSTREAM_TIMEOUT_MS;
        ep_set(d, EPOLL_CTL_ADD, f->fd, EPOLLIN, &f->h);
        return 0;
    }
    return -1;
}

/* Ask the server after the current one; when none is left, answer the client SERVFAIL and
 * free f. */
static void forward_next(struct net_dns *d, struct forward *f)
{
    if (forward_send(d, f, f->server + 1) == 0) {
        TAILQ_REMOVE(&d->forwards, f, link);
        TAILQ_INSERT_TAIL(&d->forwards, f, link);
        return;
    }
    f->query[0] = (uint8_t)(f->client_id >> 8);
    f->query[1] = (uint8_t)f->client_id;
    servfail_udp(d, f->laddr, &f->client, f->query, f->len);
    forward_free(d, f);
}

static void forward_udp(struct net_dns *d, struct listener *l, const struct sockaddr_in *from,
                        const uint8_t *q, size_t len)
{
    if (d->nservers == 0 || d->nforwards >= DNS_MAX_FORWARDS) {
        servfail_udp(d, l->addr, from, q, len);
        return;
    }
    struct forward *f = bt_xzalloc(sizeof(*f));
    f->h = (struct handle){H_FORWARD, f};
    f->fd = -1;
    f->query = bt_xmalloc(len);
    memcpy(f->query, q, len);
    f->len = len;
    f->client_id = (uint16_t)(q[0] << 8 | q[1]);
    f->laddr = l->addr;
    f->client = *from;
    f->server = (size_t)-1; /* forward_next starts at server 0 */
    TAILQ_INSERT_TAIL(&d->forwards, f, link);
    d->nforwards++;
    forward_next(d, f);
}

static void on_forward(struct net_dns *d, struct forward *f)
{
    ssize_t n = recv(f->fd, d->buf, sizeof(d->buf), MSG_DONTWAIT);
    if (n < 0) {
        /* ECONNREFUSED: the ICMP port unreachable of a server that does not serve DNS */
        if (errno != EAGAIN && errno != EINTR)
            forward_next(d, f);
        return;
    }
    /* not a reply to our query (a stray datagram, or a spoofing attempt that got the port but
     * not the ID): keep waiting for the real one */
    if (n < 12 || (uint16_t)(d->buf[0] << 8 | d->buf[1]) != f->id || !(d->buf[2] & 0x80))
        return;
    if (f->server + 1 < d->nservers && dns_reply_try_next(d->buf, (size_t)n)) {
        forward_next(d, f);
        return;
    }
    d->buf[0] = (uint8_t)(f->client_id >> 8);
    d->buf[1] = (uint8_t)f->client_id;
    send_udp(d, f->laddr, &f->client, d->buf, (size_t)n);
    forward_free(d, f);
}

static void on_udp(struct net_dns *d, struct listener *l)
{
    /* a few datagrams per turn, so that one busy network does not starve the others */
    for (int i = 0; i < 16 && !l->dead; i++) {
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(l->udp_fd, d->buf, sizeof(d->buf), MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        long r = answer(d, d->buf, (size_t)n, ntohl(from.sin_addr.s_addr), true, d->reply,
                        sizeof(d->reply));
        if (l->dead)
            return;
        if (r > 0)
            send_udp(d, l->addr, &from, d->reply, (size_t)r);
        else if (r == 0)
            forward_udp(d, l, &from, d->buf, (size_t)n);
    }
}

/* ---- TCP ---- */

static void conn_close(struct net_dns *d, struct conn *c)
{
    ep_close(d, c->fd);
    c->fd = -1;
    c->dead = true;
}

static void conn_free(struct net_dns *d, struct conn *c)
{
    TAILQ_REMOVE(&d->conns, c, link);
    d->nconns--;
    ep_close(d, c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static void conn_touch(struct net_dns *d, struct conn *c)
{
    c->deadline = now_ms() + DNS_TCP_IDLE_MS;
    TAILQ_REMOVE(&d->conns, c, link);
    TAILQ_INSERT_TAIL(&d->conns, c, link);
}

static void on_conn_out(struct net_dns *d, struct conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w =
                send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EINTR)
                conn_close(d, c);
            return;
        }
        c->outoff += (size_t)w;
    }
    free(c->out);
    c->out = NULL;
    c->outlen = c->outoff = 0;
    ep_set(d, EPOLL_CTL_MOD, c->fd, EPOLLIN, &c->h);
    conn_touch(d, c);
}

/* Queue a reply (without its length) and start writing it; reading waits until it is out. */
static void conn_send(struct net_dns *d, struct conn *c, const uint8_t *msg, size_t len)
{
    c->out = bt_xmalloc(len + 2);
    c->out[0] = (uint8_t)(len >> 8);
    c->out[1] = (uint8_t)len;
    memcpy(c->out + 2, msg, len);
    c->outlen = len + 2;
    c->outoff = 0;
    ep_set(d, EPOLL_CTL_MOD, c->fd, EPOLLOUT, &c->h);
    on_conn_out(d, c);
}

static void conn_servfail(struct net_dns *d, struct conn *c, const uint8_t *q, size_t len)
{
    long n = dns_servfail(q, len, d->reply, sizeof(d->reply));
    if (n > 0)
        conn_send(d, c, d->reply, (size_t)n);
    else
        conn_close(d, c);
}

static void *job_run(void *arg)
{
    struct job *j = arg;
    struct net_dns *d = j->d;
    j->reply =
            dns_forward_tcp(d->servers, d->nservers, j->query, j->len, d->stop_fd, &j->reply_len);
    pthread_mutex_lock(&d->lock);
    j->done = true;
    pthread_mutex_unlock(&d->lock);
    uint64_t one = 1;
    if (write(d->wake_fd, &one, sizeof(one)) < 0)
        bt_warn("dns: wake the server: %s", strerror(errno));
    return NULL;
}

/* Hand the connection's query to a forwarding thread; false when none can be started. */
static bool job_start(struct net_dns *d, struct conn *c)
{
    if (d->nservers == 0 || d->njobs >= DNS_MAX_JOBS)
        return false;
    struct job *j = bt_xzalloc(sizeof(*j));
    j->d = d;
    j->c = c;
    j->query = bt_steal_ptr(&c->in);
    j->len = c->qlen;
    if (pthread_create(&j->thread, NULL, job_run, j) != 0) {
        c->in = j->query;
        free(j);
        return false;
    }
    SLIST_INSERT_HEAD(&d->jobs, j, link);
    d->njobs++;
    c->busy = true;
    ep_set(d, EPOLL_CTL_DEL, c->fd, 0, NULL);
    return true;
}

static void job_finish(struct net_dns *d, struct job *j)
{
    pthread_join(j->thread, NULL);
    SLIST_REMOVE(&d->jobs, j, job, link);
    d->njobs--;
    struct conn *c = j->c;
    c->busy = false;
    if (!c->dead) {
        ep_set(d, EPOLL_CTL_ADD, c->fd, EPOLLIN, &c->h);
        if (j->reply)
            conn_send(d, c, j->reply, j->reply_len);
        else
            conn_servfail(d, c, j->query, j->len);
    }
    free(j->query);
    free(j->reply);
    free(j);
}

static void on_tcp_query(struct net_dns *d, struct conn *c)
{
    c->have = 0;
    long r = answer(d, c->in, c->qlen, c->client, false, d->reply, DNS_MSG_MAX);
    if (c->dead)
        return;
    if (r > 0)
        conn_send(d, c, d->reply, (size_t)r);
    else if (r < 0)
        conn_close(d, c); /* garbage: over TCP nothing can be dropped but the connection */
    else if (!job_start(d, c))
        conn_servfail(d, c, c->in, c->qlen);
    free(c->in);
    c->in = NULL;
}

/* Read what there is of the current query; answer it once complete. */
static void on_conn_in(struct net_dns *d, struct conn *c)
{
    for (;;) {
        uint8_t *p = c->have < 2 ? c->lenbuf + c->have : c->in + (c->have - 2);
        size_t want = c->have < 2 ? 2 - c->have : c->qlen - (c->have - 2);
        ssize_t n = recv(c->fd, p, want, MSG_DONTWAIT);
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EINTR))
                conn_close(d, c);
            return;
        }
        c->have += (size_t)n;
        conn_touch(d, c);
        if (c->have == 2) {
            c->qlen = (size_t)c->lenbuf[0] << 8 | c->lenbuf[1];
            if (c->qlen < 12) {
                conn_close(d, c);
                return;
            }
            c->in = bt_xmalloc(c->qlen);
        }
        if (c->have > 2 && c->have == c->qlen + 2) {
            on_tcp_query(d, c);
            return;
        }
    }
}

static void on_tcp_listen(struct net_dns *d, struct listener *l)
{
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    int fd = accept4(l->tcp_fd, (struct sockaddr *)&from, &fl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (d->nconns >= DNS_MAX_CONNS) {
        close(fd);
        return;
    }
    struct conn *c = bt_xzalloc(sizeof(*c));
    c->h = (struct handle){H_CONN, c};
    c->fd = fd;
    c->laddr = l->addr;
    c->client = ntohl(from.sin_addr.s_addr);
    c->deadline = now_ms() + DNS_TCP_IDLE_MS;
    TAILQ_INSERT_TAIL(&d->conns, c, link);
    d->nconns++;
    ep_set(d, EPOLL_CTL_ADD, fd, EPOLLIN, &c->h);
}

/* ---- the thread ---- */

static void on_wake(struct net_dns *d)
{
    uint64_t v;
    if (read(d->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        bt_warn("dns: read the wake eventfd: %s", strerror(errno));
    /* glibc's sys/queue.h has no _SAFE iteration: the next element is taken first */
    for (struct job *j = SLIST_FIRST(&d->jobs), *next; j; j = next) {
        next = SLIST_NEXT(j, link);
        if (j->done)
            job_finish(d, j);
    }
}

static void dispatch(struct net_dns *d, struct handle *h, uint32_t events)
{
    switch (h->kind) {
    case H_WAKE:
        on_wake(d);
        break;
    case H_UDP:
        if (!((struct listener *)h->obj)->dead)
            on_udp(d, h->obj);
        break;
    case H_TCP_LISTEN:
        if (!((struct listener *)h->obj)->dead)
            on_tcp_listen(d, h->obj);
        break;
    case H_CONN: {
        struct conn *c = h->obj;
        if (c->dead || c->busy)
            break;
        if (c->out)
            on_conn_out(d, c);
        else
            on_conn_in(d, c);
        break;
    }
    case H_FORWARD:
        on_forward(d, h->obj);
        break;
    }
}

/* Forwards past their server's time go to the next server (or SERVFAIL); idle connections
 * close. Both lists are in deadline order: entries go to the tail when their deadline is
 * set. */
static void expire(struct net_dns *d, long long now)
{
    struct forward *f;
    while ((f = TAILQ_FIRST(&d->forwards)) && f->deadline <= now)
        forward_next(d, f);
    for (struct conn *c = TAILQ_FIRST(&d->conns), *next; c; c = next) {
        next = TAILQ_NEXT(c, link);
        if (c->deadline > now)
            break;
        if (c->busy)
            conn_touch(d, c); /* the forward's own timeouts bound it, dead or not */
        else
            conn_close(d, c);
    }
}

/* Free what was closed during this turn (nothing else refers to it any more). */
static void reap(struct net_dns *d)
{
    for (struct conn *c = TAILQ_FIRST(&d->conns), *next; c; c = next) {
        next = TAILQ_NEXT(c, link);
        if (c->dead && !c->busy)
            conn_free(d, c);
    }
    for (struct listener *l = SLIST_FIRST(&d->listeners), *next; l; l = next) {
        next = SLIST_NEXT(l, link);
        if (l->dead) {
            SLIST_REMOVE(&d->listeners, l, listener, link);
            free(l);
        }
    }
}

static int next_timeout(struct net_dns *d, long long now)
{
    long long next = -1;
    struct forward *f = TAILQ_FIRST(&d->forwards);
    if (f)
        next = f->deadline;
    struct conn *c = TAILQ_FIRST(&d->conns);
    if (c && (next < 0 || c->deadline < next))
        next = c->deadline;
    if (next < 0)
        return -1;
    return next <= now ? 0 : (int)(next - now);
}

static void *serve(void *arg)
{
    struct net_dns *d = arg;
    struct epoll_event evs[32];
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        int timeout = next_timeout(d, now_ms());
        pthread_mutex_unlock(&d->lock);
        int n = epoll_wait(d->epfd, evs, 32, timeout);
        pthread_mutex_lock(&d->lock);
        for (int i = 0; i < n && !d->stopping; i++)
            dispatch(d, evs[i].data.ptr, evs[i].events);
        expire(d, now_ms());
        reap(d);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

/* ---- the contract ---- */

struct net_dns *dns_start_with_servers(const struct dns_server *servers, size_t n,
                                       net_dns_lookup_fn lookup, void *ctx, bt_err **err)
{
    struct net_dns *d = bt_xzalloc(sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    SLIST_INIT(&d->listeners);
    TAILQ_INIT(&d->conns);
    TAILQ_INIT(&d->forwards);
    SLIST_INIT(&d->jobs);
    d->lookup = lookup;
    d->ctx = ctx;
    d->nservers = n < DNS_MAX_SERVERS ? n : DNS_MAX_SERVERS;
    memcpy(d->servers, servers, d->nservers * sizeof(*servers));
    d->hwake = (struct handle){H_WAKE, d};
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->epfd < 0 || d->wake_fd < 0 || d->stop_fd < 0) {
        bt_err_errno(err, errno, "dns: create the server's epoll set");
        goto fail;
    }
    ep_set(d, EPOLL_CTL_ADD, d->wake_fd, EPOLLIN, &d->hwake);
    int e = pthread_create(&d->thread, NULL, serve, d);
    if (e != 0) {
        bt_err_errno(err, e, "dns: start the server's thread");
        goto fail;
    }
    return d;
fail:
    bt_fd_close(d->epfd);
    bt_fd_close(d->wake_fd);
    bt_fd_close(d->stop_fd);
    pthread_mutex_destroy(&d->lock);
    free(d);
    return NULL;
}

struct net_dns *net_dns_start(net_dns_lookup_fn lookup, void *ctx, bt_err **err)
{
    struct dns_server servers[DNS_MAX_SERVERS];
    size_t n = 0;
    bt_autostrbuf struct bt_strbuf text = BT_STRBUF_INIT;
    bt_autoerr bt_err *rerr = NULL;
    if (bt_file_read("/etc/resolv.conf", &text, 1 << 20, &rerr) == 0)
        n = dns_parse_resolv_conf(bt_strbuf_str(&text), servers, DNS_MAX_SERVERS);
    else
        bt_warn("dns: %s", bt_err_msg(rerr));
    if (n == 0)
        bt_warn("dns: no nameserver in /etc/resolv.conf: names other than the containers' "
                "will not resolve");
    return dns_start_with_servers(servers, n, lookup, ctx, err);
}

static int bound_socket(uint32_t addr, int type, bt_err **err)
{
    char ip[INET_ADDRSTRLEN];
    struct in_addr ia = {htonl(addr)};
    inet_ntop(AF_INET, &ia, ip, sizeof(ip));
    const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
    bt_autoclose int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return bt_err_errno(err, errno, "dns: create a %s socket", proto);
    /* SO_REUSEADDR: a TCP port of a network removed a moment ago may still be in TIME_WAIT;
     * IP_FREEBIND: the gateway's address may be added to the bridge after this */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(DNS_PORT), .sin_addr = ia};
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return bt_err_errno(err, errno, "dns: bind %s \"%s:%d\"", proto, ip, DNS_PORT);
    if (type == SOCK_STREAM && listen(fd, 64) < 0)
        return bt_err_errno(err, errno, "dns: listen on \"%s:%d\"", ip, DNS_PORT);
    return bt_steal_fd(&fd);
}

int net_dns_listen(struct net_dns *d, uint32_t addr, bt_err **err)
{
    pthread_mutex_lock(&d->lock);
    if (find_listener(d, addr)) {
        pthread_mutex_unlock(&d->lock);
        return 0;
    }
    int ufd = bound_socket(addr, SOCK_DGRAM, err);
    int tfd = ufd < 0 ? -1 : bound_socket(addr, SOCK_STREAM, err);
    if (tfd < 0) {
        bt_fd_close(ufd);
        pthread_mutex_unlock(&d->lock);
        return -1;
    }
    struct listener *l = bt_xzalloc(sizeof(*l));
    l->addr = addr;
    l->udp_fd = ufd;
    l->tcp_fd = tfd;
    l->hu = (struct handle){H_UDP, l};
    l->ht = (struct handle){H_TCP_LISTEN, l};
    SLIST_INSERT_HEAD(&d->listeners, l, link);
    ep_set(d, EPOLL_CTL_ADD, ufd, EPOLLIN, &l->hu);
    ep_set(d, EPOLL_CTL_ADD, tfd, EPOLLIN, &l->ht);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

void net_dns_unlisten(struct net_dns *d, uint32_t addr)
{
    pthread_mutex_lock(&d->lock);
    struct listener *l = find_listener(d, addr);
    if (l) {
        /* closed now, so the port is free when this returns; freed by the thread (reap) */
        ep_close(d, l->udp_fd);
        ep_close(d, l->tcp_fd);
        l->udp_fd = l->tcp_fd = -1;
        l->dead = true;
        struct conn *c;
        TAILQ_FOREACH(c, &d->conns, link)
        {
            if (c->laddr == addr)
                conn_close(d, c);
        }
    }
    pthread_mutex_unlock(&d->lock);
}

static void free_all(struct net_dns *d)
{
    struct job *j;
    while ((j = SLIST_FIRST(&d->jobs))) {
        pthread_join(j->thread, NULL);
        SLIST_REMOVE_HEAD(&d->jobs, link);
        free(j->query);
        free(j->reply);
        free(j);
    }
    struct forward *f;
    while ((f = TAILQ_FIRST(&d->forwards)))
        forward_free(d, f);
    struct conn *c;
    while ((c = TAILQ_FIRST(&d->conns))) {
        c->busy = false;
        conn_free(d, c);
    }
    struct listener *l;
    while ((l = SLIST_FIRST(&d->listeners))) {
        SLIST_REMOVE_HEAD(&d->listeners, link);
        ep_close(d, l->udp_fd);
        ep_close(d, l->tcp_fd);
        free(l);
    }
}

void net_dns_stop(struct net_dns *d)
{
    if (!d)
        return;
    uint64_t one = 1;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_mutex_unlock(&d->lock);
    /* the thread leaves its epoll_wait; forwarding threads give up their servers */
    if (write(d->stop_fd, &one, sizeof(one)) < 0 || write(d->wake_fd, &one, sizeof(one)) < 0)
        bt_warn("dns: wake the server: %s", strerror(errno));
    pthread_join(d->thread, NULL);
    free_all(d);
    close(d->epfd);
    close(d->wake_fd);
    close(d->stop_fd);
    pthread_mutex_destroy(&d->lock);
    free(d);
}
