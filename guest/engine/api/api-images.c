/* SPDX-License-Identifier: Apache-2.0 */
/* /images/... : list, inspect, history, tag, delete, prune, import, save, load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/container/container.h"
#include "guest/engine/events/events.h"
#include "guest/engine/image/image.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

#define IMAGES(call) (api_ctx(call)->images)

/* An image event as dockerd's: the image's ID (or the name it was resolved by), and a name
 * (NULL: the ID, as dockerd names the images it loads) */
static void emit_image(struct image_store *s, const char *ref, const char *name, const char *action)
{
    bt_autofree char *id = image_resolve(s, ref, NULL);
    const char *actor = id ? id : ref;
    /* the image's labels too, as dockerd's LogImageEvent */
    json_t *attrs = json_object();
    struct image_inspect *img = id ? image_inspect(s, id, NULL) : NULL;
    const char *k;
    json_t *v;
    json_object_foreach (
            bt_json_get_obj(bt_json_get_obj(img ? img->config : NULL, "config"), "Labels"), k, v) {
        if (json_is_string(v))
            json_object_set(attrs, k, v);
    }
    if (img)
        image_inspect_free(img);
    bt_json_set_str(attrs, "name", name ? name : actor);
    events_emit_json("image", action, actor, attrs);
}

/* The containers' images, for the in-use checks of rmi and prune and the list's counts. */
struct users {
    struct ctr_image_use *uses;
    struct image_user *users;
    size_t n;
};

static void users_load(struct api_call *call, struct users *u)
{
    u->uses = ctr_image_uses(api_ctx(call)->containers, &u->n);
    u->users = bt_xzalloc((u->n + 1) * sizeof(*u->users));
    for (size_t i = 0; i < u->n; i++)
        u->users[i] = (struct image_user){.container_id = u->uses[i].container_id,
                                          .image_id = u->uses[i].image_id,
                                          .running = u->uses[i].running};
}

static void users_free(struct users *u)
{
    ctr_image_uses_free(u->uses, u->n);
    free(u->users);
}

/* Docker's filters object -> the store's list of (key, value) pairs; strings borrowed from f */
static struct image_filter *filter_pairs(const json_t *f, size_t *n)
{
    struct image_filter *p = NULL;
    *n = 0;
    const char *key;
    json_t *vals;
    json_object_foreach ((json_t *)f, key, vals) {
        size_t i;
        json_t *v;
        json_array_foreach (vals, i, v) {
            p = bt_xreallocarray(p, *n + 1, sizeof(*p));
            p[(*n)++] = (struct image_filter){.key = key, .value = json_string_value(v)};
        }
    }
    return p;
}

static json_t *strv_or(char *const *v, const char *fallback)
{
    if (v && v[0])
        return bt_json_strv(v);
    return fallback ? json_pack("[s]", fallback) : json_array();
}

static json_t *summary_json(const struct image_summary *s);

void api_image_list(struct api_call *call)
{
    static const char *const keys[] = {"dangling",  "label", "before", "since",
                                       "reference", "until", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"), keys, &err);
    if (!f) {
        api_reply_error(call, err);
        return;
    }
    size_t nf;
    bt_autofree struct image_filter *pairs = filter_pairs(f, &nf);
    struct users u;
    users_load(call, &u);
    struct image_list_opts opts = {.filters = pairs,
                                   .nfilters = nf,
                                   .all = api_query_bool(call, "all", false),
                                   .users = u.users,
                                   .nusers = u.n};
    struct image_list *l = image_list(IMAGES(call), &opts, &err);
    users_free(&u);
    if (!l) {
        api_reply_error(call, err);
        return;
    }
    json_t *out = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(out, summary_json(&l->items[i]));
    image_list_free(l);
    api_reply_json(call, 200, out);
}

json_t *api_image_list_df(struct api_call *call, bt_err **err)
{
    struct users u;
    users_load(call, &u);
    struct image_list_opts opts = {.users = u.users, .nusers = u.n, .shared_size = true};
    struct image_list *l = image_list(IMAGES(call), &opts, err);
    users_free(&u);
    if (!l)
        return NULL;
    json_t *out = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(out, summary_json(&l->items[i]));
    image_list_free(l);
    return out;
}

static json_t *summary_json(const struct image_summary *s)
{
    bool none = !s->repo_tags[0] && !s->repo_digests[0];
    json_t *item = json_object();
    bt_json_set_int(item, "Containers", s->containers);
    bt_json_set_int(item, "Created", s->created);
    bt_json_set_str(item, "Id", s->id);
    json_object_set_new(item, "Labels", s->labels ? json_deep_copy(s->labels) : json_null());
    bt_json_set_str(item, "ParentId", s->parent_id);
    /* API 1.41 shows an image without names as <none> */
    json_object_set_new(item, "RepoDigests",
                        strv_or(s->repo_digests, none ? "<none>@<none>" : NULL));
    json_object_set_new(item, "RepoTags", strv_or(s->repo_tags, none ? "<none>:<none>" : NULL));
    bt_json_set_int(item, "SharedSize", s->shared_size);
    bt_json_set_int(item, "Size", s->size);
    bt_json_set_int(item, "VirtualSize", s->size);
    return item;
}

static const char *cfg_str(const json_t *cfg, const char *key)
{
    return bt_json_get_str(cfg, key, "");
}

void api_image_inspect(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    struct image_inspect *ii = image_inspect(IMAGES(call), api_param(call, 0), &err);
    if (!ii) {
        api_reply_error(call, err);
        return;
    }
    const json_t *c = ii->config;
    json_t *doc = json_object();
    bt_json_set_str(doc, "Id", ii->id);
    json_object_set_new(doc, "RepoTags", bt_json_strv(ii->repo_tags));
    json_object_set_new(doc, "RepoDigests", bt_json_strv(ii->repo_digests));
    bt_json_set_str(doc, "Parent", ii->parent_id);
    /* dockerd: the config's comment, or else that of the last history entry */
    const char *comment = cfg_str(c, "comment");
    json_t *hist = bt_json_get_arr(c, "history");
    if (!*comment && json_array_size(hist))
        comment = bt_json_get_str(json_array_get(hist, json_array_size(hist) - 1), "comment", "");
    bt_json_set_str(doc, "Comment", comment);
    bt_json_set_str(doc, "Created", cfg_str(c, "created"));
    bt_json_set_str(doc, "Container", cfg_str(c, "container"));
    json_t *cc = bt_json_get_obj(c, "container_config");
    json_object_set_new(doc, "ContainerConfig", cc ? json_deep_copy(cc) : json_object());
    bt_json_set_str(doc, "DockerVersion", cfg_str(c, "docker_version"));
    bt_json_set_str(doc, "Author", cfg_str(c, "author"));
    json_t *conf = bt_json_get_obj(c, "config");
    json_object_set_new(doc, "Config", conf ? json_deep_copy(conf) : json_null());
    bt_json_set_str(doc, "Architecture", cfg_str(c, "architecture"));
    const char *variant = cfg_str(c, "variant");
    if (*variant)
        bt_json_set_str(doc, "Variant", variant);
    bt_json_set_str(doc, "Os", cfg_str(c, "os"));
    bt_json_set_int(doc, "Size", ii->size);
    bt_json_set_int(doc, "VirtualSize", ii->size);
    json_t *data = json_object();
    if (ii->lower_dir)
        bt_json_set_str(data, "LowerDir", ii->lower_dir);
    if (ii->merged_dir)
        bt_json_set_str(data, "MergedDir", ii->merged_dir);
    if (ii->upper_dir)
        bt_json_set_str(data, "UpperDir", ii->upper_dir);
    if (ii->work_dir)
        bt_json_set_str(data, "WorkDir", ii->work_dir);
    json_object_set_new(doc, "GraphDriver",
                        json_pack("{s:o, s:s}", "Data", data, "Name", "overlay2"));
    json_object_set_new(
            doc, "RootFS",
            json_pack("{s:s, s:o}", "Type", "layers", "Layers", bt_json_strv(ii->diff_ids)));
    json_object_set_new(doc, "Metadata",
                        json_pack("{s:s}", "LastTagTime",
                                  ii->last_tag_time ? ii->last_tag_time : "0001-01-01T00:00:00Z"));
    image_inspect_free(ii);
    api_reply_json(call, 200, doc);
}

void api_image_history(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    struct image_history *h = image_history(IMAGES(call), api_param(call, 0), &err);
    if (!h) {
        api_reply_error(call, err);
        return;
    }
    json_t *out = json_array();
    for (size_t i = 0; i < h->n; i++) {
        struct image_history_item *it = &h->items[i];
        json_array_append_new(out,
                              json_pack("{s:s, s:I, s:s, s:o, s:I, s:s}", "Id", it->id, "Created",
                                        (json_int_t)it->created, "CreatedBy", it->created_by,
                                        "Tags", it->tags[0] ? bt_json_strv(it->tags) : json_null(),
                                        "Size", (json_int_t)it->size, "Comment", it->comment));
    }
    image_history_free(h);
    api_reply_json(call, 200, out);
}

void api_image_tag(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    if (image_tag(IMAGES(call), api_param(call, 0), api_query(call, "repo"), api_query(call, "tag"),
                  &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    const char *tag = api_query(call, "tag");
    bt_autofree char *full =
            bt_xasprintf("%s:%s", api_query(call, "repo"), tag && *tag ? tag : "latest");
    bt_autoptr(bt_ref) ref = bt_ref_parse(full, NULL);
    bt_autofree char *shown = ref ? bt_ref_familiar_string(ref) : bt_xstrdup(full);
    emit_image(IMAGES(call), api_param(call, 0), shown, "tag");
    api_reply_status(call, 201);
}

static json_t *delete_items(const struct image_delete_result *r)
{
    json_t *out = json_array();
    for (size_t i = 0; i < r->n; i++)
        json_array_append_new(
                out, json_pack("{s:s}", r->items[i].kind == IMAGE_UNTAGGED ? "Untagged" : "Deleted",
                               r->items[i].what));
    return out;
}

void api_image_delete(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    struct users u;
    users_load(call, &u);
    struct image_delete_opts opts = {.force = api_query_bool(call, "force", false),
                                     .noprune = api_query_bool(call, "noprune", false),
                                     .users = u.users,
                                     .nusers = u.n};
    bt_autofree char *id = image_resolve(IMAGES(call), api_param(call, 0), NULL);
    struct image_delete_result *r = image_delete(IMAGES(call), api_param(call, 0), &opts, &err);
    users_free(&u);
    if (!r) {
        api_reply_error(call, err);
        return;
    }
    for (size_t i = 0; id && i < r->n; i++) {
        const char *what = r->items[i].what;
        if (r->items[i].kind == IMAGE_UNTAGGED)
            events_emit("image", "untag", id, (const char *const[]){"name", what, NULL});
        else if (strcmp(what, id) == 0)
            events_emit("image", "delete", id, (const char *const[]){"name", id, NULL});
    }
    json_t *out = delete_items(r);
    image_delete_result_free(r);
    api_reply_json(call, 200, out);
}

void api_image_prune(struct api_call *call)
{
    static const char *const keys[] = {"dangling", "label", "label!", "until", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"), keys, &err);
    if (!f) {
        api_reply_error(call, err);
        return;
    }
    size_t nf;
    bt_autofree struct image_filter *pairs = filter_pairs(f, &nf);
    struct users u;
    users_load(call, &u);
    struct image_prune_opts opts = {
            .filters = pairs, .nfilters = nf, .users = u.users, .nusers = u.n};
    struct image_delete_result *r = image_prune(IMAGES(call), &opts, &err);
    users_free(&u);
    if (!r) {
        api_reply_error(call, err);
        return;
    }
    char bytes[32];
    snprintf(bytes, sizeof(bytes), "%lld", (long long)r->space_reclaimed);
    events_emit("image", "prune", "", (const char *const[]){"reclaimed", bytes, NULL});
    json_t *items = delete_items(r);
    json_t *out = json_pack("{s:o, s:I}", "ImagesDeleted",
                            json_array_size(items) ? items : (json_decref(items), json_null()),
                            "SpaceReclaimed", (json_int_t)r->space_reclaimed);
    image_delete_result_free(r);
    api_reply_json(call, 200, out);
}

/* ---- import (and the pull it is not) ---- */

/* A JSON-lines body, each line as the docker CLI's jsonmessage reads it. */
static void reply_lines(struct api_call *call, int status, const struct bt_strbuf *lines)
{
    api_reply_text(call, status, "application/json", bt_strbuf_str(lines));
}

void api_image_create(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    const char *from_image = api_query(call, "fromImage");
    const char *from_src = api_query(call, "fromSrc");
    if (from_image && *from_image) {
        api_image_pull(call, from_image);
        return;
    }
    if (!from_src || strcmp(from_src, "-") != 0) {
        bt_err_set(&err, BT_E_INVALID,
                   from_src ? "importing from a URL is not supported: %s"
                            : "fromImage or fromSrc is required%s",
                   from_src ? from_src : "");
        api_reply_error(call, err);
        return;
    }
    bt_autofree const char **changes = api_query_all(call, "changes");
    struct image_import_opts opts = {
            .repo = api_query(call, "repo"),
            .tag = api_query(call, "tag"),
            .message = api_query(call, "message"),
            .changes = (char *const *)changes,
            .platform = api_query(call, "platform"),
    };
    if (opts.repo && !*opts.repo)
        opts.repo = NULL;
    bt_autofree char *id = image_import(IMAGES(call), api_body_fd(call), &opts, &err);
    if (!id) {
        api_reply_error(call, err);
        return;
    }
    bt_autoptr(bt_ref) ref = opts.repo ? bt_ref_parse(opts.repo, NULL) : NULL;
    if (ref) { /* dockerd tags first */
        if (opts.tag && *opts.tag)
            bt_ref_set_tag(ref, opts.tag, NULL);
        else if (!ref->tag && !ref->digest)
            bt_ref_set_tag(ref, "latest", NULL);
        bt_autofree char *shown = bt_ref_familiar_string(ref);
        emit_image(IMAGES(call), id, shown, "tag");
    }
    emit_image(IMAGES(call), id, NULL, "import");
    bt_autostrbuf struct bt_strbuf lines = BT_STRBUF_INIT;
    bt_strbuf_appendf(&lines, "{\"status\":\"%s\"}\r\n", id);
    reply_lines(call, 200, &lines);
}

/* ---- load ---- */

struct load_out {
    struct bt_strbuf lines;
    char **loaded; /* the names and IDs it reports, for the events once the load is over
                      (the store is locked while it reports) */
};

static void collect_line(const char *line, void *ctx)
{
    struct load_out *o = ctx;
    const char *named = "Loaded image: ", *by_id = "Loaded image ID: ";
    if (strncmp(line, named, strlen(named)) == 0)
        bt_strv_push(&o->loaded, line + strlen(named));
    else if (strncmp(line, by_id, strlen(by_id)) == 0)
        bt_strv_push(&o->loaded, line + strlen(by_id));
    json_t *msg = json_pack("{s:s+}", "stream", line, "\n");
    char *text = bt_json_dumps(msg);
    json_decref(msg);
    bt_strbuf_appendf(&o->lines, "%s\r\n", text);
    free(text);
}

void api_image_load(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    struct load_out o = {.lines = BT_STRBUF_INIT, .loaded = bt_xzalloc(sizeof(char *))};
    if (image_load(IMAGES(call), api_body_fd(call), collect_line, &o, &err) < 0) {
        api_reply_error(call, err);
    } else {
        for (size_t i = 0; o.loaded[i]; i++)
            emit_image(IMAGES(call), o.loaded[i], NULL, "load");
        reply_lines(call, 200, &o.lines);
    }
    bt_strv_free(o.loaded);
    bt_strbuf_free(&o.lines);
}

/* ---- save ---- */

struct save_job {
    struct image_store *s;
    char **names;
};

static void save_producer(int fd, void *arg)
{
    struct save_job *j = arg;
    bt_autoerr bt_err *err = NULL;
    if (image_save(j->s, j->names, fd, &err) < 0) {
        /* the 200 is out: a broken tar is the only way left to say it failed */
        bt_warn("save: %s", bt_err_msg(err));
    }
    bt_strv_free(j->names);
    free(j);
}

static void save(struct api_call *call, char **names)
{
    bt_autoerr bt_err *err = NULL;
    /* every name must mean something before the 200 goes out */
    if (image_save_check(IMAGES(call), names, &err) < 0) {
        bt_strv_free(names);
        api_reply_error(call, err);
        return;
    }
    for (size_t i = 0; names[i]; i++) {
        bt_autofree char *id = image_resolve(IMAGES(call), names[i], NULL);
        if (id)
            emit_image(IMAGES(call), id, NULL, "save");
    }
    struct save_job *j = bt_xzalloc(sizeof(*j));
    j->s = IMAGES(call);
    j->names = names;
    api_reply_stream(call, 200, "application/x-tar", save_producer, j);
}

void api_image_save(struct api_call *call)
{
    bt_autofree const char **names = api_query_all(call, "names");
    char **copy = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; names[i]; i++)
        bt_strv_push(&copy, names[i]);
    save(call, copy);
}

void api_image_save_one(struct api_call *call)
{
    char **copy = bt_xzalloc(sizeof(char *));
    bt_strv_push(&copy, api_param(call, 0));
    save(call, copy);
}
