/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifests and indexes from a registry (guest/engine/registry/manifest.c, index-pick.c,
 * manifest-build.c). The first byte picks the Content-Type the document came with (see
 * content_types below); the rest is the document. Whatever the input, a parse fails with a
 * message or gives a manifest that keeps the promises of parse.h: a kind, valid sha256 digests,
 * sizes >= 0, urls never NULL, within the limits. An index entry picked for a platform is one
 * of the index's entries for that os. An image whose descriptors all have a size (Go leaves
 * size 0 out) survives reg_manifest_build() and a parse of what it wrote, unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guest/engine/registry/parse.h"
#include "shared/base/cleanup.h"
#include "shared/crypto/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
        NULL,
        "application/json",
        REG_MT_DOCKER_MANIFEST,
        REG_MT_DOCKER_LIST,
        REG_MT_OCI_MANIFEST,
        REG_MT_OCI_INDEX,
        REG_MT_DOCKER_V1_SIGNED,
        "text/plain; charset=utf-8",
};

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_descriptor(const struct reg_descriptor *d)
{
    if (!d->digest || bt_digest_validate(d->digest, NULL) < 0 || d->size < 0 || !d->urls)
        abort();
    if (d->media_type && !*d->media_type)
        abort();
}

static bool all_sized(const struct reg_manifest *m)
{
    if (!m->config.size)
        return false;
    for (size_t i = 0; i < m->nlayers; i++)
        if (!m->layers[i].size)
            return false;
    return true;
}

static void check_same_descriptor(const struct reg_descriptor *a, const struct reg_descriptor *b,
                                  const char *default_media_type)
{
    const char *mt = a->media_type ? a->media_type : default_media_type;
    if (!same(mt, b->media_type) || !same(a->digest, b->digest) || a->size != b->size)
        abort();
    size_t i = 0;
    for (; a->urls[i]; i++)
        if (!same(a->urls[i], b->urls[i]))
            abort();
    if (b->urls[i])
        abort();
}

static void round_trip(const struct reg_manifest *m)
{
    size_t len;
    bt_autofree char *out = reg_manifest_build(&m->config, m->layers, m->nlayers, &len);
    if (strlen(out) != len)
        abort();
    struct reg_manifest back;
    bt_autoerr bt_err *err = NULL;
    if (reg_manifest_parse(out, len, NULL, &back, &err) < 0)
        abort();
    if (back.kind != REG_IMAGE || strcmp(back.media_type, REG_MT_DOCKER_MANIFEST) != 0 ||
        back.nlayers != m->nlayers)
        abort();
    check_same_descriptor(&m->config, &back.config, REG_MT_DOCKER_CONFIG);
    for (size_t i = 0; i < m->nlayers; i++)
        check_same_descriptor(&m->layers[i], &back.layers[i], NULL);
    /* what was written once is written again the same */
    size_t len2;
    bt_autofree char *out2 = reg_manifest_build(&back.config, back.layers, back.nlayers, &len2);
    if (len2 != len || memcmp(out, out2, len) != 0)
        abort();
    reg_manifest_clear(&back);
}

static void check_pick(const struct reg_manifest *m, const char *os, const char *arch,
                       const char *variant)
{
    const struct reg_descriptor *d = reg_index_pick(m, os, arch, variant);
    if (!d)
        return;
    if (d < m->manifests || d >= m->manifests + m->nmanifests)
        abort();
    if (!d->platform.os || strcasecmp(d->platform.os, os) != 0 || !d->platform.architecture)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 256 * 1024)
        return 0;
    const char *ct = content_types[data[0] % (sizeof(content_types) / sizeof(content_types[0]))];
    struct reg_manifest m;
    bt_autoerr bt_err *err = NULL;
    if (reg_manifest_parse((const char *)data + 1, size - 1, ct, &m, &err) < 0) {
        if (!err || !*bt_err_msg(err) || m.media_type || m.layers || m.manifests)
            abort();
        return 0;
    }
    if (!m.media_type)
        abort();
    if (m.kind == REG_IMAGE) {
        if (m.manifests || m.nmanifests || m.nlayers > REG_MAX_LAYERS)
            abort();
        check_descriptor(&m.config);
        for (size_t i = 0; i < m.nlayers; i++)
            check_descriptor(&m.layers[i]);
        if (reg_index_pick(&m, "linux", "amd64", NULL))
            abort();
        if (all_sized(&m))
            round_trip(&m);
    } else if (m.kind == REG_INDEX) {
        if (m.layers || m.nlayers || m.nmanifests > REG_MAX_INDEX)
            abort();
        for (size_t i = 0; i < m.nmanifests; i++)
            check_descriptor(&m.manifests[i]);
        check_pick(&m, "linux", "amd64", NULL);
        check_pick(&m, "linux", "arm64", NULL);
        check_pick(&m, "linux", "arm64", "v8");
        check_pick(&m, "linux", "arm", NULL);
        check_pick(&m, "linux", "arm", "v6");
        check_pick(&m, "windows", "amd64", "v3");
        if (reg_index_pick(&m, "linux", "amd64", NULL) &&
            !reg_index_pick(&m, "linux", "x86_64", "v2"))
            abort(); /* amd64's variant does not matter */
    } else {
        abort();
    }
    reg_manifest_clear(&m);
    return 0;
}
