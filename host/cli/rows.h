/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Rows of the list commands that `system df -v` shows again: docker's imageContext (cmd-images.c)
 * and ContainerContext (cmd-ps.c), made from the engine's JSON (an element of GET /images/json,
 * of GET /containers/json). New references; the arguments are only read. now is nanoseconds
 * since the epoch, for the "ago" columns.
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* One image row for repo:tag (digest "<none>" unless shown). */
json_t *berth_image_row(const json_t *img, const char *repo, const char *tag, const char *digest,
                        bool trunc, int64_t now);
/* Column titles of the image rows. */
json_t *berth_image_header(void);
/* One container row; Size shows "(virtual ...)" when SizeRootFs is above 0. */
json_t *berth_ps_row(const json_t *c, bool trunc, int64_t now);
/* Column titles of the container rows (borrowed, never freed). */
const json_t *berth_ps_header(void);
