/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --hostonly-cidr and MAC addresses come from the user: any input either fails in Go's words
 * ("invalid CIDR address: ...") or parses to a prefix of 8..30 whose mask, bridge address and
 * first machine's address are consistent and print back as dotted quads that parse again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/vm/network.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    bt_autofree char *s = bt_xstrndup((const char *)data, size);
    bt_autoerr bt_err *err = NULL;
    struct vm_cidr c;
    if (vm_cidr_parse(s, &c, &err) < 0) {
        if (!err || strncmp(bt_err_msg(err), "invalid CIDR address: ", 22) != 0)
            abort();
    } else {
        if (c.prefix < 8 || c.prefix > 30 ||
            (unsigned)__builtin_popcount(vm_cidr_mask(&c)) != c.prefix)
            abort();
        uint32_t gw = vm_cidr_host(&c, 1);
        if (!vm_cidr_contains(&c, gw) || vm_cidr_contains(&c, vm_cidr_host(&c, 0)))
            abort();
        char buf[VM_IPV4_STR_SIZE];
        uint32_t back;
        if (vm_ipv4_parse(vm_ipv4_format(gw, buf), &back, NULL) < 0 || back != gw)
            abort();
    }
    if (vm_mac_valid(s) && (strlen(s) != 17 || (strtoul(s, NULL, 16) & 1)))
        abort();
    char tap[VM_IFNAME_SIZE];
    vm_tap_name(s, tap);
    if (strlen(tap) > 15 || strncmp(tap, "bt-", 3) != 0)
        abort();
    return 0;
}
