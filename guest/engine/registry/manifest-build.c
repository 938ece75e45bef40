/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image manifest of a push, byte for byte as dockerd's pusher makes it: distribution's
 * schema2 builder fills a schema2.Manifest (manifest.Versioned{SchemaVersion, MediaType},
 * Config, Layers) and DeserializedManifest.MarshalJSON writes json.MarshalIndent(m, "", "   ").
 * Descriptors are distribution.Descriptor, whose fields are, in order, mediaType, size, digest,
 * urls, annotations, platform, all omitempty; Layers has no omitempty, so no layers is "[]".
 * The digest a registry (and later `docker pull`) names the image by is that of these bytes,
 * so the spacing, the order and Go's string escaping all matter.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "guest/engine/registry/parse.h"
#include "shared/base/strbuf.h"
#include "shared/base/utf8.h"

/* Go's encoding/json string, HTML-safe as json.Marshal writes it by default. */
static void go_json_string(struct bt_strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    bt_strbuf_append_c(sb, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            const char *esc = c == '"'    ? "\\\""
                              : c == '\\' ? "\\\\"
                              : c == '\b' ? "\\b"
                              : c == '\f' ? "\\f"
                              : c == '\n' ? "\\n"
                              : c == '\r' ? "\\r"
                              : c == '\t' ? "\\t"
                                          : NULL;
            if (esc) {
                bt_strbuf_append(sb, esc);
            } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                bt_strbuf_appendf(sb, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            } else {
                bt_strbuf_append_c(sb, (char)c);
            }
            continue;
        }
        uint32_t cp;
        size_t len = bt_utf8_decode(p + i, n - i, &cp);
        if (!len) {
            bt_strbuf_append(sb, "\\ufffd"); /* Go replaces each invalid byte */
            i++;
        } else if (cp == 0x2028 || cp == 0x2029) {
            bt_strbuf_appendf(sb, "\\u%04x", (unsigned)cp);
            i += len;
        } else {
            bt_strbuf_append_n(sb, p + i, len);
            i += len;
        }
    }
    bt_strbuf_append_c(sb, '"');
}

static void indent(struct bt_strbuf *sb, int level)
{
    bt_strbuf_append_c(sb, '\n');
    for (int i = 0; i < level; i++)
        bt_strbuf_append(sb, "   ");
}

/* A member "name": with its separator from the one before (first: none). */
static void member(struct bt_strbuf *sb, bool *first, int level, const char *name)
{
    if (!*first)
        bt_strbuf_append_c(sb, ',');
    *first = false;
    indent(sb, level);
    go_json_string(sb, name);
    bt_strbuf_append(sb, ": ");
}

static void descriptor(struct bt_strbuf *sb, const struct reg_descriptor *d,
                       const char *default_media_type, int level)
{
    const char *mt = d->media_type ? d->media_type : default_media_type;
    bool first = true;
    bt_strbuf_append_c(sb, '{');
    if (mt && *mt) {
        member(sb, &first, level + 1, "mediaType");
        go_json_string(sb, mt);
    }
    if (d->size) {
        member(sb, &first, level + 1, "size");
        bt_strbuf_appendf(sb, "%lld", (long long)d->size);
    }
    if (d->digest && *d->digest) {
        member(sb, &first, level + 1, "digest");
        go_json_string(sb, d->digest);
    }
    if (d->urls && d->urls[0]) {
        member(sb, &first, level + 1, "urls");
        bt_strbuf_append_c(sb, '[');
        for (size_t i = 0; d->urls[i]; i++) {
            if (i)
                bt_strbuf_append_c(sb, ',');
            indent(sb, level + 2);
            go_json_string(sb, d->urls[i]);
        }
        indent(sb, level + 1);
        bt_strbuf_append_c(sb, ']');
    }
    /* Go writes an empty object as "{}", without a line break inside */
    if (!first)
        indent(sb, level);
    bt_strbuf_append_c(sb, '}');
}

char *reg_manifest_build(const struct reg_descriptor *config, const struct reg_descriptor *layers,
                         size_t nlayers, size_t *len)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "{\n   \"schemaVersion\": 2,\n   \"mediaType\": ");
    go_json_string(&sb, REG_MT_DOCKER_MANIFEST);
    bt_strbuf_append(&sb, ",\n   \"config\": ");
    descriptor(&sb, config, REG_MT_DOCKER_CONFIG, 1);
    bt_strbuf_append(&sb, ",\n   \"layers\": [");
    for (size_t i = 0; i < nlayers; i++) {
        if (i)
            bt_strbuf_append_c(&sb, ',');
        indent(&sb, 2);
        descriptor(&sb, &layers[i], NULL, 2);
    }
    if (nlayers)
        indent(&sb, 1);
    bt_strbuf_append(&sb, "]\n}");
    *len = sb.len;
    return bt_strbuf_steal(&sb);
}
