/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What token servers, registries and clients send besides manifests
 * (guest/engine/registry/auth-config.c, token.c, errors.c). The input is read as all three:
 *  - as the JSON of X-Registry-Auth, encoded the four ways clients do (base64url with and
 *    without padding, standard base64 with and without): every encoding decodes to the same
 *    result or the same failure, failures say why and fill nothing;
 *  - as the raw header itself (which is mostly not base64);
 *  - as a token server's answer: a token is never empty, expires_in is at least 60;
 *  - as an error body: a message is non-empty, and has a code with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/registry/parse.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_auth(const struct reg_auth *a, const struct reg_auth *b)
{
    return same(a->username, b->username) && same(a->password, b->password) &&
           same(a->auth, b->auth) && same(a->identity_token, b->identity_token) &&
           same(a->registry_token, b->registry_token) && same(a->server_address, b->server_address);
}

static bool empty_auth(const struct reg_auth *a)
{
    return !a->username && !a->password && !a->auth && !a->identity_token && !a->registry_token &&
           !a->server_address;
}

static void check_failure(int rc, const bt_err *err, const struct reg_auth *a)
{
    if (rc < 0 && (!err || strncmp(bt_err_msg(err), "invalid X-Registry-Auth header: ", 32) != 0 ||
                   !empty_auth(a)))
        abort();
}

static void encodings(const uint8_t *data, size_t size)
{
    if (!size)
        return;
    bt_autofree char *std = bt_base64_encode(data, size);
    bt_autofree char *url = bt_xstrdup(std);
    for (char *p = url; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    bt_autofree char *raw_std = bt_xstrndup(std, strcspn(std, "="));
    bt_autofree char *raw_url = bt_xstrndup(url, strcspn(url, "="));
    const char *forms[] = {url, raw_url, std, raw_std};
    struct reg_auth first;
    bt_autoerr bt_err *first_err = NULL;
    int first_rc = reg_auth_decode(forms[0], &first, &first_err);
    check_failure(first_rc, first_err, &first);
    for (size_t i = 1; i < sizeof(forms) / sizeof(forms[0]); i++) {
        struct reg_auth a;
        bt_autoerr bt_err *err = NULL;
        int rc = reg_auth_decode(forms[i], &a, &err);
        check_failure(rc, err, &a);
        if (rc != first_rc || !same_auth(&a, &first))
            abort();
        if (rc < 0 && strcmp(bt_err_msg(err), bt_err_msg(first_err)) != 0)
            abort();
        reg_auth_clear(&a);
    }
    reg_auth_clear(&first);
}

static void token(const uint8_t *data, size_t size)
{
    struct reg_token t;
    bt_autoerr bt_err *err = NULL;
    if (reg_token_parse((const char *)data, size, &t, &err) < 0) {
        if (!err || !*bt_err_msg(err) || t.token || t.refresh_token)
            abort();
        return;
    }
    if (!t.token || !*t.token || t.expires_in < 60 || (t.refresh_token && !*t.refresh_token))
        abort();
    reg_token_clear(&t);
}

static void errors_body(const uint8_t *data, size_t size)
{
    char *code = NULL;
    bt_autofree char *msg = reg_errors_message((const char *)data, size, &code);
    if (!msg != !code || (msg && (!*msg || !*code)))
        abort();
    bt_autofree char *again = reg_errors_message((const char *)data, size, NULL);
    if (!same(msg, again))
        abort();
    free(code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    encodings(data, size);
    bt_autofree char *header = bt_xstrndup((const char *)data, size);
    struct reg_auth a;
    bt_autoerr bt_err *err = NULL;
    int rc = reg_auth_decode(header, &a, &err);
    check_failure(rc, err, &a);
    reg_auth_clear(&a);
    token(data, size);
    errors_body(data, size);
    return 0;
}
