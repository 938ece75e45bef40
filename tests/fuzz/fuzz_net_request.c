/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The published ports of a create request as the engine's network module reads them: a port
 * key of ExposedPorts/PortBindings ("80/tcp") and a binding's HostPort ("8000-8010"),
 * NUL-separated. Each either parses (a port above 0, a range in order) or fails with a
 * message; neither may touch memory it does not own. (The IPAM's parsers: fuzz_ipam.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/network/network-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the NUL-separated fields of the input (at most n; missing ones are "") */
static void fields(const char *text, size_t len, const char **out, size_t n)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = at < len ? text + at : "";
        at += strlen(out[i]) + 1;
    }
}

static void ports(const char *key, const char *host)
{
    struct net_port_key k;
    bt_err *err = NULL;
    if (net_port_key_parse(key, &k, &err) == 0) {
        if (k.port == 0)
            abort();
    } else {
        bt_err_free(err);
        err = NULL;
    }
    uint16_t lo, hi;
    if (net_host_ports_parse(host, &lo, &hi, &err) == 0) {
        if (lo > hi)
            abort();
    } else {
        bt_err_free(err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    size_t len = size;
    bt_autofree char *text = bt_xmalloc(len + 1);
    memcpy(text, data, len);
    text[len] = '\0';
    const char *f[2];
    fields(text, len, f, 2);
    ports(f[0], f[1]);
    return 0;
}
