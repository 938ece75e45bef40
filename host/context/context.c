/* SPDX-License-Identifier: Apache-2.0 */
#include "host/context/context.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define NAME_RE "^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$"

void ctx_clear(struct ctx *c)
{
    free(c->name);
    free(c->description);
    free(c->host);
    free(c->ca);
    free(c->cert);
    free(c->key);
    *c = (struct ctx){0};
}

int ctx_validate_name(const char *name, bt_err **err)
{
    bool ok = strlen(name) >= 2;
    for (const char *p = name; ok && *p; p++) {
        bool alnum =
                (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        ok = alnum || (p != name && strchr("_.+-", *p));
    }
    if (!ok)
        return bt_err_set(err, BT_E_INVALID,
                          "context name \"%s\" is invalid, names are validated against regexp "
                          "\"%s\"",
                          name, NAME_RE);
    return 0;
}

/* <config>/contexts/<kind>/<sha256 hex of name> */
char *ctx_store_dir(const char *config_dir, const char *kind, const char *name)
{
    char digest[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(name, strlen(name), digest);
    return bt_xasprintf("%s/contexts/%s/%s", config_dir, kind, bt_digest_hex(digest));
}

static char *tls_file(const char *config_dir, const char *name, const char *file)
{
    bt_autofree char *dir = ctx_store_dir(config_dir, "tls", name);
    char *path = bt_xasprintf("%s/docker/%s", dir, file);
    if (bt_path_exists(path))
        return path;
    free(path);
    return NULL;
}

static int from_meta(const char *config_dir, const json_t *doc, struct ctx *out, bt_err **err)
{
    const char *name = bt_json_get_str(doc, "Name", NULL);
    if (!name)
        return bt_err_set(err, BT_E_CORRUPT, "context store: a meta.json without a name");
    out->name = bt_xstrdup(name);
    out->description =
            bt_xstrdup(bt_json_get_str(bt_json_get_obj(doc, "Metadata"), "Description", ""));
    json_t *ep = bt_json_get_obj(bt_json_get_obj(doc, "Endpoints"), "docker");
    out->host = bt_xstrdup_or_null(bt_json_get_str(ep, "Host", NULL));
    out->skip_tls_verify = bt_json_get_bool(ep, "SkipTLSVerify", false);
    out->ca = tls_file(config_dir, name, "ca.pem");
    out->cert = tls_file(config_dir, name, "cert.pem");
    out->key = tls_file(config_dir, name, "key.pem");
    return 0;
}

int ctx_load(const char *config_dir, const char *name, struct ctx *out, bt_err **err)
{
    *out = (struct ctx){0};
    bt_autofree char *dir = ctx_store_dir(config_dir, "meta", name);
    bt_autofree char *meta = bt_xasprintf("%s/meta.json", dir);
    if (!bt_path_exists(meta))
        return bt_err_set(err, BT_E_NOT_FOUND,
                          "context \"%s\": context not found: open %s: no such file or directory",
                          name, meta);
    bt_autoptr(json_t) doc = bt_json_load_file(meta, err);
    if (!doc)
        return -1;
    if (from_meta(config_dir, doc, out, err) < 0) {
        ctx_clear(out);
        return -1;
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct ctx *)a)->name, ((const struct ctx *)b)->name);
}

int ctx_list(const char *config_dir, struct ctx **out, size_t *n, bt_err **err)
{
    *out = NULL;
    *n = 0;
    bt_autofree char *dir = bt_xasprintf("%s/contexts/meta", config_dir);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : bt_err_errno(err, errno, "open \"%s\"", dir);
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        bt_autofree char *meta = bt_xasprintf("%s/%s/meta.json", dir, e->d_name);
        bt_autoptr(json_t) doc = bt_json_load_file(meta, NULL);
        if (!doc)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = bt_xreallocarray(*out, cap, sizeof(**out));
        }
        struct ctx c = {0};
        if (from_meta(config_dir, doc, &c, NULL) == 0)
            (*out)[(*n)++] = c;
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof(**out), by_name);
    return 0;
}

void ctx_list_free(struct ctx *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ctx_clear(&list[i]);
    free(list);
}

static int copy_file(const char *from, const char *to, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(from, &sb, 1 << 20, err) < 0)
        return -1;
    return bt_file_write_atomic(to, sb.buf ? sb.buf : "", sb.len, 0600, err);
}

int ctx_create(const char *config_dir, const struct ctx *c, bt_err **err)
{
    if (ctx_validate_name(c->name, err) < 0)
        return -1;
    if (strcmp(c->name, CTX_DEFAULT) == 0)
        return bt_err_set(err, BT_E_INVALID, "\"default\" is a reserved context name");
    bt_autofree char *meta_dir = ctx_store_dir(config_dir, "meta", c->name);
    if (bt_path_exists(meta_dir))
        return bt_err_set(err, BT_E_CONFLICT, "context \"%s\" already exists", c->name);
    bt_autofree char *tls_dir = ctx_store_dir(config_dir, "tls", c->name);
    bt_autofree char *docker_tls = bt_xasprintf("%s/docker", tls_dir);
    const char *files[3][2] = {{c->ca, "ca.pem"}, {c->cert, "cert.pem"}, {c->key, "key.pem"}};
    for (int i = 0; i < 3; i++) {
        if (!files[i][0])
            continue;
        bt_autofree char *to = bt_xasprintf("%s/%s", docker_tls, files[i][1]);
        if (bt_mkdir_p(docker_tls, 0700, err) < 0 || copy_file(files[i][0], to, err) < 0) {
            bt_rm_rf(tls_dir, NULL);
            return -1;
        }
    }
    bt_autoptr(json_t) doc = json_object();
    bt_json_set_str(doc, "Name", c->name);
    json_t *md = json_object(); /* as docker's: no Description member without one */
    if (c->description && *c->description)
        bt_json_set_str(md, "Description", c->description);
    json_object_set_new(doc, "Metadata", md);
    json_t *ep = json_object();
    bt_json_set_str(ep, "Host", c->host ? c->host : "");
    bt_json_set_bool(ep, "SkipTLSVerify", c->skip_tls_verify);
    json_t *eps = json_object();
    json_object_set_new(eps, "docker", ep);
    json_object_set_new(doc, "Endpoints", eps);
    bt_autofree char *meta = bt_xasprintf("%s/meta.json", meta_dir);
    if (bt_mkdir_p(meta_dir, 0700, err) < 0 || bt_json_save_file(meta, doc, 0600, err) < 0) {
        bt_rm_rf(meta_dir, NULL);
        bt_rm_rf(tls_dir, NULL);
        return -1;
    }
    return 0;
}

int ctx_remove(const char *config_dir, const char *name, bt_err **err)
{
    bt_autofree char *meta_dir = ctx_store_dir(config_dir, "meta", name);
    if (!bt_path_exists(meta_dir))
        return bt_err_set(err, BT_E_NOT_FOUND, "context \"%s\" does not exist", name);
    bt_autofree char *tls_dir = ctx_store_dir(config_dir, "tls", name);
    if (bt_rm_rf(tls_dir, err) < 0 || bt_rm_rf(meta_dir, err) < 0)
        return -1;
    return 0;
}

static char *config_path(const char *config_dir)
{
    return bt_xasprintf("%s/config.json", config_dir);
}

char *ctx_current(const char *config_dir)
{
    bt_autofree char *path = config_path(config_dir);
    bt_autoptr(json_t) doc = bt_json_load_file(path, NULL);
    const char *cur = doc ? bt_json_get_str(doc, "currentContext", NULL) : NULL;
    return bt_xstrdup(cur && *cur ? cur : CTX_DEFAULT);
}

int ctx_set_current(const char *config_dir, const char *name, bt_err **err)
{
    bt_autofree char *path = config_path(config_dir);
    bt_autoptr(json_t) doc = bt_path_exists(path) ? bt_json_load_file(path, err) : json_object();
    if (!doc)
        return -1;
    if (strcmp(name, CTX_DEFAULT) == 0)
        json_object_del(doc, "currentContext");
    else
        bt_json_set_str(doc, "currentContext", name);
    if (bt_mkdir_p(config_dir, 0700, err) < 0)
        return -1;
    return bt_json_save_file(path, doc, 0600, err);
}
