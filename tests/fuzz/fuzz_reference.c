/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references: any input either fails with an error or parses to a reference whose full
 * form parses back to the same reference. The familiar form does too, except where Docker's own
 * is ambiguous: "docker.io/dpr.io/x" is shown as "dpr.io/x", which reads as registry dpr.io,
 * and "docker.io/library/<64 hex>" is shown as "<64 hex>", which reads as an image ID.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/crypto/digest.h"
#include "shared/reference/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    bt_autofree char *s = bt_xstrndup((const char *)data, size);
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(bt_ref) r = bt_ref_parse(s, &err);
    if (!r) {
        if (!err || !*bt_err_msg(err))
            abort(); /* a failure always says why */
        return 0;
    }
    bt_autofree char *full = bt_ref_string(r);
    bt_autofree char *familiar = bt_ref_familiar_string(r);
    bt_autoptr(bt_ref) again = bt_ref_parse(full, NULL);
    bt_autoptr(bt_ref) from_familiar = bt_ref_parse(familiar, NULL);
    bt_autofree char *familiar_name = bt_ref_familiar_name(r);
    if (!again || (!from_familiar && !bt_is_hex64(familiar_name)))
        abort();
    if (!from_familiar)
        return 0;
    bt_autofree char *full2 = bt_ref_string(again);
    bt_autofree char *full3 = bt_ref_string(from_familiar);
    if (strcmp(full, full2) != 0)
        abort();
    size_t first = strcspn(r->path, "/");
    bool domain_like = memchr(r->path, '.', first) || memchr(r->path, ':', first) ||
                       (first == 9 && strncmp(r->path, "localhost", 9) == 0);
    if (strcmp(full, full3) != 0 && !(strcmp(r->domain, "docker.io") == 0 && domain_like))
        abort();
    bt_autoptr(bt_ref) docker = bt_ref_parse_docker(s, NULL);
    if (!docker || (!docker->tag && !docker->digest))
        abort();
    return 0;
}
