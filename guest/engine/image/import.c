/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker import, and the JSON documents Berth writes as dockerd's Go code would: the image ID
 * is the digest of the config's bytes, so the bytes follow encoding/json (image.Image sorts
 * its top-level keys; container.Config keeps its struct order; maps are sorted; <, > and & are
 * escaped).
 */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/image/changes.h"
#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

char *image_json_go(const json_t *v)
{
    bt_autofree char *text = bt_json_dumps(v);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    for (const char *p = text; *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&') {
            bt_strbuf_appendf(&out, "\\u%04x", (unsigned)*p);
        } else if (strncmp(p, "\xe2\x80\xa8", 3) == 0 || strncmp(p, "\xe2\x80\xa9", 3) == 0) {
            bt_strbuf_appendf(&out, "\\u202%c", p[2] == '\xa8' ? '8' : '9');
            p += 2;
        } else {
            bt_strbuf_append_c(&out, *p);
        }
    }
    return bt_strbuf_steal(&out);
}

/* A copy of obj with its keys sorted, as Go marshals a map; NULL stays NULL. */
json_t *image_json_sorted(const json_t *obj)
{
    if (!json_is_object(obj))
        return NULL;
    size_t n = json_object_size(obj);
    bt_autofree const char **keys = bt_xzalloc((n + 1) * sizeof(*keys));
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)obj, k, v)
        keys[i++] = k;
    qsort(keys, n, sizeof(*keys), bt_strp_cmp);
    json_t *out = json_object();
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    return out;
}

static void set_or_null(json_t *out, const json_t *in, const char *key, bool is_map)
{
    json_t *v = json_object_get(in, key);
    if (is_map && json_is_object(v))
        json_object_set_new(out, key, image_json_sorted(v));
    else if (!is_map && json_is_array(v))
        json_object_set(out, key, v);
    else
        json_object_set_new(out, key, json_null());
}

static void set_if(json_t *out, const json_t *in, const char *key)
{
    json_t *v = json_object_get(in, key);
    bool empty = !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
                 json_is_false(v) || (json_is_object(v) && !json_object_size(v)) ||
                 (json_is_array(v) && !json_array_size(v));
    if (empty)
        return;
    json_object_set_new(out, key, json_is_object(v) ? image_json_sorted(v) : json_incref(v));
}

json_t *image_container_config_go(const json_t *c)
{
    json_t *o = json_object();
    static const char *const strings1[] = {"Hostname", "Domainname", "User"};
    for (size_t i = 0; i < 3; i++)
        bt_json_set_str(o, strings1[i], bt_json_get_str(c, strings1[i], ""));
    bt_json_set_bool(o, "AttachStdin", bt_json_get_bool(c, "AttachStdin", false));
    bt_json_set_bool(o, "AttachStdout", bt_json_get_bool(c, "AttachStdout", false));
    bt_json_set_bool(o, "AttachStderr", bt_json_get_bool(c, "AttachStderr", false));
    set_if(o, c, "ExposedPorts");
    bt_json_set_bool(o, "Tty", bt_json_get_bool(c, "Tty", false));
    bt_json_set_bool(o, "OpenStdin", bt_json_get_bool(c, "OpenStdin", false));
    bt_json_set_bool(o, "StdinOnce", bt_json_get_bool(c, "StdinOnce", false));
    set_or_null(o, c, "Env", false);
    set_or_null(o, c, "Cmd", false);
    json_t *hc = json_object_get(c, "Healthcheck");
    if (json_is_object(hc))
        json_object_set(o, "Healthcheck", hc);
    set_if(o, c, "ArgsEscaped");
    bt_json_set_str(o, "Image", bt_json_get_str(c, "Image", ""));
    set_or_null(o, c, "Volumes", true);
    bt_json_set_str(o, "WorkingDir", bt_json_get_str(c, "WorkingDir", ""));
    set_or_null(o, c, "Entrypoint", false);
    set_if(o, c, "NetworkDisabled");
    set_if(o, c, "MacAddress");
    set_or_null(o, c, "OnBuild", false);
    set_or_null(o, c, "Labels", true);
    set_if(o, c, "StopSignal");
    set_if(o, c, "StopTimeout");
    set_if(o, c, "Shell");
    return o;
}

struct platform {
    char *os;
    char *arch;
    char *variant;
};

static void platform_clear(struct platform *p)
{
    free(p->os);
    free(p->arch);
    free(p->variant);
}

/* containerd's platforms.Parse, for the platforms an import can name */
static int parse_platform(const char *p, struct platform *out, bt_err **err)
{
#if defined(__aarch64__)
    const char *host_arch = "arm64";
#else
    const char *host_arch = "amd64";
#endif
    bt_autostrv char **parts = bt_xzalloc(sizeof(char *));
    for (const char *c = p ? p : ""; *c;) {
        size_t n = strcspn(c, "/");
        bt_autofree char *part = bt_xstrndup(c, n);
        for (char *x = part; *x; x++)
            *x = (char)(*x >= 'A' && *x <= 'Z' ? *x - 'A' + 'a' : *x);
        bt_strv_push(&parts, part);
        c += n + (c[n] ? 1 : 0);
    }
    size_t n = bt_strv_len(parts);
    static const char *const arches[][2] = {
            {"amd64", "amd64"},     {"x86_64", "amd64"},  {"x86-64", "amd64"},
            {"arm64", "arm64"},     {"aarch64", "arm64"}, {"arm", "arm"},
            {"armhf", "arm"},       {"386", "386"},       {"i386", "386"},
            {"ppc64le", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"}};
    const char *a = n >= 2 ? parts[1] : n == 1 ? parts[0] : host_arch;
    const char *o = n >= 2 || n == 0 ? (n ? parts[0] : "linux") : "linux";
    const char *norm = NULL;
    for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]) && !norm; i++)
        if (strcmp(a, arches[i][0]) == 0)
            norm = arches[i][1];
    if (n == 1 && !norm) {
        o = parts[0]; /* a lone OS name */
        norm = host_arch;
    }
    if (n > 3 || (n >= 2 && !norm))
        return bt_err_set(err, BT_E_INVALID, "\"%s\": unknown operating system or architecture", p);
    if (strcmp(o, "linux") != 0)
        return bt_err_set(err, BT_E_INVALID,
                          "image operating system \"%s\" cannot be used on this platform", o);
    out->os = bt_xstrdup(o);
    out->arch = bt_xstrdup(norm);
    out->variant = n == 3 ? bt_xstrdup(parts[2]) : NULL;
    return 0;
}

/* The config dockerd's ImportImage writes. */
static char *import_config(const json_t *cfg, const struct platform *pf, const char *message,
                           const char *diff_id)
{
    bt_autofree char *now = image_time_now_rfc3339();
    /* dockerd's API fills an empty message in with "Imported from <source>" */
    const char *msg = message && *message ? message : "Imported from -";
    bt_autoptr(json_t) doc = json_object();
    bt_json_set_str(doc, "architecture", pf->arch);
    if (*msg)
        bt_json_set_str(doc, "comment", msg);
    json_object_set_new(doc, "config", image_container_config_go(cfg));
    json_object_set_new(doc, "container_config", image_container_config_go(NULL));
    bt_json_set_str(doc, "created", now);
    json_t *h = json_object();
    bt_json_set_str(h, "created", now);
    if (*msg)
        bt_json_set_str(h, "comment", msg);
    json_object_set_new(doc, "history", json_pack("[o]", h));
    bt_json_set_str(doc, "os", pf->os);
    json_object_set_new(doc, "rootfs",
                        json_pack("{s:s,s:[s]}", "type", "layers", "diff_ids", diff_id));
    if (pf->variant)
        bt_json_set_str(doc, "variant", pf->variant);
    return image_json_go(doc);
}

/* With the staged layer in hand: the layer, the image and its tag go in under the lock. */
static char *commit(struct image_store *s, struct staged_layer *st, const char *config,
                    const struct bt_ref *ref, struct removed *r, bt_err **err)
{
    char *id = NULL;
    store_lock(s);
    struct layer *l = layer_commit_locked(s, "", st, err);
    struct image *img = l ? store_create_image_locked(s, config, strlen(config), err) : NULL;
    if (img && ref &&
        (refs_add_locked(s, ref, img->id, NULL, err) < 0 ||
         refs_touch_image_locked(s, img, err) < 0))
        img = NULL;
    if (img)
        id = bt_xstrdup(img->id);
    if (l) /* the image holds the layer now; this drops the commit's own hold */
        layer_release_locked(s, l->chain, r);
    store_unlock(s);
    return id;
}

char *image_import(struct image_store *s, int fd, const struct image_import_opts *opts,
                   bt_err **err)
{
    static const struct image_import_opts none = {0};
    opts = opts ? opts : &none;
    bt_autoptr(bt_ref) ref = NULL;
    struct platform pf = {0};
    if (refs_repo_tag(opts->repo, opts->tag, &ref, err) < 0 ||
        parse_platform(opts->platform, &pf, err) < 0)
        return NULL;
    bt_autoptr(json_t) base = json_object();
    bt_autoptr(json_t) cfg = image_changes_apply(base, opts->changes, err);
    char *dir = cfg ? store_mkdtemp(s, "import", err) : NULL;
    if (!dir) {
        platform_clear(&pf);
        return NULL;
    }
    bt_autofree char *path = bt_xasprintf("%s/layer", dir);
    struct staged_layer st = {0};
    struct removed r = {0};
    char *id = NULL;
    if (blob_copy_fd(fd, path, NULL, NULL, err) == 0 && layer_stage(s, path, NULL, &st, err) == 0) {
        bt_autofree char *config = import_config(cfg, &pf, opts->message, st.diff_id);
        id = commit(s, &st, config, ref, &r, err);
    }
    platform_clear(&pf);
    staged_layer_clear(&st);
    bt_strv_push(&r.doomed, dir);
    free(dir);
    store_reap(bt_steal_ptr(&r.doomed));
    removed_clear(&r);
    return id;
}
