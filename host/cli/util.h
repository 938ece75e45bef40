/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Small helpers the cmd-<verb>.c files share. */
#include <stdbool.h>

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
