/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Human-readable sizes, durations and container states as the docker CLI and daemon print
 * them (github.com/docker/go-units, moby's container State.String()):
 *   fmt_human_size(2140000, 3)  "2.14MB"      fmt_bytes_size(67108864)   "64MiB"
 *   fmt_human_duration(90 s)    "About a minute"
 *   fmt_container_status(state) "Up 3 minutes (Paused)", "Exited (0) 3 seconds ago"
 * Every function appends to a strbuf and cannot fail. Times are nanoseconds since the Unix
 * epoch; callers pass `now` so output is testable.
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "shared/base/strbuf.h"

#define FMT_NS_PER_SEC INT64_C(1000000000)

/* go-units HumanSizeWithPrecision: decimal units (B kB MB GB TB PB EB ZB YB), "%.*g". docker
 * prints sizes with precision 3 (HumanSize uses 4). */
void fmt_human_size(double size, int precision, struct bt_strbuf *out);
/* go-units BytesSize: binary units (B KiB MiB ...), "%.4g". */
void fmt_bytes_size(double size, struct bt_strbuf *out);
/* go-units HumanDuration: "Less than a second", "1 second", "N seconds", "About a minute",
 * "N minutes", "About an hour", "N hours", "N days", "N weeks", "N months", "N years". */
void fmt_human_duration(int64_t ns, struct bt_strbuf *out);
/* docker's CREATED / RunningFor column: HumanDuration(now - then) + " ago". */
void fmt_time_ago(int64_t then_ns, int64_t now_ns, struct bt_strbuf *out);

/* Parse Go's RFC 3339 time text ("2024-05-01T10:00:00.123456789Z", offsets allowed) into
 * nanoseconds since the epoch. Go's zero time ("0001-01-01T00:00:00Z"), times an int64 of
 * nanoseconds cannot hold (before 1678, after 2261) and text that does not parse give false. */
bool fmt_parse_time(const char *text, int64_t *ns);

/* Go's time.Time.String() of a time.Time decoded from JSON text ("2025-01-02T03:04:05.12Z"
 * gives "2025-01-02 03:04:05.12 +0000 UTC"): the wall clock as written, the fraction without
 * trailing zeros, and the offset named as Go's Parse names it (UTC for Z, the local zone's
 * abbreviation when the offset is the local one at that time, else the offset again: "+0200
 * +0200"). False, with nothing appended, for text that is no RFC 3339 time. */
bool fmt_go_time_string(const char *text, struct bt_strbuf *out);

/* The STATUS of docker ps, from a container's inspect "State" object: "Created",
 * "Up 2 seconds", "Up 5 minutes (healthy)", "Up 1 second (health: starting)",
 * "Up 3 minutes (Paused)", "Restarting (1) 2 seconds ago", "Exited (0) 3 seconds ago",
 * "Dead", "Removal In Progress". */
void fmt_container_status(const json_t *state, int64_t now_ns, struct bt_strbuf *out);
