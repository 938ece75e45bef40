/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A volume as the docker CLI 28 shows it, made from the engine's JSON (an element of GET
 * /volumes' "Volumes", or the answer of GET /volumes/NAME):
 *
 *  - the row `volume ls` formats: docker's *formatter.volumeContext, whose methods (Name,
 *    Driver, Scope, Mountpoint, Labels, Links, Size, Group, Availability, Status) are strings,
 *    members sorted as its JSON has them; {{.Label "k"}} is answered by berth_label_method;
 *  - the value `volume inspect` prints: Go's volume.Volume, as the docker CLI decodes the
 *    answer into it and prints that (not the answer): members in struct order, members Go
 *    does not know dropped, maps with sorted keys; berth_volume_types tells templates its maps,
 *    pointers and omitempty members.
 *
 * The engine's JSON may have any shape: missing or mistyped members read as Go's zero values.
 * Functions return new references and only read their arguments.
 */
#include <stdbool.h>

#include <jansson.h>

#include "host/format/template.h"

/* The Go types of berth_volume_typed()'s value, for templates. */
extern const struct fmt_type berth_volume_types[];
/* The Go type of the rows. */
extern const struct fmt_type berth_volume_row_types[];
/* Column titles of the rows (docker's SubHeaderContext for volumes). */
json_t *berth_volume_header(void);

/* The row of one volume. Labels are joined in key order (docker's come in Go's random map
 * order). */
json_t *berth_volume_row(const json_t *vol);

/* The volume.Volume docker holds, every member present (null for nil pointers and maps). */
json_t *berth_volume_typed(const json_t *vol);

/* The same as encoding/json writes it: the empty omitempty members (ClusterVolume, CreatedAt,
 * Status, UsageData) left out. */
json_t *berth_volume_go_json(const json_t *vol);
