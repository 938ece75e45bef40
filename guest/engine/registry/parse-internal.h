/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * What the parsers of parse.h share: JSON read the way Go's encoding/json reads it into a
 * struct (the registry's and the docker CLI's documents are written and read by Go), and the
 * words of Go's errors for what does not fit.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/err.h"

/* Parse a JSON value: the whole of data (whole: Go's json.Unmarshal, which refuses what
 * follows the value), or its first value (Go's json.Decoder.Decode, which does not read on).
 * Strings never hold NUL (jansson refuses "\u0000" without JSON_ALLOW_NUL). On failure *why
 * (never NULL) says why in Go's words where they are easy to match: "EOF" for nothing but
 * white space, "unexpected EOF" for a document cut short, else jansson's text; the caller
 * frees it. */
json_t *reg_json_decode(const char *data, size_t len, bool whole, char **why);

/* The member named key as Go's decoder fills a struct field: names that differ from key only
 * in ASCII case match too, and among several the last in the document wins (Go assigns them
 * all in order). NULL when absent. */
json_t *reg_json_member_ci(const json_t *obj, const char *key);

/* The kind of a JSON value in Go's error messages ("string", "number", "bool", "array",
 * "object"). */
const char *reg_json_go_kind(const json_t *v);

/* Copy a string member into *out: 0 with *out NULL when v is NULL, JSON null or "" (Go's zero
 * value), -1 when v is not a string. */
int reg_json_copy_str(const json_t *v, char **out);
