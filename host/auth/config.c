/* SPDX-License-Identifier: Apache-2.0 */
/* config.json files: the "auths" of the docker CLI's file store, every other member kept. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/auth/auth.h"
#include "host/auth/auth-internal.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define MAX_CONFIG (16u << 20)

int auth_file_load(struct auth_file *f, const char *path, bt_err **err)
{
    *f = (struct auth_file){.path = bt_xstrdup(path)};
    bt_autostrbuf struct bt_strbuf text = BT_STRBUF_INIT;
    bt_err *rerr = NULL;
    if (bt_file_read(path, &text, MAX_CONFIG, &rerr) < 0) {
        if (!bt_err_is(rerr, BT_E_NOT_FOUND)) {
            bt_err_move(err, &rerr);
            auth_file_clear(f);
            return -1;
        }
        bt_err_free(rerr);
        f->doc = json_object();
        return 0;
    }
    f->exists = true;
    /* the docker CLI takes an empty file for an empty configuration (io.EOF) */
    if (strspn(bt_strbuf_str(&text), " \t\r\n") == text.len) {
        f->doc = json_object();
        return 0;
    }
    f->doc = bt_json_parse_object(bt_strbuf_str(&text), text.len, err);
    if (!f->doc) {
        bt_err_wrap(err, "%s", path);
        auth_file_clear(f);
        return -1;
    }
    return 0;
}

void auth_file_clear(struct auth_file *f)
{
    free(f->path);
    json_decref(f->doc);
    *f = (struct auth_file){0};
}

/* configfile's decodeAuth: base64 of "user:password", the password's NULs trimmed. */
static int decode_auth(const char *text, struct auth_config *out, bt_err **err)
{
    size_t len;
    bt_autofree char *raw = bt_base64_decode(text, &len, err);
    if (!raw)
        return -1;
    char *colon = memchr(raw, ':', len);
    if (!colon || colon == raw)
        return bt_err_set(err, BT_E_INVALID, "Invalid auth configuration file");
    out->username = bt_xstrndup(raw, (size_t)(colon - raw));
    const char *pw = colon + 1;
    size_t pwlen = len - (size_t)(pw - raw);
    while (pwlen && pw[0] == '\0') {
        pw++;
        pwlen--;
    }
    while (pwlen && pw[pwlen - 1] == '\0')
        pwlen--;
    out->password = bt_xstrndup(pw, pwlen);
    return 0;
}

static char *str_or_null(const json_t *entry, const char *key)
{
    const char *v = bt_json_get_str(entry, key, NULL);
    return v && *v ? bt_xstrdup(v) : NULL;
}

/* An "auths" entry as configfile's LoadFromReader leaves it: "auth" decoded when set, else
 * the entry's own username and password; the server address is the entry's key. */
static int entry_config(const char *key, const json_t *entry, struct auth_config *out, bt_err **err)
{
    *out = (struct auth_config){0};
    const char *auth = bt_json_get_str(entry, "auth", "");
    if (*auth) {
        if (decode_auth(auth, out, err) < 0) {
            auth_config_clear(out);
            return -1;
        }
    } else {
        out->username = str_or_null(entry, "username");
        out->password = str_or_null(entry, "password");
    }
    out->email = str_or_null(entry, "email");
    out->identity_token = str_or_null(entry, "identitytoken");
    out->registry_token = str_or_null(entry, "registrytoken");
    out->server_address = bt_xstrdup(key);
    return 0;
}

/* The entry for key: its own, or one stored under a URL that reduces to key. */
static const json_t *find_entry(const struct auth_file *f, const char *key, const char **found)
{
    json_t *auths = bt_json_get_obj(f->doc, "auths");
    json_t *e = json_object_get(auths, key);
    if (e) {
        *found = key;
        return e;
    }
    const char *k;
    json_object_foreach (auths, k, e) {
        bt_autofree char *host = auth_hostname(k);
        if (strcmp(host, key) == 0) {
            *found = k;
            return e;
        }
    }
    return NULL;
}

int auth_file_get(const struct auth_file *f, const char *key, struct auth_config *out, bt_err **err)
{
    *out = (struct auth_config){0};
    const char *found = NULL;
    const json_t *e = find_entry(f, key, &found);
    if (!e)
        return 0;
    if (entry_config(found, e, out, err) < 0)
        return bt_err_wrap(err, "%s", f->path);
    return 1;
}

const char *auth_file_helper(const struct auth_file *f, const char *key)
{
    const char *h = bt_json_get_str(bt_json_get_obj(f->doc, "credHelpers"), key, NULL);
    if (h && *h)
        return h;
    h = bt_json_get_str(f->doc, "credsStore", NULL);
    return h && *h ? h : NULL;
}

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool same_config(const struct auth_config *a, const struct auth_config *b)
{
    return same(a->username, b->username) && same(a->password, b->password) &&
           same(a->email, b->email) && same(a->identity_token, b->identity_token) &&
           same(a->registry_token, b->registry_token);
}

/* Indentation of jansson's JSON_INDENT(1) made Go's MarshalIndent("", "\t"): one tab per
 * leading space (no string holds a raw newline, so every line starts with indentation). */
static char *tabs(const char *text)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bool bol = true;
    for (const char *p = text; *p; p++) {
        if (bol && *p == ' ') {
            bt_strbuf_append_c(&sb, '\t');
            continue;
        }
        bol = *p == '\n';
        bt_strbuf_append_c(&sb, *p);
    }
    return bt_strbuf_steal(&sb);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of obj with its members in byte order, as Go writes a map (NULL: empty). */
static json_t *sorted(const json_t *obj)
{
    json_t *out = json_object();
    size_t n = json_object_size(obj), i = 0;
    if (!n)
        return out;
    bt_autofree const char **keys = bt_xreallocarray(NULL, n, sizeof(*keys));
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)obj, k, v)
        keys[i++] = k;
    qsort(keys, n, sizeof(*keys), cmp_keys);
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    return out;
}

char *auth_file_dump(const struct auth_file *f)
{
    /* ConfigFile's first field is "auths": the docker CLI writes it first, and always */
    bt_autoptr(json_t) out = json_object();
    json_object_set_new(out, "auths", sorted(bt_json_get_obj(f->doc, "auths")));
    const char *k;
    json_t *v;
    json_object_foreach (f->doc, k, v) {
        if (strcmp(k, "auths") != 0)
            json_object_set(out, k, v);
    }
    char *text = bt_json_html_escape(bt_json_dumps_pretty(out, 1));
    char *t = tabs(text);
    free(text);
    return t;
}

/* The file a write goes to: a symlink's target, even a dangling one, as configfile.Save. */
static char *write_target(const char *path)
{
    char buf[PATH_MAX];
    char *real = realpath(path, NULL);
    if (real)
        return real;
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n <= 0)
        return bt_xstrdup(path);
    buf[n] = '\0';
    if (buf[0] == '/')
        return bt_xstrdup(buf);
    bt_autofree char *dir = bt_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return bt_xstrdup(buf);
    *slash = '\0';
    return bt_xasprintf("%s/%s", dir, buf);
}

static int save(struct auth_file *f, bt_err **err)
{
    bt_autofree char *target = write_target(f->path);
    bt_autofree char *dir = bt_xstrdup(target);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (bt_mkdir_p(dir, 0700, err) < 0)
            return -1;
    }
    struct stat st;
    mode_t mode = stat(target, &st) == 0 ? (st.st_mode & 07777) : 0600;
    bt_autofree char *text = auth_file_dump(f);
    if (bt_file_write_atomic(target, text, strlen(text), mode, err) < 0)
        return -1;
    f->exists = true;
    return 0;
}

int auth_file_store(struct auth_file *f, const struct auth_config *a, bt_err **err)
{
    const char *key = a->server_address ? a->server_address : "";
    json_t *auths = bt_json_get_obj(f->doc, "auths");
    json_t *old = json_object_get(auths, key);
    if (old) {
        struct auth_config prev;
        bt_err *perr = NULL;
        /* an entry that does not decode is replaced, as a changed one */
        if (entry_config(key, old, &prev, &perr) == 0) {
            bool unchanged = same_config(&prev, a);
            auth_config_clear(&prev);
            if (unchanged)
                return 0;
        }
        bt_err_free(perr);
    }
    /* SaveToWriter: username and password become "auth"; the server address is the key */
    json_t *entry = json_object();
    if ((a->username && *a->username) || (a->password && *a->password)) {
        bt_autofree char *pair = bt_xasprintf("%s:%s", a->username ? a->username : "",
                                              a->password ? a->password : "");
        bt_autofree char *b64 = bt_base64_encode(pair, strlen(pair));
        bt_json_set_str(entry, "auth", b64);
    }
    if (a->email && *a->email)
        bt_json_set_str(entry, "email", a->email);
    if (a->identity_token && *a->identity_token)
        bt_json_set_str(entry, "identitytoken", a->identity_token);
    if (a->registry_token && *a->registry_token)
        bt_json_set_str(entry, "registrytoken", a->registry_token);
    if (!auths) {
        auths = json_object();
        json_object_set_new(f->doc, "auths", auths);
    }
    json_object_set_new(auths, key, entry);
    return save(f, err) < 0 ? -1 : 1;
}

int auth_file_erase(struct auth_file *f, const char *key, bt_err **err)
{
    json_t *auths = bt_json_get_obj(f->doc, "auths");
    if (!json_object_get(auths, key))
        return 0;
    json_object_del(auths, key);
    return save(f, err) < 0 ? -1 : 1;
}

char *auth_docker_config_file(void)
{
    const char *dir = getenv("DOCKER_CONFIG");
    if (dir && *dir)
        return bt_xasprintf("%s/config.json", dir);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : "/";
    }
    return bt_xasprintf("%s/.docker/config.json", home);
}

static bool has_credentials(const struct auth_config *a)
{
    return (a->username && *a->username) || (a->password && *a->password) ||
           (a->identity_token && *a->identity_token) || (a->registry_token && *a->registry_token);
}

int auth_resolve(const char *const *files, size_t n, const char *key, struct auth_config *out,
                 int *from, bt_err **err)
{
    *out = (struct auth_config){0};
    if (from)
        *from = -1;
    for (size_t i = 0; i < n; i++) {
        if (!files[i])
            continue;
        struct auth_file f;
        if (auth_file_load(&f, files[i], err) < 0)
            return -1;
        int rc = auth_file_get(&f, key, out, err);
        const char *helper = auth_file_helper(&f, key);
        bool by_name = bt_json_get_str(bt_json_get_obj(f.doc, "credHelpers"), key, NULL) != NULL;
        if (rc >= 0 && helper && (by_name || rc == 1) && !has_credentials(out)) {
            /* the docker CLI would ask docker-credential-<helper>; berth does not run them */
            bt_err_set(err, BT_E_UNSUPPORTED,
                       "the credentials for %s are kept by the credential helper "
                       "docker-credential-%s (%s of %s), which berth does not use: log in "
                       "with berth login%s%s",
                       key, helper, by_name ? "credHelpers" : "credsStore", f.path,
                       strcmp(key, AUTH_INDEX_SERVER) == 0 ? "" : " ",
                       strcmp(key, AUTH_INDEX_SERVER) == 0 ? "" : key);
            rc = -1;
            auth_config_clear(out);
        }
        auth_file_clear(&f);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            if (from)
                *from = (int)i;
            return 0;
        }
    }
    return 0;
}

char *auth_all_header(const char *const *files, size_t n)
{
    bt_autoptr(json_t) all = json_object(); /* key -> its AuthConfig JSON text */
    for (size_t i = 0; i < n; i++) {
        struct auth_file f;
        if (!files[i] || auth_file_load(&f, files[i], NULL) < 0)
            continue;
        const char *key;
        json_t *entry;
        json_object_foreach (bt_json_get_obj(f.doc, "auths"), key, entry) {
            struct auth_config a;
            if (json_object_get(all, key) || entry_config(key, entry, &a, NULL) < 0)
                continue;
            bt_autofree char *text = auth_config_json(&a);
            json_object_set_new(all, key, json_string(text));
            auth_config_clear(&a);
        }
        auth_file_clear(&f);
    }
    /* json.Marshal of a map: keys sorted, each value the AuthConfig's own JSON */
    bt_autoptr(json_t) by_key = sorted(all);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append_c(&sb, '{');
    const char *key;
    json_t *text;
    json_object_foreach (by_key, key, text) {
        if (sb.len > 1)
            bt_strbuf_append_c(&sb, ',');
        auth_json_string(&sb, key);
        bt_strbuf_append_c(&sb, ':');
        bt_strbuf_append(&sb, json_string_value(text));
    }
    bt_strbuf_append_c(&sb, '}');
    bt_autofree char *json = bt_strbuf_steal(&sb);
    return auth_b64url(json);
}
