/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * GET /events' parameters, as dockerd reads them: the times of "since" and "until" and the
 * "filters" an event must pass. Pure functions over outside input (fuzzed).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "shared/base/err.h"

/* A time as the docker CLI sends it, "SECONDS[.FRACTION]" (the fraction's digits scaled to
 * nanoseconds, as moby's ParseTimestamps: "1.5" is 1.5 s), or RFC 3339 ("2006-01-02T15:04:05Z",
 * with an optional fraction and a "+07:00" offset). NULL or "" give 0 with *ns 0 (no time).
 * *ns: nanoseconds since the epoch. Errors (BT_E_INVALID) in Go's words:
 * `strconv.ParseInt: parsing "x": invalid syntax`. */
int api_events_parse_time(const char *text, int64_t *ns, bt_err **err);

/* The "filters" parameter (NULL or "" for none) with the keys dockerd knows for events
 * (container, daemon, event, image, label, network, type, volume, scope, plugin, node, service,
 * secret, config); "invalid filter 'x'" else. */
json_t *api_events_filters(const char *text, bt_err **err);

/* Whether an event (the bus's JSON, see events.h) passes the filters, as dockerd's
 * events.Filter.Include: every key given must match (values of one key are alternatives):
 * type and scope exactly; event exactly (by prefix for "exec_create", "exec_start",
 * "health_status" given without a colon); container, volume, network and daemon by the actor's
 * ID or "name" attribute, a prefix enough (whatever the event's type, as dockerd's); image by the
 * ID or the image name, with or without its tag; label "key" or "key=value" among the attributes.
 */
bool api_events_match(const json_t *filters, const json_t *event);
