/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Choosing an index entry for a platform, after containerd's platforms package (which dockerd's
 * pull uses): names are normalised first (lower case; x86_64 is amd64, aarch64 is arm64 and
 * its "v8" is the default, arm without a variant is arm/v7, armhf arm/v7, armel arm/v6, i386 is
 * 386, macos is darwin), then os and architecture must be equal. For the variant Berth's rule is
 * simpler than containerd's compatibility vectors: a variant asked for must be equal (for
 * amd64, whose levels v2..v4 are optimisations of one ABI, it is ignored); none asked for
 * takes the architecture's default variant first and any other after it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/registry/parse.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

struct plat {
    char *os, *arch, *variant;
};

static char *lower_dup(const char *s)
{
    char *d = bt_xstrdup(s ? s : "");
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* containerd's normalizeOS and normalizeArch */
static void normalise(const char *os, const char *arch, const char *variant, struct plat *p)
{
    p->os = lower_dup(os);
    if (strcmp(p->os, "macos") == 0) {
        free(p->os);
        p->os = bt_xstrdup("darwin");
    }
    bt_autofree char *a = lower_dup(arch), *v = lower_dup(variant);
    const char *na = a, *nv = v;
    if (strcmp(a, "i386") == 0) {
        na = "386";
        nv = "";
    } else if (strcmp(a, "x86_64") == 0 || strcmp(a, "x86-64") == 0 || strcmp(a, "amd64") == 0) {
        na = "amd64";
        if (strcmp(v, "v1") == 0)
            nv = "";
    } else if (strcmp(a, "aarch64") == 0 || strcmp(a, "arm64") == 0) {
        na = "arm64";
        if (strcmp(v, "8") == 0 || strcmp(v, "v8") == 0)
            nv = "";
    } else if (strcmp(a, "armhf") == 0 || strcmp(a, "armel") == 0) {
        nv = a[3] == 'h' ? "v7" : "v6";
        na = "arm";
    } else if (strcmp(a, "arm") == 0) {
        if (!*v || strcmp(v, "7") == 0)
            nv = "v7";
        else if (strcmp(v, "5") == 0)
            nv = "v5";
        else if (strcmp(v, "6") == 0)
            nv = "v6";
        else if (strcmp(v, "8") == 0)
            nv = "v8";
    }
    p->arch = bt_xstrdup(na);
    p->variant = bt_xstrdup(nv);
}

static void plat_clear(struct plat *p)
{
    free(p->os);
    free(p->arch);
    free(p->variant);
}

/* How well an entry fits: 0 best, 1 acceptable, -1 not at all. */
static int rank(const struct plat *want, bool any_variant, const char *default_variant,
                const struct reg_platform *have)
{
    if (!have->os || !have->architecture)
        return -1;
    struct plat h;
    normalise(have->os, have->architecture, have->variant, &h);
    int r = -1;
    if (strcmp(h.os, want->os) == 0 && strcmp(h.arch, want->arch) == 0) {
        if (strcmp(h.arch, "amd64") == 0 || any_variant)
            r = strcmp(h.variant, default_variant) == 0 ? 0 : 1;
        else
            r = strcmp(h.variant, want->variant) == 0 ? 0 : -1;
    }
    plat_clear(&h);
    return r;
}

const struct reg_descriptor *reg_index_pick(const struct reg_manifest *m, const char *os,
                                            const char *architecture, const char *variant)
{
    if (!m || m->kind != REG_INDEX || !os || !architecture)
        return NULL;
    struct plat want, dflt;
    normalise(os, architecture, variant, &want);
    normalise(os, architecture, NULL, &dflt);
    const struct reg_descriptor *best = NULL;
    int best_rank = 2;
    for (size_t i = 0; i < m->nmanifests && best_rank > 0; i++) {
        int r = rank(&want, variant == NULL, dflt.variant, &m->manifests[i].platform);
        if (r >= 0 && r < best_rank) {
            best = &m->manifests[i];
            best_rank = r;
        }
    }
    plat_clear(&want);
    plat_clear(&dflt);
    return best;
}
