/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* What encode.c lends config.c: Go's JSON strings and base64url. */
#include "shared/base/strbuf.h"

/* s as Go's encoding/json writes a string (quotes included), appended to sb. */
void auth_json_string(struct bt_strbuf *sb, const char *s);

/* base64.URLEncoding (padded) of a NUL-terminated text. A new string. */
char *auth_b64url(const char *text);
