/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The last steps of a container process before execve, shared by the container's first
 * process and by exec: limits, privileges, and finding the command.
 *
 * The order is runc's (libcontainer/standard_init_linux.go) and each step has its reason:
 *  - rlimits and oom_score_adj while still root (lowering needs no privilege; see the clamp);
 *  - no_new_privs, then seccomp if no_new_privs is NOT set: loading a filter without it needs
 *    CAP_SYS_ADMIN, which is about to go; the rest of this file's system calls are then
 *    filtered too, and Docker's profile allows them all;
 *  - the bounding set while CAP_SETPCAP is still there, then the user (PR_SET_KEEPCAPS keeps
 *    the permitted set across setuid), then the capability sets;
 *  - the $PATH lookup as the final user with the final capabilities, so "permission denied"
 *    means what it will mean for execve;
 *  - seccomp last when no_new_privs is set, so that the filter sees as little of our own work
 *    as possible.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Go's strconv.Quote for what commands are usually called: quotes and backslashes escaped,
 * the C escapes (\t, \n, ...) for their characters, other control characters as \xNN. */
static char *go_quote(const char *s)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append_c(&sb, '"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        const char *esc = NULL;
        switch (*c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\a':
            esc = "\\a";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\v':
            esc = "\\v";
            break;
        }
        if (esc)
            bt_strbuf_append(&sb, esc);
        else if (*c < 0x20 || *c == 0x7f)
            bt_strbuf_appendf(&sb, "\\x%02x", *c);
        else
            bt_strbuf_append_c(&sb, (char)*c);
    }
    bt_strbuf_append_c(&sb, '"');
    return bt_strbuf_steal(&sb);
}

/* Go's findExecutable: 0, or the errno that says why path cannot be run. Directories and
 * files without an execute bit for us are EACCES (fs.ErrPermission). */
static int find_executable(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return errno;
    if (S_ISDIR(st.st_mode))
        return EACCES;
    if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
        return 0;
    return errno == ENOSYS || errno == EPERM ? ((st.st_mode & 0111) ? 0 : EACCES) : errno;
}

int rt_lookup_command(const char *file, const char *path_env, char **out, bt_err **err)
{
    char buf[128];
    bt_autofree char *q = go_quote(file);
    if (strchr(file, '/')) {
        struct stat st;
        if (stat(file, &st) < 0) {
            int e = errno;
            /* os.Stat's *PathError: "stat /nope: no such file or directory" */
            return bt_err_set(err, e == ENOENT ? BT_E_NOT_FOUND : e, "exec: %s: stat %s: %s", q,
                              file, bt_go_strerror(e, buf, sizeof(buf)));
        }
        int e = find_executable(file);
        if (e)
            return bt_err_set(err, e, "exec: %s: %s", q, bt_go_strerror(e, buf, sizeof(buf)));
        *out = bt_xstrdup(file);
        return 0;
    }
    bt_autofree char *dirs = bt_xstrdup(path_env ? path_env : DEFAULT_PATH);
    /* filepath.SplitList: "" is an empty list; an empty element is ".". */
    for (char *d = dirs; path_env == NULL || path_env[0];) {
        char *colon = strchr(d, ':');
        if (colon)
            *colon = '\0';
        bt_autofree char *candidate = bt_path_join(d[0] ? d : ".", file);
        if (find_executable(candidate) == 0) {
            *out = bt_steal_ptr(&candidate);
            return 0;
        }
        if (!colon)
            break;
        d = colon + 1;
    }
    return bt_err_set(err, BT_E_NOT_FOUND, "exec: %s: executable file not found in $PATH", q);
}

/* The value of name in env (NAME=value), or NULL. */
static const char *env_get(char *const *env, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; env && env[i]; i++) {
        if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
            return env[i] + len + 1;
    }
    return NULL;
}

/* The home directory of uid in the container's /etc/passwd, "/" when it has none (runc's
 * default for HOME). */
static char *home_of(uid_t uid)
{
    bt_autofile FILE *f = fopen("/etc/passwd", "re");
    bt_autofree char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
        /* name:password:uid:gid:gecos:home:shell */
        char *field[6] = {0};
        char *p = line;
        for (int i = 0; i < 6 && p; i++) {
            field[i] = p;
            p = strchr(p, ':');
            if (p)
                *p++ = '\0';
        }
        char *end = NULL;
        if (!field[5] || !field[2][0] || strtoul(field[2], &end, 10) != uid || *end)
            continue;
        return bt_xstrdup(field[5][0] ? field[5] : "/");
    }
    return bt_xstrdup("/");
}

static int apply_rlimits(const struct rt_process *p, bt_err **err)
{
    for (size_t i = 0; i < p->nrlimits; i++) {
        const struct rt_rlimit *rl = &p->rlimits[i];
        uint64_t soft = rl->soft < rl->hard ? rl->soft : rl->hard, hard = rl->hard;
        struct rlimit nl = {(rlim_t)soft, (rlim_t)hard};
        if (setrlimit(rl->resource, &nl) == 0)
            continue;
        struct rlimit cur;
        if (errno != EPERM || getrlimit(rl->resource, &cur) < 0)
            return bt_err_errno(err, errno, "setrlimit %d", rl->resource);
        /* Raising a hard limit needs CAP_SYS_RESOURCE, which some hosts' root lacks: a
         * container that asks for more than the host allows gets the host's limit. */
        rt_rlimit_clamp(cur.rlim_max, &soft, &hard);
        nl = (struct rlimit){(rlim_t)soft, (rlim_t)hard};
        if (setrlimit(rl->resource, &nl) < 0)
            return bt_err_errno(err, errno, "setrlimit %d", rl->resource);
    }
    return 0;
}

static int apply_oom_score_adj(const struct rt_process *p, bt_err **err)
{
    if (!p->has_oom_score_adj)
        return 0;
    bt_autoclose int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
    if (fd < 0 || write(fd, buf, (size_t)n) < 0)
        return bt_err_errno(err, errno, "set oom_score_adj to %d", p->oom_score_adj);
    return 0;
}

static int switch_user(const struct rt_process *p, bt_err **err)
{
    if (setgroups(p->ngroups, p->groups) < 0)
        return bt_err_errno(err, errno, "setgroups");
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return bt_err_errno(err, errno, "setgid %u", (unsigned)p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return bt_err_errno(err, errno, "setuid %u", (unsigned)p->uid);
    return 0;
}

static int apply_privileges(const struct rt_process *p, bt_err **err)
{
    if (p->has_caps && rt_caps_apply_bounding(p->caps.bounding, err) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return bt_err_errno(err, errno, "keep capabilities");
    if (switch_user(p, err) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return bt_err_errno(err, errno, "keep capabilities");
    if (p->has_caps && rt_caps_apply(&p->caps, err) < 0)
        return -1;
    return 0;
}

static int enter_cwd(const struct rt_process *p, bool retry, bt_err **err)
{
    if (chdir(p->cwd) == 0)
        return 0;
    if (retry && (errno == EACCES || errno == EPERM))
        return 1; /* again after switching the user */
    char buf[128];
    return bt_err_set(err, errno, "chdir to cwd (\"%s\") set in config.json failed: %s", p->cwd,
                      bt_go_strerror(errno, buf, sizeof(buf)));
}

/* The environment execve gets: the process's, with HOME added when it has none. */
static char **exec_env(const struct rt_process *p)
{
    char **env = bt_strv_dup(p->env);
    if (!env_get(p->env, "HOME")) {
        bt_autofree char *home = home_of(p->uid);
        bt_autofree char *kv = bt_xasprintf("HOME=%s", home);
        bt_strv_push(&env, kv);
    }
    return env;
}

/* Nothing of the caller's may leak into the container: every fd above stdio closes on exec.
 * close_range(CLOSE_RANGE_CLOEXEC) needs Linux 5.11; before it, walk /proc/self/fd. */
static int cloexec_from_3(bt_err **err)
{
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return bt_err_errno(err, errno, "open \"/proc/self/fd\"");
    for (struct dirent *e; (e = readdir(d));) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(d))
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
    return 0;
}

/* Wait for the filter the parent compiles meanwhile, and load it. */
static int load_seccomp(int sync, bt_err **err)
{
    struct rt_msg msg;
    int fd;
    int rc = rt_sync_recv(sync, &msg, &fd, err);
    if (rc < 0)
        return -1;
    bt_autoclose int bpf = fd;
    if (rc == 0 || msg.type != RT_MSG_SECCOMP || bpf < 0)
        return bt_err_set(err, BT_E_INTERNAL, "seccomp: no filter from the parent");
    return rt_seccomp_load_bpf(bpf, err);
}

int rt_process_exec(const struct rt_process *p, bool seccomp, int sync, bt_err **err)
{
    if (apply_rlimits(p, err) < 0 || apply_oom_score_adj(p, err) < 0)
        return -1;
    if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return bt_err_errno(err, errno, "set no_new_privs");
    if (seccomp && !p->no_new_privs && load_seccomp(sync, err) < 0)
        return -1;
    int later = enter_cwd(p, true, err);
    if (later < 0 || apply_privileges(p, err) < 0)
        return -1;
    if (later && enter_cwd(p, false, err) < 0)
        return -1;
    umask(p->has_umask ? p->umask : 022);

    bt_autostrv char **env = exec_env(p);
    bt_autofree char *path = NULL;
    if (rt_lookup_command(p->args[0], env_get(env, "PATH"), &path, err) < 0)
        return -1;
    if (seccomp && p->no_new_privs && load_seccomp(sync, err) < 0)
        return -1;

    if (cloexec_from_3(err) < 0)
        return -1;
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if (rt_sync_send(sync, RT_MSG_EXEC, -1, err) < 0)
        return -1;
    execve(path, p->args, env);
    int e = errno;
    char buf[128];
    /* Go's exec error for a file that exists but will not run: "exec format error". */
    return bt_err_set(err, e == ENOENT ? BT_E_NOT_FOUND : e, "exec %s: %s", path,
                      bt_go_strerror(e, buf, sizeof(buf)));
}
