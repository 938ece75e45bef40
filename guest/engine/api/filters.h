/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Docker's "filters" query parameter: a JSON object of key -> list of values, or the old form
 * key -> {value: true}. Parsed into one shape and checked against the keys an endpoint knows.
 */
#include <jansson.h>
#include <stdbool.h>

#include "shared/base/err.h"

/* Parse text (NULL or "" give an empty object). Errors, in dockerd's words:
 * "invalid filter 'x'" for a key not in allowed (NULL-terminated), and a 400 for bad JSON. */
json_t *api_filters_parse(const char *text, const char *const *allowed, bt_err **err);

/* The values of one key (an array, or NULL when absent, which jansson's array functions
 * read as empty; borrowed). */
json_t *api_filters_get(const json_t *f, const char *key);

/* Whether labels (an object) match every label filter: "key" (present) or "key=value". */
bool api_filters_match_labels(const json_t *f, const char *key, const json_t *labels);
/* The label filters of the prune endpoints: every "label" matches and no "label!" does. */
bool api_filters_prune_labels(const json_t *f, const json_t *labels);
