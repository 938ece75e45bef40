/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Registry credentials on the client, kept and sent as the docker CLI 28 keeps and sends them
 * (docs/internals/registry-client.md):
 *
 *   <config dir>/config.json   {"auths": {"<key>": {"auth": "<base64 of user:password>"}}, ...}
 *
 * The key of Docker Hub is "https://index.docker.io/v1/"; every other registry's is its
 * host[:port] as the user typed it to `login` (URLs reduced to their host). A file keeps every
 * member Berth does not know (contexts keep "currentContext" in the same file), and is written
 * as the docker CLI writes it: "auths" first, indented with tabs, Go's escaping.
 *
 * Berth reads its own file (~/.berth/config.json) first and the docker CLI's
 * ($DOCKER_CONFIG/config.json or ~/.docker/config.json) second, so that credentials of a
 * `docker login` serve berth as well; it writes only its own. Credential helpers ("credsStore",
 * "credHelpers") are not run: credentials kept by one are an error that says so.
 *
 * What the engine gets is the X-Registry-Auth header: the base64url of types.AuthConfig's JSON
 * as Go's json.Marshal writes it (members omitted when empty), "e30=" ({}) for no credentials.
 *
 * Ownership: strings in the structs are owned (auth_config_clear, auth_file_clear); functions
 * returning char * hand over a new string. No global state; not thread-safe per struct.
 */
#include <jansson.h>
#include <stdbool.h>

#include "shared/base/err.h"

/* registry.IndexServer: Docker Hub's key in "auths" and its server address for /auth */
#define AUTH_INDEX_SERVER "https://index.docker.io/v1/"

/* types.AuthConfig, without the "auth" member (a file's "auth" is decoded into username and
 * password on reading, and made from them on writing). NULL members are empty. */
struct auth_config {
    char *username;
    char *password;
    char *email;
    char *server_address;
    char *identity_token;
    char *registry_token;
};

void auth_config_clear(struct auth_config *a);

/* getAuthConfigKey: the key of a registry domain ("docker.io" and "index.docker.io" are
 * Docker Hub's AUTH_INDEX_SERVER, others are themselves). Returns domain or a constant. */
const char *auth_key(const char *domain);

/* credentials.ConvertToHostname: "https://reg:5000/v2/" gives "reg:5000", "reg/x" gives
 * "reg". A new string. */
char *auth_hostname(const char *server);

/* types.AuthConfig as Go's json.Marshal writes it: members in the struct's order (username,
 * password, email, serveraddress, identitytoken, registrytoken), empty ones left out, strings
 * escaped as Go escapes them (HTML characters as \u003c..., bad UTF-8 as \ufffd). A new
 * string. */
char *auth_config_json(const struct auth_config *a);

/* The X-Registry-Auth value (registry.EncodeAuthConfig): base64url, padded, of the JSON
 * above. a may be NULL (no credentials: "e30="). A new string. */
char *auth_header(const struct auth_config *a);

/* ---- one config.json ---- */

struct auth_file {
    char *path;
    json_t *doc; /* the whole document; an empty object when the file does not exist */
    bool exists;
};

/* Read path. A missing file is an empty one; a file that is not a JSON object is an error
 * ("<path>: invalid JSON: ..."). */
int auth_file_load(struct auth_file *f, const char *path, bt_err **err);
void auth_file_clear(struct auth_file *f);

/* fileStore.Get: the entry of key, or else the first entry whose key reduces to key
 * (auth_hostname, for files that stored "https://reg/v1/"). Its "auth" is decoded into
 * username and password ("illegal base64 data at input byte N", "Invalid auth configuration
 * file" as the docker CLI says); server_address is the entry's key. Returns 1 when found, 0
 * when not (out all NULL), -1 on error. */
int auth_file_get(const struct auth_file *f, const char *key, struct auth_config *out,
                  bt_err **err);

/* The credential helper the file names for key (credHelpers[key], else credsStore), or NULL.
 * Borrowed from the document. */
const char *auth_file_helper(const struct auth_file *f, const char *key);

/* fileStore.Store: auths[a->server_address] becomes {"auth": base64(user:password)} plus any
 * email, identitytoken, registrytoken; the file is written (mode 0600 when new, else kept;
 * through a symlink to its target) unless it held the same credentials already. Returns 1
 * when written, 0 when unchanged, -1 on error. */
int auth_file_store(struct auth_file *f, const struct auth_config *a, bt_err **err);

/* fileStore.Erase: drop auths[key] and write the file; 0 (nothing written) when there was no
 * such entry. Returns 1 when written. */
int auth_file_erase(struct auth_file *f, const char *key, bt_err **err);

/* The document as the docker CLI writes config.json: "auths" first, then the other members
 * in their order, indented with tabs, no final newline. A new string. */
char *auth_file_dump(const struct auth_file *f);

/* ---- where credentials are looked up ---- */

/* X-Registry-Config of a build (GetAllCredentials, then the client's json.Marshal of the map
 * in base64url): every entry of files[0..n), an earlier file's winning for a key, keys sorted.
 * Files that cannot be read or entries that do not decode are left out, as the docker CLI goes
 * on without them. "e30=" when there are none. A new string. */
char *auth_all_header(const char *const *files, size_t n);

/* The docker CLI's config.json: $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json
 * (the password database's home when HOME is unset). A new string. */
char *auth_docker_config_file(void);

/* The credentials for key from the first of files[0..n) that has an entry for it (NULL paths
 * are skipped); out is left empty when none has. *from (optional) gets the index of the file
 * they came from, or -1. An entry kept by a credential helper (the file names one for key and
 * its entry holds no credentials, or credHelpers names key) is a BT_E_UNSUPPORTED error
 * naming the helper and the file: Berth runs no helpers. */
int auth_resolve(const char *const *files, size_t n, const char *key, struct auth_config *out,
                 int *from, bt_err **err);
