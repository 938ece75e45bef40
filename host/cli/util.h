/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Small helpers the cmd-<verb>.c files share. */
#include <stdbool.h>

#include <jansson.h>

#include "host/cli/commands.h"
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

/* Filters made by berth_flag_filter as the API's query value (URL-escaped JSON); NULL when
 * there are none. */
char *berth_filters_query(const json_t *filters);

/* fvbommel/sortorder.NaturalLess, the order of `docker volume ls`: runs of digits compare as
 * numbers (fewer leading zeros first when equal), digits before other bytes, other bytes as
 * bytes. */
bool berth_natural_less(const char *a, const char *b);
