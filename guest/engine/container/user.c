/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resolving a container's user ("name", "uid", "name:group", "uid:gid", "" for root) against
 * the image's /etc/passwd and /etc/group, with runc's rules: a name must exist; a number need
 * not; the user's own group is the primary one unless a group is given; the groups that list
 * the user as a member are added only when no group was given ("root" gets them, "root:root"
 * does not); --group-add groups always. The files are read through the rootfs with symlinks
 * resolved inside it, so an image can't make berthd read the host's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/fs/resolve.h"

#define MAX_DB (4u << 20) /* a passwd or group file bigger than this is not one */

static char *read_db(int rootfd, const char *path)
{
    bt_autoclose int fd = bt_open_in_root(rootfd, path, O_RDONLY, 0, 0, NULL);
    if (fd < 0)
        return NULL;
    struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_fd_read_all(fd, &sb, MAX_DB, NULL) < 0) {
        bt_strbuf_free(&sb);
        return NULL;
    }
    return bt_strbuf_steal(&sb);
}

static bool parse_id(const char *s, unsigned long *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || v > 0x7fffffff)
        return false;
    *out = v;
    return true;
}

/* Split a line into up to n ':'-separated fields (in place). */
static size_t fields(char *line, char **f, size_t n)
{
    size_t k = 0;
    f[k++] = line;
    for (char *p = line; *p && k < n; p++) {
        if (*p == ':') {
            *p = '\0';
            f[k++] = p + 1;
        }
    }
    return k;
}

struct pw {
    char *name;
    unsigned long uid, gid;
    char *home;
};

/* Find a passwd entry by name or (numeric) id; entries point into db. */
static bool find_user(char *db, const char *want, struct pw *out)
{
    unsigned long want_id;
    bool numeric = parse_id(want, &want_id);
    char *save = NULL;
    for (char *line = db ? strtok_r(db, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[7];
        if (line[0] == '#' || fields(line, f, 7) < 7)
            continue;
        unsigned long uid, gid;
        if (!parse_id(f[2], &uid) || !parse_id(f[3], &gid))
            continue;
        if (strcmp(f[0], want) == 0 || (numeric && uid == want_id)) {
            *out = (struct pw){.name = f[0], .uid = uid, .gid = gid, .home = f[5]};
            return true;
        }
    }
    return false;
}

static bool member_of(const char *members, const char *user)
{
    size_t ul = strlen(user);
    for (const char *p = members; *p;) {
        size_t n = strcspn(p, ",");
        if (n == ul && strncmp(p, user, n) == 0)
            return true;
        p += n;
        p += *p == ',';
    }
    return false;
}

static void add_gid(struct ctr_user *u, gid_t g)
{
    for (size_t i = 0; i < u->ngroups; i++)
        if (u->groups[i] == g)
            return;
    u->groups = bt_xreallocarray(u->groups, u->ngroups + 1, sizeof(gid_t));
    u->groups[u->ngroups++] = g;
}

/* Look a group up by name or id; with member_name, add every group listing that member. */
static bool scan_groups(const char *db_text, const char *want, unsigned long *gid,
                        const char *member_name, struct ctr_user *u)
{
    if (!db_text)
        return false;
    bt_autofree char *db = bt_xstrdup(db_text);
    unsigned long want_id = 0;
    bool numeric = want && parse_id(want, &want_id);
    bool found = false;
    char *save = NULL;
    for (char *line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[4];
        if (line[0] == '#' || fields(line, f, 4) < 3)
            continue;
        unsigned long g;
        if (!parse_id(f[2], &g))
            continue;
        if (want && !found && (strcmp(f[0], want) == 0 || (numeric && g == want_id))) {
            *gid = g;
            found = true;
        }
        if (member_name && f[3] && member_of(f[3], member_name))
            add_gid(u, (gid_t)g);
    }
    return found;
}

int ctr_resolve_user(int rootfd, const char *spec, char *const *group_add, struct ctr_user *u,
                     bt_err **err)
{
    memset(u, 0, sizeof(*u));
    bt_autofree char *copy = bt_xstrdup(spec ? spec : "");
    char *colon = strchr(copy, ':');
    const char *group = NULL;
    if (colon) {
        *colon = '\0';
        group = colon + 1;
    }
    const char *user = *copy ? copy : "0";
    bt_autofree char *passwd = read_db(rootfd, "/etc/passwd");
    bt_autofree char *groups = read_db(rootfd, "/etc/group");

    struct pw pw = {0};
    unsigned long id;
    bool known = find_user(passwd, user, &pw);
    if (known) {
        u->uid = (uid_t)pw.uid;
        u->gid = (gid_t)pw.gid;
        u->home = bt_xstrdup(*pw.home ? pw.home : "/");
    } else if (parse_id(user, &id)) {
        u->uid = (uid_t)id;
        u->gid = 0;
        u->home = bt_xstrdup("/");
    } else {
        return bt_err_set(err, BT_E_INVALID,
                          "unable to find user %s: no matching entries in passwd file", user);
    }
    /* The primary group leads the supplementary ones, as containerd gives them to runc
     * (`id` in a container shows groups=<gid>,...). */
    if (group && *group) {
        unsigned long gid;
        if (scan_groups(groups, group, &gid, NULL, u))
            u->gid = (gid_t)gid;
        else if (parse_id(group, &gid))
            u->gid = (gid_t)gid;
        else {
            ctr_user_free(u);
            return bt_err_set(err, BT_E_INVALID,
                              "unable to find group %s: no matching entries in group file", group);
        }
    }
    add_gid(u, u->gid);
    if (!(group && *group) && known)
        scan_groups(groups, NULL, NULL, pw.name, u);
    for (size_t i = 0; group_add && group_add[i]; i++) {
        unsigned long gid;
        if (scan_groups(groups, group_add[i], &gid, NULL, u) || parse_id(group_add[i], &gid)) {
            add_gid(u, (gid_t)gid);
        } else {
            ctr_user_free(u);
            return bt_err_set(err, BT_E_INVALID,
                              "unable to find group %s: no matching entries in group file",
                              group_add[i]);
        }
    }
    return 0;
}

void ctr_user_free(struct ctr_user *u)
{
    free(u->groups);
    free(u->home);
    memset(u, 0, sizeof(*u));
}
