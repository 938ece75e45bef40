/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WWW-Authenticate values (guest/engine/registry/challenge.c), as any registry may send them.
 * Whatever the input, a parse fails with a message and fills nothing, or yields a lower-case
 * token for a scheme and non-empty parameters; parsing the same value twice gives the same
 * result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/registry/parse.h"
#include "shared/base/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    bt_autofree char *s = bt_xstrndup((const char *)data, size);
    struct reg_challenge c, again;
    bt_autoerr bt_err *err = NULL;
    if (reg_challenge_parse(s, &c, &err) < 0) {
        if (!err || !*bt_err_msg(err) || c.scheme || c.realm)
            abort(); /* a failure says why and fills nothing */
        return 0;
    }
    if (!c.scheme || !*c.scheme)
        abort();
    for (const char *p = c.scheme; *p; p++)
        if ((*p >= 'A' && *p <= 'Z') || (unsigned char)*p <= ' ' || (unsigned char)*p >= 127)
            abort();
    const char *params[] = {c.realm, c.service, c.scope, c.error, c.error_description};
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
        if (params[i] && !*params[i])
            abort();
    if (reg_challenge_parse(s, &again, NULL) < 0)
        abort();
    if (!same(c.scheme, again.scheme) || !same(c.realm, again.realm) ||
        !same(c.service, again.service) || !same(c.scope, again.scope) ||
        !same(c.error, again.error) || !same(c.error_description, again.error_description))
        abort();
    reg_challenge_clear(&c);
    reg_challenge_clear(&again);
    return 0;
}
