/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifests and indexes as a registry serves them: the Docker Image Manifest V2 schema 2 and
 * its manifest list, the OCI image manifest and image index (image-spec v1.1, which also
 * carries artifacts: an artifactType, an empty config, a subject, all of which are just a
 * manifest here).
 *
 * Which document it is: the document's own mediaType, else the response's Content-Type, else
 * its shape. distribution's client goes by Content-Type and then checks the document's
 * mediaType against it; Berth trusts the document (its bytes are what the digest covers) and
 * refuses the one ambiguity that matters, a document that is both an index and a manifest
 * (CVE-2021-41190; distribution's validateIndex/validateManifest, image-spec's "manifests"
 * and "config"/"layers" rules).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guest/engine/registry/parse-internal.h"
#include "guest/engine/registry/parse.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/crypto/digest.h"
#include "shared/json/json.h"

#define PARSE_ERR "failed to parse manifest"

enum doc_type {
    DOC_UNKNOWN,
    DOC_SCHEMA1,
    DOC_DOCKER_MANIFEST,
    DOC_DOCKER_LIST,
    DOC_OCI_MANIFEST,
    DOC_OCI_INDEX,
};

static enum doc_type classify(const char *mt)
{
    static const struct {
        const char *mt;
        enum doc_type type;
    } types[] = {
            {REG_MT_DOCKER_MANIFEST, DOC_DOCKER_MANIFEST},
            {REG_MT_DOCKER_LIST, DOC_DOCKER_LIST},
            {REG_MT_OCI_MANIFEST, DOC_OCI_MANIFEST},
            {REG_MT_OCI_INDEX, DOC_OCI_INDEX},
            {REG_MT_DOCKER_V1, DOC_SCHEMA1},
            {REG_MT_DOCKER_V1_SIGNED, DOC_SCHEMA1},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(mt, types[i].mt) == 0)
            return types[i].type;
    }
    return DOC_UNKNOWN;
}

static bool is_index(enum doc_type t)
{
    return t == DOC_DOCKER_LIST || t == DOC_OCI_INDEX;
}

/* The media type of a Content-Type value, as Go's mime.ParseMediaType gives it: without
 * parameters, trimmed, lower case. "" when there is none. */
static char *content_media_type(const char *content_type)
{
    if (!content_type)
        return bt_xstrdup("");
    size_t n = strcspn(content_type, ";");
    while (n && isspace((unsigned char)content_type[n - 1]))
        n--;
    const char *s = content_type;
    while (n && isspace((unsigned char)*s))
        s++, n--;
    char *mt = bt_xstrndup(s, n);
    for (char *p = mt; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return mt;
}

char *reg_schema1_message(const char *ref)
{
    /* daemon/images' DeprecatedSchema1ImageError, word for word */
    return bt_xasprintf(REG_SCHEMA1_REMOVED "%s%s%s More information at "
                                            "https://docs.docker.com/go/deprecated-image-specs/",
                        ref ? " Suggest the author of " : "", ref ? ref : "",
                        ref ? " to upgrade the image to the OCI Format or Docker Image manifest "
                              "v2, schema 2."
                            : "");
}

static int schema1_error(bt_err **err)
{
    bt_autofree char *msg = reg_schema1_message(NULL);
    return bt_err_set(err, BT_E_INVALID, "%s", msg);
}

static int parse_error(bt_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int parse_error(bt_err **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bt_autofree char *why = bt_xvasprintf(fmt, ap);
    va_end(ap);
    return bt_err_set(err, BT_E_INVALID, PARSE_ERR ": %s", why);
}

/* An optional string member: 0 with *out NULL when absent, null or "". */
static int opt_str(const json_t *obj, const char *key, const char *where, char **out, bt_err **err)
{
    json_t *v = json_object_get(obj, key);
    if (reg_json_copy_str(v, out) < 0)
        return parse_error(err, "%s%s%s: expected a string, not %s", where, *where ? "." : "", key,
                           reg_json_go_kind(v));
    return 0;
}

static int parse_platform(const json_t *d, const char *where, struct reg_platform *p, bt_err **err)
{
    json_t *v = json_object_get(d, "platform");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return parse_error(err, "%s.platform: expected an object, not %s", where,
                           reg_json_go_kind(v));
    bt_autofree char *pwhere = bt_xasprintf("%s.platform", where);
    if (opt_str(v, "os", pwhere, &p->os, err) < 0 ||
        opt_str(v, "architecture", pwhere, &p->architecture, err) < 0 ||
        opt_str(v, "variant", pwhere, &p->variant, err) < 0)
        return -1;
    return 0;
}

static int parse_urls(const json_t *d, const char *where, char ***urls, bt_err **err)
{
    json_t *v = json_object_get(d, "urls");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return parse_error(err, "%s.urls: expected an array, not %s", where, reg_json_go_kind(v));
    size_t i;
    json_t *u;
    json_array_foreach (v, i, u) {
        if (!json_is_string(u))
            return parse_error(err, "%s.urls[%zu]: expected a string, not %s", where, i,
                               reg_json_go_kind(u));
        bt_strv_push(urls, json_string_value(u));
    }
    return 0;
}

static int parse_descriptor(const json_t *v, const char *where, bool index_entry,
                            struct reg_descriptor *d, bt_err **err)
{
    d->urls = bt_xzalloc(sizeof(char *));
    if (!json_is_object(v))
        return parse_error(err, "%s: expected an object, not %s", where, reg_json_go_kind(v));
    if (opt_str(v, "mediaType", where, &d->media_type, err) < 0 ||
        opt_str(v, "digest", where, &d->digest, err) < 0)
        return -1;
    if (!d->digest)
        return parse_error(err, "%s: no digest", where);
    bt_autoerr bt_err *derr = NULL;
    if (bt_digest_validate(d->digest, &derr) < 0)
        return parse_error(err, "%s.digest: %s", where, bt_err_msg(derr));
    json_t *size = json_object_get(v, "size");
    if (!size)
        return parse_error(err, "%s: no size", where);
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return parse_error(err, "%s.size: expected a non-negative integer", where);
    d->size = json_integer_value(size);
    if (parse_urls(v, where, &d->urls, err) < 0)
        return -1;
    return index_entry ? parse_platform(v, where, &d->platform, err) : 0;
}

/* The array member key ("layers", "manifests") into *out, at most max entries. */
static int parse_list(const json_t *doc, const char *key, size_t max, bool index_entries,
                      struct reg_descriptor **out, size_t *n, bt_err **err)
{
    json_t *arr = json_object_get(doc, key);
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return parse_error(err, "%s: expected an array, not %s", key, reg_json_go_kind(arr));
    size_t len = json_array_size(arr);
    if (len > max)
        return parse_error(err, "%zu %s, more than the %zu allowed", len, key, max);
    if (!len)
        return 0;
    *out = bt_xzalloc(len * sizeof(**out));
    for (size_t i = 0; i < len; i++) {
        char where[64];
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        (*n)++;
        if (parse_descriptor(json_array_get(arr, i), where, index_entries, &(*out)[i], err) < 0)
            return -1;
    }
    return 0;
}

static bool has_member(const json_t *doc, const char *key)
{
    json_t *v = json_object_get(doc, key);
    return v && !json_is_null(v);
}

/* The document's type, or -1 with the error Docker gives for it. */
static int doc_type(const json_t *doc, const char *ct, const char **mt, bt_err **err)
{
    json_t *mtv = json_object_get(doc, "mediaType");
    if (mtv && !json_is_string(mtv) && !json_is_null(mtv))
        return parse_error(err, "mediaType: expected a string, not %s", reg_json_go_kind(mtv));
    json_t *sv = json_object_get(doc, "schemaVersion");
    if (json_is_integer(sv) && json_integer_value(sv) == 1)
        return schema1_error(err);
    if (json_is_string(mtv) && json_string_length(mtv))
        *mt = json_string_value(mtv);
    else if (*ct && strcmp(ct, "application/json") != 0)
        *mt = ct;
    else if (has_member(doc, "manifests"))
        *mt = REG_MT_OCI_INDEX;
    else if (has_member(doc, "config") || has_member(doc, "layers"))
        *mt = REG_MT_OCI_MANIFEST;
    else
        *mt = ct;
    enum doc_type t = classify(*mt);
    if (t == DOC_SCHEMA1)
        return schema1_error(err);
    if (t == DOC_UNKNOWN)
        return bt_err_set(err, BT_E_INVALID,
                          "unsupported manifest media type and no default available: %s", *mt);
    if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
        if (!sv)
            return parse_error(err, "no schemaVersion");
        bt_autofree char *text = bt_json_dumps(sv);
        return parse_error(err, "unsupported schemaVersion %.32s", text);
    }
    if (is_index(t) && (has_member(doc, "config") || has_member(doc, "layers")))
        return parse_error(err, "index: expected index but found manifest");
    if (!is_index(t) && has_member(doc, "manifests"))
        return parse_error(err, "manifest: expected manifest but found index");
    return (int)t;
}

static int parse_doc(const json_t *doc, const char *ct, struct reg_manifest *out, bt_err **err)
{
    const char *mt = NULL;
    int t = doc_type(doc, ct, &mt, err);
    if (t < 0)
        return -1;
    out->media_type = bt_xstrdup(mt);
    if (is_index((enum doc_type)t)) {
        out->kind = REG_INDEX;
        return parse_list(doc, "manifests", REG_MAX_INDEX, true, &out->manifests, &out->nmanifests,
                          err);
    }
    out->kind = REG_IMAGE;
    json_t *config = json_object_get(doc, "config");
    if (!config || json_is_null(config))
        return parse_error(err, "no config");
    if (parse_descriptor(config, "config", false, &out->config, err) < 0)
        return -1;
    return parse_list(doc, "layers", REG_MAX_LAYERS, false, &out->layers, &out->nlayers, err);
}

int reg_manifest_parse(const char *data, size_t len, const char *content_type,
                       struct reg_manifest *out, bt_err **err)
{
    memset(out, 0, sizeof(*out));
    if (len > REG_MANIFEST_MAX_SIZE)
        return parse_error(err, "%zu bytes, more than the %d a manifest may have", len,
                           REG_MANIFEST_MAX_SIZE);
    bt_autofree char *ct = content_media_type(content_type);
    bt_autofree char *why = NULL;
    bt_autoptr(json_t) doc = reg_json_decode(data, len, true, &why);
    if (!doc) {
        /* a signed schema 1 manifest is refused for what it is, even when it is broken */
        if (classify(ct) == DOC_SCHEMA1)
            return schema1_error(err);
        return parse_error(err, "%s", why);
    }
    if (!json_is_object(doc))
        return parse_error(err, "expected a JSON object, not %s", reg_json_go_kind(doc));
    if (parse_doc(doc, ct, out, err) < 0) {
        reg_manifest_clear(out);
        return -1;
    }
    return 0;
}

static void descriptor_clear(struct reg_descriptor *d)
{
    free(d->media_type);
    free(d->digest);
    bt_strv_free(d->urls);
    free(d->platform.os);
    free(d->platform.architecture);
    free(d->platform.variant);
    memset(d, 0, sizeof(*d));
}

void reg_manifest_clear(struct reg_manifest *m)
{
    if (!m)
        return;
    free(m->media_type);
    descriptor_clear(&m->config);
    for (size_t i = 0; i < m->nlayers; i++)
        descriptor_clear(&m->layers[i]);
    free(m->layers);
    for (size_t i = 0; i < m->nmanifests; i++)
        descriptor_clear(&m->manifests[i]);
    free(m->manifests);
    memset(m, 0, sizeof(*m));
}
