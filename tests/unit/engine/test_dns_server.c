/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded DNS server for real, on port 53 of 127.0.0.1, inside a network namespace of
 * its own (never the machine's): the tests run in a forked child that unshares one (as root,
 * or as root of a new user namespace where unprivileged ones are allowed) and brings lo up;
 * they are skipped where neither works. A fake upstream server on 127.0.0.2:53 (ldns,
 * below) answers whatever the server forwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/network/dns-internal.h"
#include "shared/base/cleanup.h"

BT_DEFINE_AUTOPTR(ldns_pkt, ldns_pkt, ldns_pkt_free);

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define LOCAL          IP(127, 0, 0, 1)
#define UPSTREAM       "127.0.0.2"
#define NOBODY         "127.0.0.3" /* nothing listens there: the kernel refuses */

static bool in_netns;

struct seen {
    pthread_mutex_t lock;
    uint32_t client;
    int calls;
};

static size_t lookup(void *ctx, uint32_t client, const char *name, uint32_t *out, size_t max)
{
    struct seen *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->client = client;
    s->calls++;
    pthread_mutex_unlock(&s->lock);
    if (strcmp(name, "web") != 0)
        return 0;
    out[0] = IP(172, 17, 0, 5);
    return 1;
}

/* ---- the fake upstream: A 10.9.8.7 for every name, over UDP and TCP ---- */

struct upstream {
    int udp, tcp, stop[2];
    bool silent; /* receive, never answer */
    pthread_t thread;
    int queries;
    uint16_t last_id;
    int held; /* a TCP connection left unanswered */
};

static long upstream_reply(struct upstream *u, const uint8_t *q, size_t len, uint8_t *out)
{
    bt_autoptr(ldns_pkt) p = NULL;
    if (ldns_wire2pkt(&p, q, len) != LDNS_STATUS_OK)
        return -1;
    __atomic_add_fetch(&u->queries, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&u->last_id, ldns_pkt_id(p), __ATOMIC_SEQ_CST);
    if (u->silent)
        return -1;
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_ra(p, true);
    const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
    bt_autofree char *name = ldns_rdf2str(ldns_rr_owner(qrr));
    bt_autofree char *text = NULL;
    assert_true(asprintf(&text, "%s 60 IN A 10.9.8.7", name) > 0);
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
    ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
    bt_autofree uint8_t *wire = NULL;
    size_t wlen;
    assert_int_equal(ldns_pkt2wire(&wire, p, &wlen), LDNS_STATUS_OK);
    memcpy(out, wire, wlen);
    return (long)wlen;
}

static void upstream_tcp(struct upstream *u)
{
    bt_autoclose int c = accept(u->tcp, NULL, NULL);
    uint8_t hdr[2], q[4096], out[4096];
    if (c < 0 || recv(c, hdr, 2, MSG_WAITALL) != 2)
        return;
    size_t len = (size_t)hdr[0] << 8 | hdr[1];
    if (len > sizeof(q) || recv(c, q, len, MSG_WAITALL) != (ssize_t)len)
        return;
    long n = upstream_reply(u, q, len, out + 2);
    if (n < 0 && u->silent && u->held < 0)
        u->held = bt_steal_fd(&c); /* silent: keep the client waiting, not refused */
    if (n < 0)
        return;
    out[0] = (uint8_t)(n >> 8);
    out[1] = (uint8_t)n;
    assert_int_equal(send(c, out, (size_t)n + 2, 0), n + 2);
}

static void *upstream_run(void *arg)
{
    struct upstream *u = arg;
    for (;;) {
        struct pollfd p[3] = {{u->udp, POLLIN, 0}, {u->tcp, POLLIN, 0}, {u->stop[0], POLLIN, 0}};
        assert_true(poll(p, 3, -1) > 0);
        if (p[2].revents)
            return NULL;
        if (p[1].revents)
            upstream_tcp(u);
        if (!p[0].revents)
            continue;
        uint8_t q[4096], out[4096];
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(u->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
        long r = n > 0 ? upstream_reply(u, q, (size_t)n, out) : -1;
        if (r > 0)
            sendto(u->udp, out, (size_t)r, 0, (struct sockaddr *)&from, fl);
    }
}

static int bound(int type, const char *ip)
{
    int fd = socket(AF_INET, type, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    /* TCP: past the TIME_WAIT of an earlier test's connections; not UDP, where it would let
     * two sockets share the port and hide one left open */
    int one = 1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(fd, 8), 0);
    return fd;
}

static void upstream_start(struct upstream *u, bool silent)
{
    memset(u, 0, sizeof(*u));
    u->silent = silent;
    u->held = -1;
    u->udp = bound(SOCK_DGRAM, UPSTREAM);
    u->tcp = bound(SOCK_STREAM, UPSTREAM);
    assert_int_equal(pipe(u->stop), 0);
    assert_int_equal(pthread_create(&u->thread, NULL, upstream_run, u), 0);
}

static void upstream_stop(struct upstream *u)
{
    assert_int_equal(write(u->stop[1], "x", 1), 1);
    pthread_join(u->thread, NULL);
    close(u->udp);
    close(u->tcp);
    close(u->stop[0]);
    close(u->stop[1]);
    if (u->held >= 0)
        close(u->held);
}

/* ---- a client ---- */

static uint8_t *query(const char *name, ldns_rr_type type, uint16_t id, size_t *len)
{
    ldns_rdf *dname = ldns_dname_new_frm_str(name);
    bt_autoptr(ldns_pkt) q = ldns_pkt_query_new(dname, type, LDNS_RR_CLASS_IN, LDNS_RD);
    ldns_pkt_set_id(q, id);
    uint8_t *wire = NULL;
    assert_int_equal(ldns_pkt2wire(&wire, q, len), LDNS_STATUS_OK);
    return wire;
}

static struct sockaddr_in server_addr(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
    sa.sin_addr.s_addr = htonl(LOCAL);
    return sa;
}

/* Ask over UDP; the parsed reply, or NULL after timeout_ms without one. */
static ldns_pkt *ask_udp(const char *name, ldns_rr_type type, uint16_t id, int timeout_ms)
{
    size_t len;
    bt_autofree uint8_t *q = query(name, type, id, &len);
    bt_autoclose int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = server_addr();
    assert_int_equal(sendto(fd, q, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)len);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1)
        return NULL;
    uint8_t buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    assert_true(n > 0);
    ldns_pkt *r = NULL;
    assert_int_equal(ldns_wire2pkt(&r, buf, (size_t)n), LDNS_STATUS_OK);
    return r;
}

static int tcp_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = server_addr();
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    struct timeval tv = {.tv_sec = 8};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Ask on a TCP connection; the parsed reply, or NULL when the server closed it. */
static ldns_pkt *ask_on(int fd, const char *name, ldns_rr_type type, uint16_t id)
{
    size_t len;
    bt_autofree uint8_t *q = query(name, type, id, &len);
    /* the length and the message in two writes, as a slow client sends them */
    uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    assert_int_equal(send(fd, hdr, 2, MSG_NOSIGNAL), 2);
    usleep(10000);
    assert_int_equal(send(fd, q, len, MSG_NOSIGNAL), (ssize_t)len);
    if (recv(fd, hdr, 2, MSG_WAITALL) != 2)
        return NULL;
    size_t rlen = (size_t)hdr[0] << 8 | hdr[1];
    uint8_t buf[65536];
    assert_int_equal(recv(fd, buf, rlen, MSG_WAITALL), (ssize_t)rlen);
    ldns_pkt *r = NULL;
    assert_int_equal(ldns_wire2pkt(&r, buf, rlen), LDNS_STATUS_OK);
    return r;
}

static ldns_pkt *ask_tcp(const char *name, ldns_rr_type type, uint16_t id)
{
    bt_autoclose int fd = tcp_connect();
    return ask_on(fd, name, type, id);
}

static uint32_t first_a(const ldns_pkt *r)
{
    assert_true(ldns_pkt_ancount(r) >= 1);
    const ldns_rdf *rd = ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0);
    uint32_t be;
    memcpy(&be, ldns_rdf_data(rd), 4);
    return ntohl(be);
}

static struct net_dns *start(struct seen *s, const char *const *servers, size_t n)
{
    struct dns_server sv[DNS_MAX_SERVERS];
    bt_autoerr bt_err *err = NULL;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dns_server_parse(servers[i], &sv[i], &err), 0);
    pthread_mutex_init(&s->lock, NULL);
    struct net_dns *d = dns_start_with_servers(sv, n, lookup, s, &err);
    assert_non_null(d);
    assert_int_equal(net_dns_listen(d, LOCAL, &err), 0);
    return d;
}

/* ---- the tests ---- */

static void test_dns_server_answers_udp_and_tcp(void **state)
{
    (void)state;
    if (!in_netns)
        skip();
    struct seen s = {0};
    struct net_dns *d = start(&s, NULL, 0);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(net_dns_listen(d, LOCAL, &err), 0); /* again: a no-op */
    bt_autoptr(ldns_pkt) r = ask_udp("web", LDNS_RR_TYPE_A, 0x1111, 2000);
    assert_non_null(r);
    assert_int_equal(ldns_pkt_id(r), 0x1111);
    assert_int_equal(first_a(r), IP(172, 17, 0, 5));
    assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r), 0)), 600);
    assert_int_equal(s.client, LOCAL);
    bt_autoptr(ldns_pkt) t = ask_tcp("web.", LDNS_RR_TYPE_A, 0x2222);
    assert_non_null(t);
    assert_int_equal(ldns_pkt_id(t), 0x2222);
    assert_int_equal(first_a(t), IP(172, 17, 0, 5));
    /* no upstream server: SERVFAIL, over both */
    bt_autoptr(ldns_pkt) f = ask_udp("example.com", LDNS_RR_TYPE_A, 0x3333, 2000);
    assert_non_null(f);
    assert_int_equal(ldns_pkt_get_rcode(f), LDNS_RCODE_SERVFAIL);
    bt_autoptr(ldns_pkt) ft = ask_tcp("example.com", LDNS_RR_TYPE_A, 0x4444);
    assert_non_null(ft);
    assert_int_equal(ldns_pkt_get_rcode(ft), LDNS_RCODE_SERVFAIL);
    net_dns_stop(d);
}

static void test_dns_server_relays_upstream(void **state)
{
    (void)state;
    if (!in_netns)
        skip();
    struct upstream u;
    upstream_start(&u, false);
    struct seen s = {0};
    /* the first server refuses (nothing listens): the next one answers */
    const char *servers[] = {NOBODY, UPSTREAM};
    struct net_dns *d = start(&s, servers, 2);
    bt_autoptr(ldns_pkt) r = ask_udp("example.com", LDNS_RR_TYPE_A, 0xabcd, 3000);
    assert_non_null(r);
    assert_int_equal(ldns_pkt_id(r), 0xabcd); /* the client's, whatever went upstream */
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
    assert_int_equal(first_a(r), IP(10, 9, 8, 7));
    assert_int_equal(u.queries, 1);
    bt_autoptr(ldns_pkt) t = ask_tcp("example.org", LDNS_RR_TYPE_A, 0x5555);
    assert_non_null(t);
    assert_int_equal(ldns_pkt_id(t), 0x5555);
    assert_int_equal(first_a(t), IP(10, 9, 8, 7));
    assert_int_equal(u.queries, 2);
    /* the engine's names never go upstream */
    bt_autoptr(ldns_pkt) w = ask_udp("web", LDNS_RR_TYPE_AAAA, 1, 2000);
    assert_non_null(w);
    assert_int_equal(ldns_pkt_ancount(w), 0);
    assert_int_equal(u.queries, 2);
    net_dns_stop(d);
    upstream_stop(&u);
}

static void test_dns_server_servfail_after_silent_upstream(void **state)
{
    (void)state;
    if (!in_netns)
        skip();
    struct upstream u;
    upstream_start(&u, true);
    struct seen s = {0};
    const char *servers[] = {UPSTREAM};
    struct net_dns *d = start(&s, servers, 1);
    /* after DNS_UPSTREAM_TIMEOUT_MS without a reply */
    bt_autoptr(ldns_pkt) r = ask_udp("example.com", LDNS_RR_TYPE_A, 0x0102, 4000);
    assert_non_null(r);
    assert_int_equal(ldns_pkt_id(r), 0x0102);
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_SERVFAIL);
    assert_int_equal(u.queries, 1);
    net_dns_stop(d);
    upstream_stop(&u);
}

/* One TCP connection, several queries in turn, answered and forwarded. */
static void test_dns_server_tcp_connection_is_reused(void **state)
{
    (void)state;
    if (!in_netns)
        skip();
    struct upstream u;
    upstream_start(&u, false);
    struct seen s = {0};
    const char *servers[] = {UPSTREAM};
    struct net_dns *d = start(&s, servers, 1);
    bt_autoclose int fd = tcp_connect();
    for (uint16_t id = 1; id <= 3; id++) {
        bt_autoptr(ldns_pkt) r = ask_on(fd, id == 2 ? "example.com" : "web", LDNS_RR_TYPE_A, id);
        assert_non_null(r);
        assert_int_equal(ldns_pkt_id(r), id);
        assert_int_equal(first_a(r), id == 2 ? IP(10, 9, 8, 7) : IP(172, 17, 0, 5));
    }
    net_dns_stop(d);
    upstream_stop(&u);
}

/* Stopping with queries waiting for a silent upstream, over UDP and TCP, does not wait for
 * their timeouts (and frees them: LeakSanitizer checks). */
static void test_dns_server_stops_with_forwards_pending(void **state)
{
    (void)state;
    if (!in_netns)
        skip();
    struct upstream u;
    upstream_start(&u, true);
    struct seen s = {0};
    const char *servers[] = {UPSTREAM};
    struct net_dns *d = start(&s, servers, 1);
    for (uint16_t id = 1; id <= 3; id++)
        assert_null(ask_udp("example.com", LDNS_RR_TYPE_A, id, 0));
    bt_autoclose int fd = tcp_connect();
    size_t len;
    bt_autofree uint8_t *q = query("example.org", LDNS_RR_TYPE_A, 4, &len);
    uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    assert_int_equal(send(fd, hdr, 2, 0), 2);
    assert_int_equal(send(fd, q, len, 0), (ssize_t)len);
    while (__atomic_load_n(&u.queries, __ATOMIC_SEQ_CST) < 4)
        usleep(10000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    net_dns_stop(d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 1);
    char b;
    assert_true(recv(fd, &b, 1, 0) <= 0); /* the client's connection went with the server */
    upstream_stop(&u);
}

/* Unlisten frees the port at once; the server goes on with its other addresses. */
static void test_dns_server_unlisten(void **state)
{
    (void)state;
    if (!in_netns)
        skip();
    struct seen s = {0};
    struct net_dns *d = start(&s, NULL, 0);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(net_dns_listen(d, IP(127, 0, 0, 4), &err), 0);
    /* a TCP client connected to the address goes with it */
    bt_autoclose int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = server_addr();
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
    usleep(50000);
    net_dns_unlisten(d, LOCAL);
    char b;
    struct timeval tv = {.tv_sec = 2};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_true(recv(c, &b, 1, 0) <= 0); /* FIN, or RST if not yet accepted */
    int u = bound(SOCK_DGRAM, "127.0.0.1");
    int t = bound(SOCK_STREAM, "127.0.0.1");
    close(u);
    close(t);
    assert_int_equal(net_dns_listen(d, LOCAL, &err), 0);
    bt_autoptr(ldns_pkt) r = ask_udp("web", LDNS_RR_TYPE_A, 9, 2000);
    assert_non_null(r);
    net_dns_unlisten(d, IP(127, 0, 0, 9)); /* never served: nothing happens */
    net_dns_stop(d);
    net_dns_stop(NULL);
}

/* ---- the namespace ---- */

static bool write_file(const char *path, const char *text)
{
    bt_autoclose int fd = open(path, O_WRONLY);
    return fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
}

/* A network namespace of our own: as root directly, otherwise inside a user namespace that
 * maps us to root (where the kernel allows unprivileged ones). */
static bool enter_netns(void)
{
    if (geteuid() == 0)
        return unshare(CLONE_NEWNET) == 0;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
        return false;
    char map[64];
    snprintf(map, sizeof(map), "0 %u 1", uid);
    if (!write_file("/proc/self/setgroups", "deny") || !write_file("/proc/self/uid_map", map))
        return false;
    snprintf(map, sizeof(map), "0 %u 1", gid);
    return write_file("/proc/self/gid_map", map);
}

static bool lo_up(void)
{
    bt_autoclose int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return false;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dns_server_answers_udp_and_tcp),
            cmocka_unit_test(test_dns_server_relays_upstream),
            cmocka_unit_test(test_dns_server_servfail_after_silent_upstream),
            cmocka_unit_test(test_dns_server_tcp_connection_is_reused),
            cmocka_unit_test(test_dns_server_stops_with_forwards_pending),
            cmocka_unit_test(test_dns_server_unlisten),
    };
    /* the tests run in a child, so that the namespace never touches this process */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        in_netns = enter_netns() && lo_up();
        if (!in_netns)
            fprintf(stderr, "no network namespace of our own (not root, no user namespaces): "
                            "the server's tests are skipped\n");
        exit(cmocka_run_group_tests(tests, NULL, NULL)); /* exit: LeakSanitizer runs at exit */
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
