/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Small helpers the cmd-<verb>.c files share. */
#include <stdbool.h>

#include <jansson.h>

#include "host/cli/commands.h"
#include "host/format/template.h"
#include "shared/base/strbuf.h"

/* Percent-encode s for a path segment or a query value. The caller frees. */
char *berth_escape(const char *s);

/* The client, or print why there is none and return NULL (*rc gets the exit code). */
struct cl_client *berth_need_client(struct berth_cli *cli, int *rc);

/* For each name: METHOD /containers/<name><suffix>; print the name on success (when
 * print_name), the engine's error otherwise, and go on, as docker's stop/kill/rm/... do.
 * Returns 0, or 1 when any failed. */
int berth_each_container(struct berth_cli *cli, char **names, const char *method,
                         const char *suffix, bool print_name);

/* The same; missing_ok: a missing container is reported on stderr but is no failure (rm -f). */
int berth_each_container_opts(struct berth_cli *cli, char **names, const char *method,
                              const char *suffix, bool print_name, bool missing_ok);

/* Append "&key=value" (or "?key=value" for the first) to a path being built. */
void berth_query(struct bt_strbuf *path, const char *key, const char *value);

/* stringid.TruncateID: the hex after any "algo:" prefix, cut to 12 characters. */
char *berth_short_id(const char *id);

/* The docker CLI's formatter.Ellipsis: s cut to max display columns, ending with "…". */
char *berth_ellipsis(const char *s, size_t max);

/* A --filter list as the API wants it: {"key": {"value": true}}, URL-escaped JSON; NULL when
 * the list is empty. Bad entries: "bad format of filter (expected name=value)". */
char *berth_filters(const char **list, bt_err **err);

/* The header of a {{.Label "a.b-c"}} column (docker's SubHeaderContext.Label): the part after
 * the last dot, with - and _ as spaces. */
char *berth_header_label(const char *name);

/* prompt.Confirm of the docker CLI: "message [y/N] " on stdout, then one line of stdin; yes
 * when the line, trimmed, is "y" or "Y". End of input is no. */
bool berth_confirm(struct berth_cli *cli, const char *message);

/*
 * Values of the docker CLI's own flag types (its opts package), for BT_FLAG_FUNC flags: the
 * flag's value is a json_t * the caller owns, NULL until the flag is first given (drop it with
 * json_decref). Errors are docker's words; the flag parser puts them after "invalid argument
 * \"x\" for \"--label\" flag: ".
 */
/* opts.FilterOpt (metavar "filter"): "name=value" into {"name": {"value": true}}, the name
 * trimmed and lower-cased, the value trimmed; "" is ignored. "bad format of filter (expected
 * name=value)". */
int berth_flag_filter(void *value, const char *arg, bt_err **err);
/* opts.ListOpts with ValidateLabel, then ConvertKVStringsToMap (metavar "list"): "k=v", or
 * "k" for an empty value, into {"k": "v"}; a later k replaces an earlier. "invalid label '=x':
 * empty name", "label 'a b' contains whitespaces". */
int berth_flag_label(void *value, const char *arg, bt_err **err);
/* opts.MapOpts (metavar "map", shown with default "map[]"): "k=v" or "k" into {"k": "v"}. */
int berth_flag_map(void *value, const char *arg, bt_err **err);

/* s as Go's encoding/json sends a string: each byte that is no valid UTF-8 becomes U+FFFD
 * (jansson refuses such strings). The caller frees. */
char *berth_go_utf8(const char *s);

/* Filters made by berth_flag_filter as the API's query value (URL-escaped JSON as docker's
 * filters.ToJSON writes it: keys sorted, <, > and & escaped); NULL when there are none. */
char *berth_filters_query(const json_t *filters);

/* {{.Label "k"}} on list rows made one for one from objs (same order), and on the header row
 * (docker's SubHeaderContext.Label): a fmt_method_fn whose ctx is a struct berth_label_ctx.
 * A row answers with the "Labels" member of its object. */
struct berth_label_ctx {
    const json_t *rows;
    const json_t *objs;
};
int berth_label_method(void *ctx, const char *name, const char *receiver_path,
                       const json_t *receiver, const json_t *const *args, size_t nargs,
                       json_t **result, bt_err **err);

/* The LABELS column of the list commands: "k=v" joined by commas, in key order (docker's
 * follow Go's random map order). A new string. */
char *berth_join_labels(const json_t *labels);

/* The keys of an object in byte order (encoding/json's order for a Go map), NULL-terminated;
 * free() the array, not the keys, which live as long as obj. */
const char **berth_object_keys(const json_t *obj, size_t *n);

/* A Go map[string]string decoded from the engine's JSON: JSON null when absent or not an
 * object (a nil map), the string members only, keys in byte order. */
json_t *berth_string_map(const json_t *obj);

/* Sort an array of objects by their "Name" with berth_natural_less (volume ls, network ls). */
void berth_sort_by_name(json_t *objs);

/* fvbommel/sortorder.NaturalLess, the order of `docker volume ls`: runs of digits compare as
 * numbers (fewer leading zeros first when equal), digits before other bytes, other bytes as
 * bytes. */
bool berth_natural_less(const char *a, const char *b);

/* The docker client's trimID: name without white space around it, a new string; NULL with
 * "invalid KIND name or ID: value is empty" when nothing is left (no request is made). */
char *berth_trim_id(const char *kind, const char *name, bt_err **err);

/* errors.Join as the docker CLI prints it: one line each, "Error response from daemon: "
 * before the engine's. Appends err's line to errors and frees err. */
void berth_add_error(struct bt_strbuf *errors, bt_err *err);
/* Print the joined errors (after flushing stdout) and return BERTH_EXIT_FAIL; 0 when there
 * are none. */
int berth_print_errors(struct berth_cli *cli, const struct bt_strbuf *errors);

/* An inspect template as docker's TemplateInspector runs it: on the typed object first (types
 * give its Go types), then, when that fails, on the raw JSON as maps with missingkey=error,
 * whose error is the one returned ("template parsing error: ..."). Appends the output and a
 * newline. */
int berth_inspect_exec(const struct fmt_template *t, const json_t *typed,
                       const struct fmt_type *types, const json_t *raw, struct bt_strbuf *out,
                       bt_err **err);

/* pflag's StringSlice (metavar "strings"): each value split as a CSV record, its fields
 * appended to the json array at value (made on first use); "" adds nothing. Errors are
 * encoding/csv's. */
int berth_flag_string_slice(void *value, const char *arg, bt_err **err);
