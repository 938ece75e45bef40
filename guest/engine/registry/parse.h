/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * What a registry sends, parsed (pure functions, no I/O; every one is fuzzed): the
 * WWW-Authenticate challenge, a token server's answer, manifests and indexes of the Docker
 * Registry HTTP API v2 and the OCI image spec, the registry's error bodies, and the
 * X-Registry-Auth header a client sends the engine. Also the one document Berth writes for a
 * registry: the image manifest of a push.
 *
 * Ownership: every pointer a function fills or returns is the caller's, freed with the
 * matching *_clear() / free(). Errors are BT_E_INVALID with a message in Docker's words where
 * Docker has words for it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/base/err.h"

/* ---- WWW-Authenticate (RFC 7235; what distribution's challenge parser accepts) ---- */

struct reg_challenge {
    char *scheme;            /* lower case: "bearer", "basic" */
    char *realm;             /* NULL when absent */
    char *service;           /* NULL when absent */
    char *scope;             /* NULL when absent */
    char *error;             /* NULL when absent ("insufficient_scope", "invalid_token") */
    char *error_description; /* NULL when absent (RFC 6750; Docker prints it for error=) */
};

/* Parse one header value, e.g. `Bearer realm="https://auth.example/token",service="reg",
 * scope="repository:a/b:pull"`. Parameter names are case-insensitive, values quoted (with
 * backslash escapes) or tokens; unknown parameters are ignored, a repeated one is the last.
 * As distribution's parser, parameters are read up to the first one that is not well-formed
 * (so when the value holds several challenges, the first is taken). Errors: no scheme. */
int reg_challenge_parse(const char *header, struct reg_challenge *out, bt_err **err);
void reg_challenge_clear(struct reg_challenge *c);

/* ---- a token server's answer (distribution's token auth spec) ---- */

struct reg_token {
    char *token;         /* "access_token" when non-empty (distribution prefers it), else "token" */
    char *refresh_token; /* NULL when absent: the OAuth2 answer to an identity token */
    int64_t expires_in;  /* seconds; 60 when absent or below 60, as the spec says */
};

/* Errors: not JSON ("unable to decode token response: ..."), a field of the wrong type, or
 * neither token field a non-empty string ("authorization server did not include a token in the
 * response"). Like Go's decoder: member names match case-insensitively, only the first JSON
 * value is read. */
int reg_token_parse(const char *data, size_t len, struct reg_token *out, bt_err **err);
void reg_token_clear(struct reg_token *t);

/* ---- manifests and indexes ---- */

#define REG_MT_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define REG_MT_DOCKER_LIST      "application/vnd.docker.distribution.manifest.list.v2+json"
#define REG_MT_DOCKER_CONFIG    "application/vnd.docker.container.image.v1+json"
#define REG_MT_DOCKER_LAYER     "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define REG_MT_DOCKER_FOREIGN   "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define REG_MT_DOCKER_V1        "application/vnd.docker.distribution.manifest.v1+json"
#define REG_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define REG_MT_OCI_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define REG_MT_OCI_INDEX        "application/vnd.oci.image.index.v1+json"
#define REG_MT_OCI_CONFIG       "application/vnd.oci.image.config.v1+json"
#define REG_MT_OCI_LAYER        "application/vnd.oci.image.layer.v1.tar"
#define REG_MT_OCI_LAYER_GZIP   "application/vnd.oci.image.layer.v1.tar+gzip"
#define REG_MT_OCI_LAYER_ZSTD   "application/vnd.oci.image.layer.v1.tar+zstd"

/* Limits: distribution's client reads at most 4 MiB of a manifest; Berth's layer store stacks
 * at most 128 layers; an index (platforms and their attestations) is far below 1024 entries. */
#define REG_MANIFEST_MAX_SIZE (4 << 20)
#define REG_MAX_LAYERS        128
#define REG_MAX_INDEX         1024

enum reg_manifest_kind {
    REG_IMAGE, /* a Docker schema 2 or OCI image manifest: config + layers */
    REG_INDEX, /* a Docker manifest list or OCI image index: manifests[] */
};

struct reg_platform {
    char *os, *architecture, *variant; /* NULL when absent */
};

struct reg_descriptor {
    char *media_type;             /* NULL when absent (OCI allows it in some places) */
    char *digest;                 /* "sha256:<64 hex>", validated (other algorithms refused) */
    int64_t size;                 /* >= 0 */
    char **urls;                  /* NULL-terminated, never NULL (foreign layers) */
    struct reg_platform platform; /* index entries only */
};

struct reg_manifest {
    enum reg_manifest_kind kind;
    char *media_type; /* the document's mediaType, or the content type it came with, or (for a
                         document with neither) the OCI type its shape says */
    struct reg_descriptor config;  /* REG_IMAGE */
    struct reg_descriptor *layers; /* REG_IMAGE, bottom first */
    size_t nlayers;
    struct reg_descriptor *manifests; /* REG_INDEX */
    size_t nmanifests;
};

/* Parse a manifest as fetched. content_type is the response's Content-Type (may be NULL or
 * "application/json"; parameters after ';' are ignored); the document's own mediaType wins
 * when present, and a document without either is told by its shape (manifests[] or
 * config/layers[]). Checks: at most REG_MANIFEST_MAX_SIZE bytes, schemaVersion 2, digests
 * sha256 and well-formed, sizes present and non-negative, an image's config present, at most
 * REG_MAX_LAYERS layers and REG_MAX_INDEX index entries, and an index that is not also a
 * manifest or the reverse (CVE-2021-41190: distribution and the OCI spec refuse both shapes at
 * once). Member names are case-sensitive, as the OCI spec has them.
 * Errors in Docker's words: schema 1 manifests are refused with REG_SCHEMA1_REMOVED "... More
 * information at https://docs.docker.com/go/deprecated-image-specs/" (docker 28's message
 * without the reference: see reg_schema1_message()); an unknown media type with "unsupported
 * manifest media type and no default available: <type>"; a broken document with "failed to
 * parse manifest: <why>". */
int reg_manifest_parse(const char *data, size_t len, const char *content_type,
                       struct reg_manifest *out, bt_err **err);
void reg_manifest_clear(struct reg_manifest *m);

/* The start of docker 28's refusal of schema 1 (and of the error of reg_manifest_parse()). */
#define REG_SCHEMA1_REMOVED                                                                  \
    "Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been " \
    "removed."
/* docker 28's whole message for a schema 1 image, naming the reference when there is one
 * (ref: its full form, "docker.io/library/x:tag"; NULL: none). A pull that knows the
 * reference says this when reg_manifest_parse()'s error starts with REG_SCHEMA1_REMOVED. */
char *reg_schema1_message(const char *ref);

/* The entry of an index for os/architecture[/variant] (variant NULL: any, preferring none or
 * "v8" for arm64 as containerd's platform matcher does; for amd64 the variant is ignored, an
 * entry without one or with "v1" preferred), or NULL when none matches. Names are normalised
 * as containerd does (case, x86_64, aarch64, arm's default v7); among equals the first entry
 * wins. Entries without a platform, or with "unknown/unknown" (BuildKit's attestations), never
 * match a real platform. */
const struct reg_descriptor *reg_index_pick(const struct reg_manifest *m, const char *os,
                                            const char *architecture, const char *variant);

/* The Docker schema 2 image manifest of a push: config (REG_MT_DOCKER_CONFIG) and layers
 * (each with its own media type), as dockerd writes it (its member order, indented with three
 * spaces like Go's json.MarshalIndent(..., "", "   ")). Returns the bytes (len set). Like Go,
 * members that are empty (NULL, size 0, no urls) are left out, strings are escaped as
 * encoding/json does (<, >, & as \u003c, \u003e, \u0026) and there is no final newline. */
char *reg_manifest_build(const struct reg_descriptor *config, const struct reg_descriptor *layers,
                         size_t nlayers, size_t *len);

/* ---- a registry's error body ---- */

/* The message of an error body {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest
 * unknown","detail":...}]} as Docker prints it (errcode's Error()): "<code in lower case, _ as
 * space>: <message>", e.g. "manifest unknown: manifest unknown", "unauthorized: authentication
 * required"; several errors as errcode.Errors joins them ("errors:\n<e1>\n<e2>\n"). As
 * errcode decodes them, a code it does not know is "UNKNOWN", and an error without detail whose
 * message is empty or its code's standard one is the code alone ("manifest unknown"). NULL
 * when the body is not such a document, or has no errors (the caller then says what the HTTP
 * status means; distribution's old {"details": "..."} shape is the caller's too, since its code
 * depends on the status). *code (optional) receives the first error's code as sent
 * ("UNAUTHORIZED", "DENIED", "NAME_UNKNOWN", ...; "UNKNOWN" when absent). */
char *reg_errors_message(const char *data, size_t len, char **code);

/* ---- X-Registry-Auth (types.AuthConfig, base64url JSON) ---- */

struct reg_auth {
    char *username, *password;
    char *auth;           /* base64 "user:password", used when username/password are empty */
    char *identity_token; /* "identitytoken": an OAuth refresh token */
    char *registry_token; /* "registrytoken": a bearer token given as is */
    char *server_address; /* "serveraddress" */
};

/* Decode the header as dockerd does (registry.DecodeAuthConfig): base64url (padding optional,
 * standard base64 accepted too, line breaks skipped), then the first JSON value (member names
 * case-insensitive, as Go's decoder; JSON null is no credentials). An empty header is no
 * credentials (all NULL, 0); empty strings are NULL. A value "auth" (standard base64 of
 * "user:password") splits on its first ':' into username and password when both are empty;
 * an "auth" that does not decode to such a pair is kept as it is and fills nothing (dockerd
 * itself ignores the field). Errors: "invalid X-Registry-Auth header: ..." (dockerd's wording,
 * e.g. "... unexpected EOF", "... illegal base64 data at input byte 4"). */
int reg_auth_decode(const char *header, struct reg_auth *out, bt_err **err);
void reg_auth_clear(struct reg_auth *a);
