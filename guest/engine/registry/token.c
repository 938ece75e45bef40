/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A token server's answer (distribution's docs/spec/auth/token.md, and its OAuth2 form
 * oauth.md): {"token": "...", "access_token": "...", "expires_in": 300, "issued_at": "...",
 * "refresh_token": "..."}. Read as distribution's token handler reads it into its
 * getTokenResponse: access_token wins over token when both are there, a lifetime under 60
 * seconds is 60. issued_at is not read: Berth counts the lifetime from when the answer came,
 * which a registry's wrong clock cannot move.
 */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/registry/parse-internal.h"
#include "guest/engine/registry/parse.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

/* distribution's minimumTokenLifetimeSeconds */
#define MIN_TOKEN_LIFETIME 60

static int type_error(const json_t *v, const char *field, const char *type, bt_err **err)
{
    return bt_err_set(err, BT_E_INVALID,
                      "unable to decode token response: json: cannot unmarshal %s into Go "
                      "struct field getTokenResponse.%s of type %s",
                      reg_json_go_kind(v), field, type);
}

static int read_fields(const json_t *doc, struct reg_token *out, bt_err **err)
{
    bt_autofree char *token = NULL, *access = NULL;
    json_t *v = reg_json_member_ci(doc, "token");
    if (reg_json_copy_str(v, &token) < 0)
        return type_error(v, "token", "string", err);
    v = reg_json_member_ci(doc, "access_token");
    if (reg_json_copy_str(v, &access) < 0)
        return type_error(v, "access_token", "string", err);
    v = reg_json_member_ci(doc, "refresh_token");
    if (reg_json_copy_str(v, &out->refresh_token) < 0)
        return type_error(v, "refresh_token", "string", err);
    v = reg_json_member_ci(doc, "expires_in");
    if (v && !json_is_null(v) && !json_is_integer(v))
        return type_error(v, "expires_in", "int", err);
    out->expires_in = json_is_integer(v) ? json_integer_value(v) : 0;
    if (out->expires_in < MIN_TOKEN_LIFETIME)
        out->expires_in = MIN_TOKEN_LIFETIME;
    /* "access_token is equivalent to token and if both are specified the choice is
     * undefined": distribution takes access_token */
    out->token = access ? bt_steal_ptr(&access) : bt_steal_ptr(&token);
    if (!out->token)
        return bt_err_set(err, BT_E_INVALID,
                          "authorization server did not include a token in the response");
    return 0;
}

int reg_token_parse(const char *data, size_t len, struct reg_token *out, bt_err **err)
{
    memset(out, 0, sizeof(*out));
    bt_autofree char *why = NULL;
    bt_autoptr(json_t) doc = reg_json_decode(data, len, false, &why);
    if (!doc)
        return bt_err_set(err, BT_E_INVALID, "unable to decode token response: %s", why);
    if (!json_is_object(doc) && !json_is_null(doc))
        return bt_err_set(err, BT_E_INVALID,
                          "unable to decode token response: json: cannot unmarshal %s into Go "
                          "value of type auth.getTokenResponse",
                          reg_json_go_kind(doc));
    if (read_fields(doc, out, err) < 0) {
        reg_token_clear(out);
        return -1;
    }
    return 0;
}

void reg_token_clear(struct reg_token *t)
{
    if (!t)
        return;
    free(t->token);
    free(t->refresh_token);
    memset(t, 0, sizeof(*t));
}
