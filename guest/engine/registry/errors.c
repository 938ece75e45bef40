/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A registry's error body (the Registry HTTP API v2's "errors" envelope; OCI distribution-spec
 * section "Error Codes"), said as Docker says it. dockerd decodes it into the errcode.Errors of
 * github.com/docker/distribution (v2.8, vendored by moby):
 *
 *  - "code" is looked up among the registered codes; one that is not registered becomes
 *    UNKNOWN (so "QUOTA_EXCEEDED: over quota" prints "unknown: over quota");
 *  - an error without detail whose message is empty or its code's standard message decodes to
 *    the bare code, printed as the code alone: "manifest unknown";
 *  - any other prints "<code in lower case, '_' as ' '>: <message>";
 *  - one error prints as itself, several as "errors:\n" and each followed by "\n".
 */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/registry/parse-internal.h"
#include "guest/engine/registry/parse.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

/* errcode's descriptors (register.go) and those registry/api/v2 registers (errors.go): the
 * codes dockerd knows, with their standard messages. */
static const struct {
    const char *code, *message;
} known_codes[] = {
        {"UNKNOWN", "unknown error"},
        {"UNSUPPORTED", "The operation is unsupported."},
        {"UNAUTHORIZED", "authentication required"},
        {"DENIED", "requested access to the resource is denied"},
        {"UNAVAILABLE", "service unavailable"},
        {"TOOMANYREQUESTS", "too many requests"},
        {"DIGEST_INVALID", "provided digest did not match uploaded content"},
        {"SIZE_INVALID", "provided length did not match content length"},
        {"NAME_INVALID", "invalid repository name"},
        {"TAG_INVALID", "manifest tag did not match URI"},
        {"NAME_UNKNOWN", "repository name not known to registry"},
        {"MANIFEST_UNKNOWN", "manifest unknown"},
        {"MANIFEST_INVALID", "manifest invalid"},
        {"MANIFEST_UNVERIFIED", "manifest failed signature verification"},
        {"MANIFEST_BLOB_UNKNOWN", "blob unknown to registry"},
        {"BLOB_UNKNOWN", "blob unknown to registry"},
        {"BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry"},
        {"BLOB_UPLOAD_INVALID", "blob upload invalid"},
        {"PAGINATION_NUMBER_INVALID", "invalid number of results requested"},
};

/* The registered code (index into known_codes) that code decodes to: UNKNOWN when none. */
static size_t lookup_code(const char *code)
{
    for (size_t i = 0; code && i < sizeof(known_codes) / sizeof(known_codes[0]); i++) {
        if (strcmp(known_codes[i].code, code) == 0)
            return i;
    }
    return 0;
}

/* One error as errcode prints it, appended to sb; -1 when it is not an error object as Go
 * would decode it (then the body is not an errors document at all). */
static int append_error(struct bt_strbuf *sb, const json_t *e, const char **code)
{
    if (json_is_null(e)) {
        /* Go leaves the element zero: code 0, which prints as UNKNOWN */
        *code = NULL;
        bt_strbuf_append(sb, "unknown");
        return 0;
    }
    if (!json_is_object(e))
        return -1;
    json_t *c = reg_json_member_ci(e, "code"), *m = reg_json_member_ci(e, "message");
    json_t *detail = reg_json_member_ci(e, "detail");
    if ((c && !json_is_string(c) && !json_is_null(c)) ||
        (m && !json_is_string(m) && !json_is_null(m)))
        return -1;
    *code = json_is_string(c) ? json_string_value(c) : NULL;
    size_t k = lookup_code(*code);
    const char *message = json_is_string(m) ? json_string_value(m) : "";
    for (const char *p = known_codes[k].code; *p; p++)
        bt_strbuf_append_c(sb, *p == '_' ? ' ' : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
    bool bare = (!detail || json_is_null(detail)) &&
                (!*message || strcmp(message, known_codes[k].message) == 0);
    if (!bare) {
        bt_strbuf_append(sb, ": ");
        bt_strbuf_append(sb, message);
    }
    return 0;
}

char *reg_errors_message(const char *data, size_t len, char **code)
{
    if (code)
        *code = NULL;
    bt_autofree char *why = NULL;
    bt_autoptr(json_t) doc = reg_json_decode(data, len, true, &why);
    if (!json_is_object(doc))
        return NULL;
    json_t *errors = reg_json_member_ci(doc, "errors");
    if (!json_is_array(errors) || json_array_size(errors) == 0)
        return NULL;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    size_t n = json_array_size(errors);
    const char *first_code = NULL;
    if (n > 1)
        bt_strbuf_append(&sb, "errors:\n");
    for (size_t i = 0; i < n; i++) {
        const char *c = NULL;
        if (append_error(&sb, json_array_get(errors, i), &c) < 0)
            return NULL;
        if (i == 0)
            first_code = c;
        if (n > 1)
            bt_strbuf_append_c(&sb, '\n');
    }
    if (code)
        *code = bt_xstrdup(first_code && *first_code ? first_code : "UNKNOWN");
    return bt_strbuf_steal(&sb);
}
