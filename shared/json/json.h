/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * JSON on jansson: parsing with errors that name the place, typed getters that tolerate
 * missing or mistyped members (Docker's JSON is full of optional fields and nulls), and
 * atomic file storage for records.
 *
 * Ownership: bt_json_parse*() and bt_json_load_file() return a new reference the caller drops
 * with json_decref() (or bt_autoptr(json_t)). Getters return borrowed values that live as
 * long as the object they came from. jansson values are not thread-safe: share none between
 * threads without a lock.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

BT_DEFINE_AUTOPTR(json_t, json_t, json_decref);

/* Parse a JSON text; errors read "invalid JSON: <what> at line L column C". */
json_t *bt_json_parse(const char *text, size_t len, bt_err **err);
/* The same, also requiring an object at the top. */
json_t *bt_json_parse_object(const char *text, size_t len, bt_err **err);

/* Compact serialisation (no spaces), as Docker's API writes; the caller frees. */
char *bt_json_dumps(const json_t *v);
/* Indented with `indent` spaces, members in insertion order; the caller frees. */
char *bt_json_dumps_pretty(const json_t *v, int indent);
/* JSON text as Go's encoding/json writes it by default: <, > and & escaped for HTML (\u003c,
 * \u003e, \u0026); only ever inside strings, so the document means the same. Frees text. */
char *bt_json_html_escape(char *text);

/* Member getters: the member's value when present with the right type, else `def`. NULL
 * objects are allowed. */
const char *bt_json_get_str(const json_t *obj, const char *key, const char *def);
int64_t bt_json_get_int(const json_t *obj, const char *key, int64_t def);
bool bt_json_get_bool(const json_t *obj, const char *key, bool def);
double bt_json_get_real(const json_t *obj, const char *key, double def);
/* The member if it is an object / array, else NULL. */
json_t *bt_json_get_obj(const json_t *obj, const char *key);
json_t *bt_json_get_arr(const json_t *obj, const char *key);
/* Walk nested objects with a dotted path ("Config.Labels"); NULL when any step is missing. */
json_t *bt_json_get_path(const json_t *obj, const char *dotted);

/* Setters that take ownership of nothing: they copy the C value in. A NULL string sets JSON
 * null. */
void bt_json_set_str(json_t *obj, const char *key, const char *value);
void bt_json_set_int(json_t *obj, const char *key, int64_t value);
void bt_json_set_bool(json_t *obj, const char *key, bool value);

/* A JSON array of strings from a NULL-terminated vector (NULL gives []). */
json_t *bt_json_strv(char *const *v);
/* A NULL-terminated vector from an array of strings; non-strings are an error. NULL or JSON
 * null gives an empty vector. */
char **bt_json_to_strv(const json_t *arr, bt_err **err);

/* Read a file holding a JSON object. A missing file is a BT_E_NOT_FOUND error (ENOENT). */
json_t *bt_json_load_file(const char *path, bt_err **err);
/* Write v to path atomically (temp file, fsync, rename, fsync of the directory). */
int bt_json_save_file(const char *path, const json_t *v, mode_t mode, bt_err **err);
/* The same with bt_file_write_atomic_flags() flags (BT_FILE_NO_SYNC). */
int bt_json_save_file_flags(const char *path, const json_t *v, mode_t mode, unsigned flags,
                            bt_err **err);
