/* SPDX-License-Identifier: Apache-2.0 */
/*
 * X-Registry-Auth: the docker CLI's credentials for one registry, JSON (types.AuthConfig) in
 * base64url with padding (base64.URLEncoding). dockerd's registry.DecodeAuthConfig reads it
 * through a streaming base64 decoder into json.Decoder: padding is required there, line
 * breaks are skipped, and only the first JSON value is read. Berth also takes it without
 * padding and in the standard alphabet, which other clients send (docker-py pads, some
 * libraries do not); what is not base64 in either alphabet is still refused.
 */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/registry/parse-internal.h"
#include "guest/engine/registry/parse.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

#define AUTH_ERR "invalid X-Registry-Auth header"

/* The header in the standard alphabet with its padding, line breaks dropped; NULL (with the
 * position of the offending byte) when it cannot be base64 at all. */
static char *to_std_base64(const char *header, size_t *bad)
{
    size_t n = strlen(header);
    char *s = bt_xmalloc(n + 3);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = header[i];
        if (c == '\r' || c == '\n')
            continue;
        s[o++] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    /* unpadded (RawURLEncoding): a last group of 2 or 3 characters takes "==" or "=" */
    if (o == 0 || s[o - 1] != '=') {
        if (o % 4 == 1) {
            free(s);
            *bad = o - 1;
            return NULL;
        }
        while (o % 4 != 0)
            s[o++] = '=';
    }
    s[o] = '\0';
    return s;
}

static int field(const json_t *doc, const char *name, char **out, bt_err **err)
{
    json_t *v = reg_json_member_ci(doc, name);
    if (reg_json_copy_str(v, out) < 0)
        return bt_err_set(err, BT_E_INVALID,
                          AUTH_ERR ": json: cannot unmarshal %s into Go struct field "
                                   "AuthConfig.%s of type string",
                          reg_json_go_kind(v), name);
    return 0;
}

/* "auth" is base64 of "user:password" as the CLI's config file keeps it. */
static void split_auth(struct reg_auth *a)
{
    if (a->username || a->password || !a->auth)
        return;
    size_t len = 0;
    bt_autofree char *plain = bt_base64_decode(a->auth, &len, NULL);
    char *colon = plain && strlen(plain) == len ? strchr(plain, ':') : NULL;
    if (!colon)
        return;
    *colon = '\0';
    if (*plain)
        a->username = bt_xstrdup(plain);
    if (colon[1])
        a->password = bt_xstrdup(colon + 1);
}

static int read_fields(const json_t *doc, struct reg_auth *out, bt_err **err)
{
    if (field(doc, "username", &out->username, err) < 0 ||
        field(doc, "password", &out->password, err) < 0 ||
        field(doc, "auth", &out->auth, err) < 0 ||
        field(doc, "identitytoken", &out->identity_token, err) < 0 ||
        field(doc, "registrytoken", &out->registry_token, err) < 0 ||
        field(doc, "serveraddress", &out->server_address, err) < 0)
        return -1;
    /* "email" is deprecated and unused, but Go still wants a string there */
    bt_autofree char *email = NULL;
    if (field(doc, "email", &email, err) < 0)
        return -1;
    split_auth(out);
    return 0;
}

int reg_auth_decode(const char *header, struct reg_auth *out, bt_err **err)
{
    memset(out, 0, sizeof(*out));
    if (!header || !*header)
        return 0;
    size_t bad = 0, len = 0;
    bt_autofree char *std = to_std_base64(header, &bad);
    if (!std)
        return bt_err_set(err, BT_E_INVALID, AUTH_ERR ": illegal base64 data at input byte %zu",
                          bad);
    bt_autoerr bt_err *b64err = NULL;
    bt_autofree char *json = bt_base64_decode(std, &len, &b64err);
    if (!json)
        return bt_err_set(err, BT_E_INVALID, AUTH_ERR ": %s", bt_err_msg(b64err));
    bt_autofree char *why = NULL;
    bt_autoptr(json_t) doc = reg_json_decode(json, len, false, &why);
    if (!doc)
        return bt_err_set(err, BT_E_INVALID, AUTH_ERR ": %s", why);
    if (json_is_null(doc))
        return 0;
    if (!json_is_object(doc))
        return bt_err_set(err, BT_E_INVALID,
                          AUTH_ERR ": json: cannot unmarshal %s into Go value of type "
                                   "registry.AuthConfig",
                          reg_json_go_kind(doc));
    if (read_fields(doc, out, err) < 0) {
        reg_auth_clear(out);
        return -1;
    }
    return 0;
}

void reg_auth_clear(struct reg_auth *a)
{
    if (!a)
        return;
    free(a->username);
    free(a->password);
    free(a->auth);
    free(a->identity_token);
    free(a->registry_token);
    free(a->server_address);
    memset(a, 0, sizeof(*a));
}
