/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Image references with Docker's grammar and normalisation (distribution/reference):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain '/'] path          domain := host [":" port]
 *
 * bt_ref_parse() is ParseNormalizedNamed: "busybox" becomes docker.io/library/busybox,
 * "index.docker.io/x" becomes docker.io/library/x, "localhost:5000/x" keeps its domain. Errors
 * carry Docker's wording ("invalid reference format", "invalid reference format: repository
 * name (library/Busybox) must be lowercase", ...) and code BT_E_INVALID.
 *
 * A struct bt_ref owns its strings; free with bt_ref_free(). Functions returning char * give
 * the caller a new string.
 */
#include <stdbool.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

struct bt_ref {
    char *domain; /* "docker.io", "localhost:5000", "[::1]:5000" */
    char *path;   /* "library/busybox" */
    char *tag;    /* NULL when none */
    char *digest; /* "sha256:<hex>", NULL when none */
};

/* ParseNormalizedNamed: a familiar or full reference; no default tag is added. */
struct bt_ref *bt_ref_parse(const char *s, bt_err **err);

/* ParseDockerRef: as bt_ref_parse(), then "latest" when there is neither tag nor digest, and
 * only the digest when there are both (what pull and run use). */
struct bt_ref *bt_ref_parse_docker(const char *s, bt_err **err);

void bt_ref_free(struct bt_ref *r);
BT_DEFINE_AUTOPTR(bt_ref, struct bt_ref, bt_ref_free);

/* domain + "/" + path: "docker.io/library/busybox" */
char *bt_ref_name(const struct bt_ref *r);
/* The full form: name[:tag][@digest] */
char *bt_ref_string(const struct bt_ref *r);
/* What Docker shows users: "busybox", "user/app", "localhost:5000/app" */
char *bt_ref_familiar_name(const struct bt_ref *r);
/* familiar name[:tag][@digest]: "busybox:latest" */
char *bt_ref_familiar_string(const struct bt_ref *r);

/* Docker's tag grammar [\w][\w.-]{0,127}; error "invalid tag format". */
int bt_ref_validate_tag(const char *tag, bt_err **err);

/* Replace the tag (NULL removes it). The tag must be valid. */
int bt_ref_set_tag(struct bt_ref *r, const char *tag, bt_err **err);
