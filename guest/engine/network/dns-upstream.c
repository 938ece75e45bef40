/* SPDX-License-Identifier: Apache-2.0 */
/* The upstream servers of the embedded DNS server (dns-internal.h): resolv.conf's
 * nameservers, and the blocking exchange over TCP that a forwarding thread runs. */
#include "guest/engine/network/dns-internal.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int dns_server_parse(const char *addr, struct dns_server *out, bt_err **err)
{
    struct addrinfo hints = {
            .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
            .ai_socktype = SOCK_DGRAM,
    };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(addr, "53", &hints, &res);
    if (rc != 0)
        return bt_err_set(err, BT_E_INVALID, "parse nameserver \"%s\": %s", addr, gai_strerror(rc));
    memset(out, 0, sizeof(*out));
    memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
    out->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* The address of a `nameserver` line (glibc's res_init reads the keyword at the start of the
 * line, then one address), or NULL. line is modified. */
static char *nameserver_of(char *line)
{
    line += strspn(line, " \t");
    if (strncmp(line, "nameserver", 10) != 0 || !strchr(" \t", line[10]) || line[10] == '\0')
        return NULL;
    char *addr = line + 10;
    addr += strspn(addr, " \t");
    addr[strcspn(addr, " \t#;\r")] = '\0';
    return *addr ? addr : NULL;
}

size_t dns_parse_resolv_conf(const char *text, struct dns_server *out, size_t max)
{
    bt_autofree char *copy = bt_xstrdup(text);
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && n < max;
         line = strtok_r(NULL, "\n", &save)) {
        char *addr = nameserver_of(line);
        if (addr && dns_server_parse(addr, &out[n], NULL) == 0)
            n++;
    }
    return n;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline; false on timeout, error, or stop_fd readable
 * (berthd stopping the server). */
static bool wait_fd(int fd, short events, long long deadline, int stop_fd)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = stop_fd, .events = POLLIN}};
        int r = poll(p, stop_fd >= 0 ? 2 : 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || (stop_fd >= 0 && p[1].revents))
            return false;
        return p[0].revents & (events | POLLHUP | POLLERR);
    }
}

static bool send_all(int fd, const uint8_t *p, size_t len, long long deadline, int stop_fd)
{
    while (len > 0) {
        if (!wait_fd(fd, POLLOUT, deadline, stop_fd))
            return false;
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        if (w > 0) {
            p += w;
            len -= (size_t)w;
        }
    }
    return true;
}

static bool recv_all(int fd, uint8_t *p, size_t len, long long deadline, int stop_fd)
{
    while (len > 0) {
        if (!wait_fd(fd, POLLIN, deadline, stop_fd))
            return false;
        ssize_t r = recv(fd, p, len, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            return false;
        if (r > 0) {
            p += r;
            len -= (size_t)r;
        }
    }
    return true;
}

static int connect_to(const struct dns_server *s, long long deadline, int stop_fd)
{
    bt_autoclose int fd =
            socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&s->addr, s->addr_len) < 0) {
        if (errno != EINPROGRESS || !wait_fd(fd, POLLOUT, deadline, stop_fd))
            return -1;
        int e = 0;
        socklen_t el = sizeof(e);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0)
            return -1;
    }
    return bt_steal_fd(&fd);
}

/* One query to one server over TCP (RFC 1035 4.2.2: each message after its 2-byte length),
 * within DNS_UPSTREAM_TIMEOUT_MS. The reply must carry the query's ID (the client's: over
 * a connection of our own nobody else can answer, so the ID is left as it was). */
static uint8_t *exchange(const struct dns_server *s, const uint8_t *query, size_t len, int stop_fd,
                         size_t *reply_len)
{
    long long deadline = now_ms() + DNS_UPSTREAM_TIMEOUT_MS;
    bt_autoclose int fd = connect_to(s, deadline, stop_fd);
    if (fd < 0)
        return NULL;
    uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    if (!send_all(fd, hdr, 2, deadline, stop_fd) || !send_all(fd, query, len, deadline, stop_fd))
        return NULL;
    if (!recv_all(fd, hdr, 2, deadline, stop_fd))
        return NULL;
    size_t rlen = (size_t)hdr[0] << 8 | hdr[1];
    if (rlen < 12)
        return NULL;
    bt_autofree uint8_t *reply = bt_xmalloc(rlen);
    if (!recv_all(fd, reply, rlen, deadline, stop_fd))
        return NULL;
    if (memcmp(reply, query, 2) != 0 || !(reply[2] & 0x80))
        return NULL;
    *reply_len = rlen;
    return bt_steal_ptr(&reply);
}

uint8_t *dns_forward_tcp(const struct dns_server *servers, size_t n, const uint8_t *query,
                         size_t len, int stop_fd, size_t *reply_len)
{
    if (len < 12 || len > DNS_MSG_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint8_t *reply = exchange(&servers[i], query, len, stop_fd, reply_len);
        if (!reply)
            continue;
        /* SERVFAIL and REFUSED may be one server's trouble: the next is asked, as dockerd
         * does; the last server's answer is relayed whatever it is. */
        if (i + 1 < n && dns_reply_try_next(reply, *reply_len)) {
            free(reply);
            continue;
        }
        return reply;
    }
    return NULL;
}
