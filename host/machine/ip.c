/* SPDX-License-Identifier: Apache-2.0 */
/* Addresses, MACs and ports handed out to new machines. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/machine/machine.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int machine_cidr_parse(const char *text, struct machine_cidr *out, bt_err **err)
{
    const char *slash = strchr(text, '/');
    if (!slash)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid --hostonly-cidr \"%s\": want an address and a prefix length "
                          "(192.168.99.1/24)",
                          text);
    bt_autofree char *addr = bt_xstrndup(text, (size_t)(slash - text));
    struct in_addr a;
    if (inet_pton(AF_INET, addr, &a) != 1)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid --hostonly-cidr \"%s\": \"%s\" is no IPv4 address", text, addr);
    char *end = NULL;
    errno = 0;
    long prefix = strtol(slash + 1, &end, 10);
    if (!slash[1] || *end || errno || prefix < 8 || prefix > 30)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid --hostonly-cidr \"%s\": the prefix length must be 8 to 30",
                          text);
    uint32_t host = ntohl(a.s_addr);
    uint32_t mask = prefix == 0 ? 0 : ~(uint32_t)0 << (32 - prefix);
    if ((host & ~mask) == 0 || (host & ~mask) == ~mask)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid --hostonly-cidr \"%s\": %s is the network's %s address, not "
                          "a host's",
                          text, addr, (host & ~mask) == 0 ? "own" : "broadcast");
    out->host = host;
    out->prefix = (int)prefix;
    return 0;
}

static void ip_text(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
    struct in_addr a = {.s_addr = htonl(ip)};
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static bool ip_used(uint32_t ip, const char *const *used)
{
    for (size_t i = 0; used && used[i]; i++) {
        struct in_addr a;
        if (inet_pton(AF_INET, used[i], &a) == 1 && ntohl(a.s_addr) == ip)
            return true;
    }
    return false;
}

char *machine_ip_allocate(const struct machine_cidr *net, const char *const *used, bt_err **err)
{
    uint32_t mask = ~(uint32_t)0 << (32 - net->prefix);
    uint32_t base = net->host & mask;
    uint32_t last = (base | ~mask) - 1; /* below the broadcast address */
    /* Toolbox's VMs got .100 and up (VirtualBox's DHCP range); keep that where it fits */
    uint32_t first = base + 100 <= last ? base + 100 : base + 1;
    for (uint32_t ip = first; ip <= last; ip++) {
        if (ip == net->host || ip_used(ip, used))
            continue;
        char buf[INET_ADDRSTRLEN];
        ip_text(ip, buf);
        return bt_xstrdup(buf);
    }
    char buf[INET_ADDRSTRLEN];
    ip_text(net->host, buf);
    bt_err_set(err, BT_E_CONFLICT, "no free address left in %s/%d for a new machine", buf,
               net->prefix);
    return NULL;
}

char *machine_mac_allocate(const char *const *used)
{
    for (;;) {
        unsigned char b[3];
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
            abort(); /* getrandom on 3 bytes does not fail once the pool is ready */
        char *mac = bt_xasprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
        bool taken = false;
        for (size_t i = 0; used && used[i] && !taken; i++)
            taken = strcasecmp(used[i], mac) == 0;
        if (!taken)
            return mac;
        free(mac);
    }
}

static bool port_free(int port)
{
    bt_autoclose int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

int machine_port_allocate(int first, const int *used)
{
    for (int port = first; port <= 65535; port++) {
        bool taken = false;
        for (size_t i = 0; used && used[i] && !taken; i++)
            taken = used[i] == port;
        if (!taken && port_free(port))
            return port;
    }
    return 0;
}

char *machine_url(const struct machine *m)
{
    return bt_xasprintf("tcp://%s:%d", m->ip_address ? m->ip_address : "",
                        m->engine_port ? m->engine_port : MACHINE_ENGINE_PORT);
}
