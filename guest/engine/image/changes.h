/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The `changes` of docker import and docker commit: Dockerfile instructions applied to an
 * image's container config, as dockerd's BuildFromConfig does.
 *
 * Accepted (dockerd's list of commit commands): CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK,
 * LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR, in shell and JSON exec forms where
 * Dockerfiles allow both; ENV and LABEL as "k v" and "k=v k2=\"v 2\"". Any other instruction is
 * "<INSTR> is not a valid change command" (the instruction as written). Values are expanded
 * ($V, ${V}, ${V:-w}, ${V-w}, ${V:+w}, ${V+w}, ${V:?m}, ${V?m}) against the config's Env, as a
 * Dockerfile would expand them; quoting follows the Dockerfile shell-word rules.
 *
 * This is a small parser of its own; the builder's full Dockerfile parser is a separate
 * module. Errors are BT_E_INVALID with the builder's wording ("ENV names can not be blank",
 * "USER requires exactly one argument", "invalid signal: FOO", ...).
 */
#include <jansson.h>

#include "shared/base/err.h"

/* Apply `changes` (NULL-terminated; each may hold several lines) to config, an object with
 * Docker's container config members (Cmd, Entrypoint, Env, ExposedPorts, Healthcheck, Labels,
 * OnBuild, Shell, StopSignal, User, Volumes, WorkingDir). Returns a new object: config with the
 * changes made; config itself is not touched. */
json_t *image_changes_apply(const json_t *config, char *const *changes, bt_err **err);
