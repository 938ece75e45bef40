/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A container's ports as the docker CLI 28 shows them:
 *  - the PORTS column of `ps`, from the "Ports" array of GET /containers/json (formatter's
 *    DisplayablePorts): ports sorted, runs of consecutive unpublished ports and of ports
 *    published on the same number grouped ("80-81/tcp", "0.0.0.0:8000-8001->8000-8001/tcp"),
 *    the others as "0.0.0.0:8080->80/tcp", IPv6 addresses in brackets;
 *  - what `port` prints, from NetworkSettings.Ports of GET /containers/NAME/json.
 * The engine's JSON may have any shape: what is missing or mistyped reads as Go's zero value.
 */
#include <jansson.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

/* The PORTS column of a container (a new string; "" when it has no ports). */
char *berth_displayable_ports(const json_t *ports);

/*
 * `port CONTAINER [PRIVATE_PORT[/PROTO]]` of an inspected container: the lines appended to
 * out, each ending in a newline, sorted as docker sorts them (NaturalLess): "80/tcp ->
 * 0.0.0.0:8080" for all ports, "0.0.0.0:8080" for one (port NULL for all). Errors in docker's
 * words: "Error: invalid port (x): strconv.ParseUint: parsing \"x\": invalid syntax", "Error:
 * No public port '81/tcp' published for web" (name as the user typed it).
 */
int berth_port_lines(const json_t *ctr, const char *port, const char *name, struct bt_strbuf *out,
                     bt_err **err);
