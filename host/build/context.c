/* SPDX-License-Identifier: Apache-2.0 */
/* The build context on the client: resolved and walked as the docker CLI 28 does. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/build/build.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/dockerfile/ignore.h"
#include "shared/fs/file.h"

/* filepath.Abs: cwd-joined and cleaned (no symlinks resolved) */
static char *abs_path(const char *p)
{
    char cwd[PATH_MAX];
    bt_autofree char *joined =
            p[0] == '/' ? bt_xstrdup(p) : bt_xasprintf("%s/%s", getcwd(cwd, sizeof(cwd)), p);
    /* clean: drop "." and empty elements, fold ".." */
    char *out = bt_xzalloc(strlen(joined) + 2);
    size_t n = 0;
    for (char *save = NULL, *e = strtok_r(joined, "/", &save); e; e = strtok_r(NULL, "/", &save)) {
        if (strcmp(e, ".") == 0)
            continue;
        if (strcmp(e, "..") == 0) {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
            out[n] = '\0';
            continue;
        }
        out[n++] = '/';
        strcpy(out + n, e);
        n += strlen(e);
    }
    if (n == 0)
        strcpy(out, "/");
    return out;
}

/* filepath.EvalSymlinks of an absolute path, failing with Go's "lstat PREFIX: ..." at the first
 * element that is missing */
static char *eval_symlinks(const char *abs, bt_err **err)
{
    char *r = realpath(abs, NULL);
    if (r)
        return r;
    int e = errno;
    bt_autofree char *prefix = bt_xstrdup(abs);
    for (char *s = strchr(prefix + 1, '/');; s = strchr(s + 1, '/')) {
        if (s)
            *s = '\0';
        struct stat st;
        if (stat(prefix, &st) < 0) {
            char why[128];
            bt_err_set(err, BT_E_NOT_FOUND, "lstat %s: %s", prefix,
                       bt_go_strerror(errno, why, sizeof(why)));
            return NULL;
        }
        if (!s)
            break;
        *s = '/';
    }
    char why[128];
    bt_err_set(err, e, "%s: %s", abs, bt_go_strerror(e, why, sizeof(why)));
    return NULL;
}

static int resolve_dockerfile(struct build_context *bc, const char *given, bt_err **err)
{
    if (given && strcmp(given, "-") == 0) {
        bc->dockerfile = bt_xstrdup("-");
        return 0;
    }
    bt_autofree char *absdf = NULL;
    if (given && *given) {
        absdf = abs_path(given);
    } else {
        absdf = bt_xasprintf("%s/Dockerfile", bc->dir);
        struct stat st;
        bt_autofree char *alt = bt_xasprintf("%s/dockerfile", bc->dir);
        if (lstat(absdf, &st) < 0 && errno == ENOENT && lstat(alt, &st) == 0) {
            free(absdf);
            absdf = bt_steal_ptr(&alt);
        }
    }
    bt_err *e = NULL;
    bt_autofree char *real = eval_symlinks(absdf, &e);
    if (!real) {
        bt_err_set(err, BT_E_NOT_FOUND, "unable to evaluate symlinks in Dockerfile path: %s",
                   bt_err_msg(e));
        bt_err_free(e);
        return -1;
    }
    size_t dl = strlen(bc->dir);
    if (strcmp(bc->dir, "/") == 0 && real[0] == '/' && real[1]) {
        bc->dockerfile = bt_xstrdup(real + 1);
    } else if (strncmp(real, bc->dir, dl) == 0 && real[dl] == '/') {
        bc->dockerfile = bt_xstrdup(real + dl + 1);
    } else {
        bc->outside = true; /* filepath.Rel starts with "../" */
        bc->dockerfile = bt_xstrdup(given);
    }
    return 0;
}

static int read_dockerignore(const char *dir, struct bt_strbuf *out, bt_err **err)
{
    bt_autofree char *p = bt_xasprintf("%s/.dockerignore", dir);
    bt_err *e = NULL;
    if (bt_file_read(p, out, 0, &e) == 0)
        return 0;
    bool missing = bt_err_code(e) == ENOENT;
    if (missing) {
        bt_err_free(e);
        return 0;
    }
    bt_err_set(err, bt_err_code(e), "error reading .dockerignore: %s", bt_err_msg(e));
    bt_err_free(e);
    return -1;
}

int build_context_prepare(const char *path, const char *dockerfile, struct build_context *bc,
                          bool *context_err, bt_err **err)
{
    *bc = (struct build_context){0};
    *context_err = true;
    struct stat st;
    if (stat(path, &st) < 0)
        return bt_err_set(err, BT_E_NOT_FOUND, "path \"%s\" not found", path);
    bt_autofree char *abs = abs_path(path);
    bt_err *e = NULL;
    bc->dir = eval_symlinks(abs, &e);
    if (!bc->dir) {
        bt_err_set(err, BT_E_NOT_FOUND, "unable to evaluate symlinks in context path: %s",
                   bt_err_msg(e));
        bt_err_free(e);
        return -1;
    }
    if (stat(bc->dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        bt_err_set(err, BT_E_INVALID, "context must be a directory: %s", bc->dir);
        build_context_clear(bc);
        return -1;
    }
    if (resolve_dockerfile(bc, dockerfile, err) < 0) {
        build_context_clear(bc);
        return -1;
    }
    *context_err = false;
    bt_autostrbuf struct bt_strbuf ign = BT_STRBUF_INIT;
    if (read_dockerignore(bc->dir, &ign, err) < 0) {
        build_context_clear(bc);
        return -1;
    }
    bool from_stdin = bc->outside || strcmp(bc->dockerfile, "-") == 0;
    bc->members = build_context_walk(bc->dir, ign.buf ? ign.buf : "", ign.len,
                                     from_stdin ? NULL : bc->dockerfile, err);
    if (!bc->members) {
        build_context_clear(bc);
        return -1;
    }
    return 0;
}

void build_context_clear(struct build_context *bc)
{
    free(bc->dir);
    free(bc->dockerfile);
    bt_strv_free(bc->members);
    *bc = (struct build_context){0};
}

/* ---- the walk (go-archive's TarWithOptions with ExcludePatterns) ---- */

struct walk {
    const struct bt_ignore *m;
    const char *root;
    char **out;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An excluded directory is entered only when an exception's pattern, as written, starts with
 * the directory's path: "!a/b/keep" enters "a" and "a/b", "!*.go" enters nothing. */
static bool exception_below(const struct bt_ignore *m, const char *rel)
{
    size_t rl = strlen(rel);
    for (size_t i = 0; i < bt_ignore_count(m); i++) {
        bool exc = false;
        const char *p = bt_ignore_pattern(m, i, &exc);
        if (!exc)
            continue;
        size_t pl = strlen(p);
        /* (p + "/") has prefix (rel + "/") */
        if (pl >= rl && strncmp(p, rel, rl) == 0 && (pl == rl || p[rl] == '/'))
            return true;
    }
    return false;
}

static int walk_dir(struct walk *w, const char *rel, bt_err **err);

static int walk_entry(struct walk *w, const char *rel, bt_err **err)
{
    bt_autofree char *full = bt_xasprintf("%s/%s", w->root, rel);
    struct stat st;
    if (lstat(full, &st) < 0) {
        if (errno == EACCES)
            return bt_err_set(err, EACCES, "can't stat '%s'", full);
        return 0;
    }
    bool dir = S_ISDIR(st.st_mode);
    if (bt_ignore_matches(w->m, rel)) {
        if (!dir || !bt_ignore_has_exceptions(w->m) || !exception_below(w->m, rel))
            return 0;
        return walk_dir(w, rel, err); /* not itself sent */
    }
    /* ValidateContextDirectory: every file sent must be readable */
    if (S_ISREG(st.st_mode)) {
        int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0 && errno == EACCES)
            return bt_err_set(err, EACCES, "no permission to read from '%s'", full);
        if (fd >= 0)
            close(fd);
    }
    bt_strv_push(&w->out, rel);
    return dir ? walk_dir(w, rel, err) : 0;
}

static int walk_dir(struct walk *w, const char *rel, bt_err **err)
{
    bt_autofree char *full = rel ? bt_xasprintf("%s/%s", w->root, rel) : bt_xstrdup(w->root);
    DIR *d = opendir(full);
    if (!d) {
        if (errno == EACCES)
            return bt_err_set(err, EACCES, "can't stat '%s'", full);
        return 0;
    }
    bt_autostrv char **names = bt_xzalloc(sizeof(char *));
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            bt_strv_push(&names, de->d_name);
    closedir(d);
    qsort(names, bt_strv_len(names), sizeof(char *), cmp_names);
    for (char **n = names; *n; n++) {
        bt_autofree char *child = rel ? bt_xasprintf("%s/%s", rel, *n) : bt_xstrdup(*n);
        if (walk_entry(w, child, err) < 0)
            return -1;
    }
    return 0;
}

char **build_context_walk(const char *dir, const char *ignore, size_t ignore_len,
                          const char *dockerfile, bt_err **err)
{
    bt_autostrv char **pats = bt_ignore_read(ignore, ignore_len);
    /* TrimBuildFilesFromExcludes: the Dockerfile and .dockerignore are always sent */
    bt_autoptr(bt_ignore) probe = bt_ignore_new(pats, err);
    if (!probe) {
        bt_err *e = *err;
        *err = NULL;
        bt_err_set(err, bt_err_code(e), "error checking context: %s", bt_err_msg(e));
        bt_err_free(e);
        return NULL;
    }
    if (bt_ignore_matches(probe, ".dockerignore"))
        bt_strv_push(&pats, "!.dockerignore");
    if (dockerfile && bt_ignore_matches(probe, dockerfile)) {
        bt_autofree char *exc = bt_xasprintf("!%s", dockerfile);
        bt_strv_push(&pats, exc);
    }
    bt_autoptr(bt_ignore) m = bt_ignore_new(pats, err);
    if (!m)
        return NULL;
    struct walk w = {.m = m, .root = dir, .out = bt_xzalloc(sizeof(char *))};
    if (walk_dir(&w, NULL, err) < 0) {
        bt_err *e = *err;
        *err = NULL;
        bt_err_set(err, bt_err_code(e), "error checking context: %s", bt_err_msg(e));
        bt_err_free(e);
        bt_strv_free(w.out);
        return NULL;
    }
    return w.out;
}

static unsigned octal(const unsigned char *p, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n && p[i]; i++)
        if (p[i] >= '0' && p[i] <= '7')
            v = v * 8 + (unsigned)(p[i] - '0');
    return v;
}

bool build_is_archive(const unsigned char *b, size_t len)
{
    static const struct {
        const char *magic;
        size_t n;
    } comp[] = {{"\x1f\x8b\x08", 3},
                {"BZh", 3},
                {"\xfd\x37\x7a\x58\x5a\x00", 6},
                {"\x28\xb5\x2f\xfd", 4}};
    for (size_t i = 0; i < sizeof(comp) / sizeof(comp[0]); i++)
        if (len >= comp[i].n && memcmp(b, comp[i].magic, comp[i].n) == 0)
            return true;
    if (len < 512)
        return false;
    /* a tar header: its checksum counts the checksum field as spaces; a zero block is the
     * end of an archive, not an archive (Go's reader returns io.EOF) */
    unsigned sum = 0;
    bool zero = true;
    for (size_t i = 0; i < 512; i++) {
        sum += (i >= 148 && i < 156) ? ' ' : b[i];
        zero = zero && b[i] == 0;
    }
    return !zero && sum == octal(b + 148, 8);
}
