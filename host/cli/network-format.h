/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Networks as the docker CLI 28 shows them, made from the engine's JSON (an element of GET
 * /networks, or the answer of GET /networks/NAME):
 *
 *  - the row `network ls` formats: docker's *network.networkContext, whose methods (ID, Name,
 *    Driver, Scope, IPv4, IPv6, Internal, Labels, CreatedAt) are strings, members sorted as its
 *    JSON has them; {{.Label "k"}} is answered by berth_label_method;
 *  - the value `network inspect -f` runs a template on: Go's network.Inspect, members in
 *    struct order, nil maps and slices as null; berth_network_types gives their Go types
 *    (Created is a time.Time: it prints as Go prints a time).
 *
 * Without -f, `network inspect` prints the engine's JSON itself, indented, as docker does.
 * The engine's JSON may have any shape: missing or mistyped members read as Go's zero values.
 * Functions return new references and only read their arguments.
 */
#include <stdbool.h>

#include <jansson.h>

#include "host/format/template.h"

/* The Go types of berth_network_typed()'s value, for templates. */
extern const struct fmt_type berth_network_types[];
/* The Go type of the rows. */
extern const struct fmt_type berth_network_row_types[];
/* Column titles of the rows (docker's SubHeaderContext for networks). */
json_t *berth_network_header(void);

/* The row of one network; trunc cuts the ID to 12 characters. Labels are joined in key order
 * (docker's come in Go's random map order). */
json_t *berth_network_row(const json_t *net, bool trunc);

/* The network.Inspect docker holds, every member present. */
json_t *berth_network_typed(const json_t *net);
