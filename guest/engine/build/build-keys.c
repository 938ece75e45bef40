/* SPDX-License-Identifier: Apache-2.0 */
/* The builder's pure parts: Go formatting of comments, cache hashes, --chown, EXPOSE. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/build/build-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/crypto/digest.h"
#include "shared/json/json.h"

void build_go_quote(struct bt_strbuf *sb, const char *s)
{
    bt_strbuf_append_c(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            bt_strbuf_append(sb, "\\\"");
            break;
        case '\\':
            bt_strbuf_append(sb, "\\\\");
            break;
        case '\n':
            bt_strbuf_append(sb, "\\n");
            break;
        case '\t':
            bt_strbuf_append(sb, "\\t");
            break;
        case '\r':
            bt_strbuf_append(sb, "\\r");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                bt_strbuf_appendf(sb, "\\x%02x", *p);
            else
                bt_strbuf_append_c(sb, (char)*p);
        }
    }
    bt_strbuf_append_c(sb, '"');
}

char *build_go_quote_strv(const json_t *arr)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append_c(&sb, '[');
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        if (i)
            bt_strbuf_append_c(&sb, ' ');
        build_go_quote(&sb, json_is_string(v) ? json_string_value(v) : "");
    }
    bt_strbuf_append_c(&sb, ']');
    return bt_strbuf_steal(&sb);
}

char *build_go_strv(const json_t *arr)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append_c(&sb, '[');
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v)
        bt_strbuf_appendf(&sb, "%s%s", i ? " " : "", json_is_string(v) ? json_string_value(v) : "");
    bt_strbuf_append_c(&sb, ']');
    return bt_strbuf_steal(&sb);
}

char *build_sources_hash(char *const *hashes)
{
    size_t n = bt_strv_len(hashes);
    if (n == 1)
        return bt_xstrdup(hashes[0]);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "");
    for (size_t i = 0; i < n; i++)
        bt_strbuf_appendf(&sb, "%s%s", i ? "," : "", hashes[i]);
    char d[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(bt_strbuf_str(&sb), strlen(bt_strbuf_str(&sb)), d);
    return bt_xasprintf("multi:%s", bt_digest_hex(d));
}

/* Feed one entry (and a directory's entries, sorted) into h: name, type, mode, size, link
 * target, contents. */
static int hash_entry(struct bt_sha256 *h, const char *path, const char *rel, bt_err **err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return bt_err_errno(err, errno, "stat %s", rel);
    char hdr[256];
    int n = snprintf(hdr, sizeof(hdr), "%s%c%o%c%lld%c", rel, 0, (unsigned)st.st_mode, 0,
                     S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL, 0);
    bt_sha256_update(h, hdr, (size_t)n);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t len = readlink(path, target, sizeof(target));
        if (len > 0)
            bt_sha256_update(h, target, (size_t)len);
        bt_sha256_update(h, "", 1);
    } else if (S_ISREG(st.st_mode)) {
        bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            return bt_err_errno(err, errno, "open %s", rel);
        char buf[65536];
        for (ssize_t r; (r = read(fd, buf, sizeof(buf))) != 0;) {
            if (r < 0)
                return bt_err_errno(err, errno, "read %s", rel);
            bt_sha256_update(h, buf, (size_t)r);
        }
    } else if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return bt_err_errno(err, errno, "open %s", rel);
        char **names = bt_xzalloc(sizeof(char *));
        for (struct dirent *e; (e = readdir(d));)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                bt_strv_push(&names, e->d_name);
        closedir(d);
        size_t cnt = bt_strv_len(names);
        qsort(names, cnt, sizeof(char *), bt_strp_cmp);
        int rc = 0;
        for (size_t i = 0; i < cnt && rc == 0; i++) {
            bt_autofree char *sub = bt_xasprintf("%s/%s", path, names[i]);
            bt_autofree char *subrel = bt_xasprintf("%s/%s", rel, names[i]);
            rc = hash_entry(h, sub, subrel, err);
        }
        bt_strv_free(names);
        return rc;
    }
    return 0;
}

char *build_path_hash(const char *path, bt_err **err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        bt_err_errno(err, errno, "stat %s", path);
        return NULL;
    }
    struct bt_sha256 *h = bt_sha256_new();
    int rc = hash_entry(h, path, ".", err);
    char d[BT_DIGEST_STR_SIZE];
    bt_sha256_final(h, d);
    bt_sha256_free(h);
    if (rc < 0)
        return NULL;
    return bt_xasprintf("%s:%s", S_ISDIR(st.st_mode) ? "dir" : "file", bt_digest_hex(d));
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* The third field of the line of db whose first field is name (passwd: uid; group: gid). */
static bool db_lookup(const char *db, const char *name, unsigned long *id)
{
    if (!db)
        return false;
    size_t nlen = strlen(name);
    for (const char *line = db; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nlen && strncmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *p = memchr(line + nlen + 1, ':', len - nlen - 1);
            if (p) {
                char *e;
                unsigned long v = strtoul(p + 1, &e, 10);
                if (e != p + 1 && (*e == ':' || *e == '\n' || *e == 0)) {
                    *id = v;
                    return true;
                }
            }
        }
        line += len + (end ? 1 : 0);
    }
    return false;
}

int build_parse_chown(const char *spec, const char *passwd, const char *group, uid_t *uid,
                      gid_t *gid, bt_err **err)
{
    bt_autofree char *user = bt_xstrdup(spec);
    char *colon = strchr(user, ':');
    const char *grp = user;
    if (colon) {
        *colon = 0;
        grp = colon + 1;
    }
    unsigned long u, g;
    if (all_digits(user))
        u = strtoul(user, NULL, 10);
    else if (!db_lookup(passwd, user, &u))
        return bt_err_set(err, BT_E_INVALID,
                          "unable to convert uid/gid chown string to host mapping: can't find "
                          "uid for user %s: no such user: %s",
                          user, user);
    if (all_digits(grp))
        g = strtoul(grp, NULL, 10);
    else if (!db_lookup(group, grp, &g))
        return bt_err_set(err, BT_E_INVALID,
                          "unable to convert uid/gid chown string to host mapping: can't find "
                          "gid for group %s: no such group: %s",
                          grp, grp);
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

json_t *build_prepend_env(char *const *args, const json_t *cmd)
{
    size_t n = bt_strv_len(args);
    if (n == 0)
        return json_deep_copy(cmd);
    char **sorted = bt_strv_dup(args);
    qsort(sorted, n, sizeof(char *), bt_strp_cmp);
    json_t *out = json_array();
    json_array_append_new(out, json_sprintf("|%zu", n));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_string(sorted[i]));
    bt_strv_free(sorted);
    json_array_extend(out, (json_t *)cmd);
    return out;
}

bool build_has_wildcard(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

bool build_match(const char *pattern, const char *name)
{
    return fnmatch(pattern, name, FNM_PATHNAME) == 0;
}

static int parse_port(const char *s, unsigned long *out)
{
    char *e;
    if (!*s)
        return -1;
    unsigned long v = strtoul(s, &e, 10);
    if (*e || v > 65535)
        return -1;
    *out = v;
    return 0;
}

int build_expose_ports(char *const *ports, json_t *exposed, bt_err **err)
{
    for (size_t i = 0; ports && ports[i]; i++) {
        bt_autofree char *spec = bt_xstrdup(ports[i]);
        char *slash = strchr(spec, '/');
        const char *proto = "tcp";
        if (slash) {
            *slash = 0;
            proto = slash + 1;
            for (char *p = slash + 1; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        }
        char *dash = strchr(spec, '-');
        unsigned long lo, hi;
        if (dash)
            *dash = 0;
        if (parse_port(spec, &lo) < 0 || (dash ? parse_port(dash + 1, &hi) : (hi = lo, 0)) < 0 ||
            hi < lo)
            return bt_err_set(err, BT_E_INVALID, "Invalid containerPort: %s", ports[i]);
        if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
            return bt_err_set(err, BT_E_INVALID, "Invalid proto: %s", proto);
        for (unsigned long p = lo; p <= hi; p++) {
            char key[32];
            snprintf(key, sizeof(key), "%lu/%s", p, proto);
            json_object_set_new(exposed, key, json_object());
        }
    }
    return 0;
}
