/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Volumes: named directories under the data root that outlive containers, as dockerd's "local"
 * driver keeps them (docs: the volumes issue).
 *
 *   <data-root>/volumes/NAME/_data          the files (a container's mount source)
 *   <data-root>/volumes/NAME/volume.json    {"Name", "Driver", "CreatedAt", "Labels",
 *                                            "Options"}, written atomically
 *
 * A volume exists once its volume.json does. This first step has the store and the API's
 * create, list, inspect and remove; containers do not mount volumes yet.
 *
 * Thread safety: the functions may be called from any thread (one lock per store).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "shared/base/err.h"

struct vol_store;

/* Open (creating) the store at dir (<data-root>/volumes). */
struct vol_store *vol_store_open(const char *dir, bt_err **err);
void vol_store_close(struct vol_store *s);

/* Create a volume; an empty name gets 64 random hex digits. A volume of that name that exists
 * already is returned as it is, as dockerd does. The driver must be "local" (or empty). The
 * local driver's options, as `docker volume create -o` gives them: "type", "device" and "o"
 * (mount(8)'s -t, device and -o: `-o type=tmpfs -o device=tmpfs -o o=size=64m`, or
 * `-o type=none -o device=/srv/x -o o=bind`), mounted on the volume's directory while a
 * container that uses it runs (vol_mount). Errors `invalid option: "x"`, `missing required
 * option: "type"`. Returns the volume as the API shows it (new ref).
 * Errors in dockerd's words: `volume name is too short, names should be at least two
 * alphanumeric characters`, `"x/y" includes invalid characters for a local volume name, only
 * "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute
 * path`, `error looking up volume plugin NAME: plugin "NAME" not found`. */
json_t *vol_create(struct vol_store *s, const char *name, const char *driver, const json_t *labels,
                   const json_t *options, bt_err **err);

/* {"Name", "Driver", "Mountpoint", "CreatedAt", "Labels", "Scope", "Options"}; BT_E_NOT_FOUND
 * `get NAME: no such volume`. */
json_t *vol_inspect(struct vol_store *s, const char *name, bt_err **err);

/* A volume with mount options ("type", "device", "o") has them mounted on its directory while
 * any container that uses it runs: vol_mount() counts a user (mounting for the first),
 * vol_unmount() lets one go (unmounting after the last). Other volumes: no-ops. A mount that is
 * already there (a berthd restarted under running containers) is counted, not mounted again.
 * Errors in dockerd's words: "error while mounting volume '<dir>': failed to mount local
 * volume: mount <device>:<dir>, data: <o>: <reason>". */
int vol_mount(struct vol_store *s, const char *name, bt_err **err);
void vol_unmount(struct vol_store *s, const char *name);
/* Unmount every volume that nothing counts (after a crash left them mounted). */
void vol_unmount_idle(struct vol_store *s);

/* Whether a volume has mount options (its content lives only while it is mounted). */
bool vol_has_mount(struct vol_store *s, const char *name);

/* Whether a volume of that name exists. */
bool vol_exists(struct vol_store *s, const char *name);

/* The bytes of the files in a volume (what a prune reclaims); -1 when it is missing. */
int64_t vol_size(struct vol_store *s, const char *name);

/* Every volume, sorted by name (new ref). */
json_t *vol_list(struct vol_store *s);

/* Remove a volume and its files; BT_E_NOT_FOUND `get NAME: no such volume`. */
int vol_remove(struct vol_store *s, const char *name, bt_err **err);
