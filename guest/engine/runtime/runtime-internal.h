/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Internals of guest/engine/runtime/, shared between its files and its unit tests: the parsed
 * spec, and the steps a container's first process goes through. Nothing here is for use
 * outside the module; runtime.h is its interface.
 *
 * A parsed spec is plain data: validated once by spec.c, then read by the steps (rootfs.c,
 * process.c, cgroup-*.c, seccomp.c) in the forked child. All strings and arrays are owned by
 * the struct that holds them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest/engine/runtime/runtime.h"

/* ---- typed members of the spec's JSON (spec-json.c) ----
 * `where` names the object in errors ("process.user", "" for the top level): a wrong type fails
 * with BT_E_INVALID, "spec: process.user.uid: expected an integer". A missing member or JSON
 * null is "not given": *out is left alone (and *given, when asked for, is false). */
int rt_json_str(const json_t *obj, const char *key, const char *where, const char **out,
                bt_err **err);
int rt_json_bool(const json_t *obj, const char *key, const char *where, bool *out, bt_err **err);
/* An integer in [min, max]. */
int rt_json_int(const json_t *obj, const char *key, const char *where, int64_t min, int64_t max,
                bool *given, int64_t *out, bt_err **err);
/* An array of strings, copied into a NULL-terminated vector. */
int rt_json_strv(const json_t *obj, const char *key, const char *where, char ***out, bt_err **err);
int rt_json_obj(const json_t *obj, const char *key, const char *where, const json_t **out,
                bt_err **err);
int rt_json_arr(const json_t *obj, const char *key, const char *where, const json_t **out,
                bt_err **err);
/* "where.key" (or "key" at the top level); the caller frees. */
char *rt_json_where(const char *where, const char *key);
/* "where[i]"; the caller frees. */
char *rt_json_where_index(const char *where, size_t i);

/* ---- mounts (mount-options.c) ---- */

struct rt_mount_opts {
    unsigned long flags;       /* MS_RDONLY, MS_NOSUID, ... to set */
    unsigned long propagation; /* MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE, maybe | MS_REC;
                                  0 when the options name none */
    bool bind;                 /* "bind" or "rbind" */
    bool recursive;            /* "rbind" */
    char *data;                /* the file-system options ("mode=755,size=65536k"), or NULL */
};

/* Split OCI mount options into flags, propagation and file-system data, as mount(8) reads
 * them: "ro", "nosuid", "strictatime", "rbind", "rprivate", ... are flags; anything else
 * ("mode=1777", "newinstance", "gid=5") is passed to the file system. A NULL opts is no
 * options. out is overwritten; release it with rt_mount_opts_clear(). */
int rt_mount_opts_parse(char *const *opts, struct rt_mount_opts *out, bt_err **err);
void rt_mount_opts_clear(struct rt_mount_opts *o);

/* Propagation flags for a name ("rslave" -> MS_SLAVE | MS_REC); 0 when it is not one. */
unsigned long rt_propagation_flags(const char *name);

struct rt_mount {
    char *destination; /* absolute, inside the container */
    char *type;        /* NULL for a bind mount given only by options */
    char *source;      /* bind sources are absolute host paths (made so from the bundle) */
    struct rt_mount_opts opts;
};

/* ---- capabilities (caps.c) ---- */

struct rt_caps {
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Drop every capability outside `bounding` from the bounding set (needs CAP_SETPCAP). */
int rt_caps_apply_bounding(uint64_t bounding, bt_err **err);
/* Set effective, permitted, inheritable (capset), then the ambient set. */
int rt_caps_apply(const struct rt_caps *c, bt_err **err);

/* ---- seccomp (seccomp-parse.c is pure; seccomp.c wraps libseccomp) ---- */

enum rt_scmp_action {
    RT_SCMP_KILL_THREAD, /* SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD */
    RT_SCMP_KILL_PROCESS,
    RT_SCMP_TRAP,
    RT_SCMP_ERRNO,
    RT_SCMP_TRACE,
    RT_SCMP_ALLOW,
    RT_SCMP_LOG,
};

enum rt_scmp_op {
    RT_SCMP_CMP_NE,
    RT_SCMP_CMP_LT,
    RT_SCMP_CMP_LE,
    RT_SCMP_CMP_EQ,
    RT_SCMP_CMP_GE,
    RT_SCMP_CMP_GT,
    RT_SCMP_CMP_MASKED_EQ,
};

struct rt_scmp_arg {
    unsigned index;
    uint64_t value, value_two;
    enum rt_scmp_op op;
};

struct rt_scmp_rule {
    char **names;
    enum rt_scmp_action action;
    int errno_ret; /* for ERRNO and TRACE; the profile's default when not given */
    struct rt_scmp_arg *args;
    size_t nargs;
};

struct rt_seccomp {
    enum rt_scmp_action default_action;
    int default_errno;
    char **arches; /* "SCMP_ARCH_X86_64", ...; empty: the native one only */
    struct rt_scmp_rule *rules;
    size_t nrules;
};

/* Parse and validate an OCI linux.seccomp object; `where` names it in errors. */
struct rt_seccomp *rt_seccomp_parse(const json_t *obj, const char *where, bt_err **err);
void rt_seccomp_free(struct rt_seccomp *s);
BT_DEFINE_AUTOPTR(rt_seccomp, struct rt_seccomp, rt_seccomp_free);
/* Compile the filter with libseccomp into a memfd holding the BPF program (struct
 * sock_filter[]); returns the fd (close-on-exec), the caller's. The parent does this while
 * the child builds the container: compiling Docker's profile for three architectures takes
 * longer than all the rest of a start, and its memory is not the container's to pay. */
int rt_seccomp_compile(const struct rt_seccomp *s, bt_err **err);
/* The on-disk cache of compiled programs (seccomp-cache.c), when rt_seccomp_cache_init()
 * named one: a memfd with the program for key, or -1; and storing one (errors ignored). */
int rt_seccomp_cache_get(const char *key);
void rt_seccomp_cache_put(const char *key, int bpf);
/* Load a program made by rt_seccomp_compile() into the calling process. Without
 * no_new_privs the caller needs CAP_SYS_ADMIN. */
int rt_seccomp_load_bpf(int fd, bt_err **err);

/* ---- the process (spec.c parses, process.c applies) ---- */

struct rt_rlimit {
    int resource; /* RLIMIT_* */
    uint64_t soft, hard;
};

struct rt_process {
    char **args;
    char **env;
    char *cwd;
    bool terminal;
    unsigned short rows, cols; /* consoleSize; 0 when not given */
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* additionalGids */
    size_t ngroups;
    bool has_umask;
    mode_t umask;
    bool has_caps; /* without "capabilities" the process keeps the caller's */
    struct rt_caps caps;
    struct rt_rlimit *rlimits;
    size_t nrlimits;
    bool no_new_privs;
    bool has_oom_score_adj;
    int oom_score_adj;
};

/* Parse an OCI process object into p (zeroed first); `where` names it in errors. */
int rt_process_parse(const json_t *obj, const char *where, struct rt_process *p, bt_err **err);
void rt_process_clear(struct rt_process *p);

/* The RLIMIT_* number for "RLIMIT_NOFILE", or -1. */
int rt_rlimit_from_name(const char *name);

/* Limits as setrlimit() will accept them without CAP_SYS_RESOURCE: hard no higher than
 * cur_hard, soft no higher than hard. */
void rt_rlimit_clamp(uint64_t cur_hard, uint64_t *soft, uint64_t *hard);

/* The rest of a new process's life before execve, in the order runc uses: rlimits,
 * oom_score_adj, no_new_privs, seccomp (before dropping privileges unless no_new_privs),
 * bounding set, user and groups, capabilities, umask, cwd, HOME, the $PATH lookup, seccomp
 * (when no_new_privs), then execve. sync is the socket to the parent: with `seccomp`, the
 * filter arrives on it (RT_MSG_SECCOMP) when it is needed; RT_MSG_EXEC is sent on it just
 * before execve. Returns only on failure. */
int rt_process_exec(const struct rt_process *p, bool seccomp, int sync, bt_err **err);

/* Go's exec.LookPath as runc runs it in the container: file with a slash is checked as is,
 * else searched in path_env (NULL: Docker's default PATH). Errors use Go's wording (see
 * runtime.h). The caller frees *out. */
int rt_lookup_command(const char *file, const char *path_env, char **out, bt_err **err);

/* ---- namespaces ---- */

enum rt_ns_type {
    RT_NS_PID,
    RT_NS_NET,
    RT_NS_MNT,
    RT_NS_IPC,
    RT_NS_UTS,
    RT_NS_CGROUP,
    RT_NS_TIME,
    RT_NS_COUNT,
};

struct rt_namespace {
    bool enabled; /* listed in linux.namespaces */
    char *path;   /* join this one instead of creating a new one */
};

/* CLONE_NEWPID, ... for a type, and its name under /proc/PID/ns/. */
int rt_ns_clone_flag(enum rt_ns_type t);
const char *rt_ns_proc_name(enum rt_ns_type t);

/* ---- devices and resources ---- */

enum {
    RT_DEV_MKNOD = 1, /* the BPF_DEVCG_ACC_* bits */
    RT_DEV_READ = 2,
    RT_DEV_WRITE = 4,
    RT_DEV_RWM = 7,
};

/* linux.resources.devices[]: type 'a' (all), 'b' or 'c'; major/minor -1 for "*". */
struct rt_dev_rule {
    bool allow;
    char type;
    int64_t major, minor;
    unsigned access;
};

/* linux.devices[]: a node to create in the container. */
struct rt_device {
    char *path;
    char type; /* 'c', 'b', 'u' (unbuffered char), 'p' (fifo) */
    int64_t major, minor;
    bool has_mode, has_uid, has_gid;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

struct rt_resources {
    bool has_memory_limit, has_memory_reservation, has_memory_swap;
    int64_t memory_limit, memory_reservation, memory_swap; /* -1: unlimited */
    bool has_cpu_shares, has_cpu_quota, has_cpu_period;
    uint64_t cpu_shares, cpu_period;
    int64_t cpu_quota;
    char *cpus, *mems; /* cpuset, when given */
    bool has_pids_limit;
    int64_t pids_limit; /* <= 0: unlimited */
    bool has_devices;
    struct rt_dev_rule *devices;
    size_t ndevices;
};

/* An OCI linux.resources object into r (zeroed by the caller; its strings and rules the
 * caller frees, even on failure). */
int rt_resources_from_json(const json_t *resources, struct rt_resources *r, bt_err **err);

/* True when the spec asks for any cgroup setting. */
bool rt_resources_any(const struct rt_resources *r);

/* ---- the spec ---- */

struct rt_sysctl {
    char *key, *value;
};

struct rt_spec {
    char *bundle;
    char *root; /* absolute */
    bool root_readonly;
    char *hostname;
    char *domainname;
    struct rt_process process;
    struct rt_mount *mounts;
    size_t nmounts;
    struct rt_namespace ns[RT_NS_COUNT];
    char *cgroups_path; /* cleaned, absolute, or NULL */
    struct rt_resources res;
    struct rt_sysctl *sysctl;
    size_t nsysctl;
    char **masked_paths;
    char **readonly_paths;
    struct rt_device *devices;
    size_t ndevices;
    struct rt_seccomp *seccomp;       /* NULL: none */
    unsigned long rootfs_propagation; /* 0: not given */
};

/* ---- the root file system (rootfs.c), in the child, in its new mount namespace ---- */

/* Everything up to and including pivot_root: propagation, the root bind mount, the spec's
 * mounts (destinations resolved inside the root), /dev and its nodes, the working directory.
 * Afterwards the process's root and cwd are the container's "/". */
int rt_rootfs_enter(const struct rt_spec *spec, bt_err **err);
/* What follows the pivot: sysctls, masked and read-only paths, a read-only root, the final
 * propagation of "/". */
int rt_rootfs_finish(const struct rt_spec *spec, bt_err **err);

/* mount(2) onto the file or directory open at target (an O_PATH fd) through /proc/self/fd/N:
 * what was resolved inside the root is what gets mounted on, even if the container swaps a
 * symlink into the path meanwhile. source NULL with MS_REMOUNT or propagation flags changes
 * the mount at target itself (target must then be open on the mount's root). */
int rt_mount_at(const char *source, int target, const char *fstype, unsigned long flags,
                const char *data, bt_err **err);

/* ---- terminals and stdio (terminal.c) ---- */

/* Open a new pty from the container's /dev/ptmx (so it belongs to the container's devpts);
 * rows/cols set its size when not 0. */
int rt_terminal_open(unsigned short rows, unsigned short cols, int *master, int *slave,
                     bt_err **err);
/* Bind the pty slave over /dev/console, as runc and crun do. */
int rt_terminal_bind_console(int slave, bt_err **err);
/* Make slave the controlling terminal of a new session and stdin/stdout/stderr. */
int rt_terminal_become_ctty(int slave, bt_err **err);
/* Install fds[i] (or devnull where fds[i] < 0) as fds 0, 1, 2, whatever their numbers. */
int rt_stdio_install(const int fds[3], int devnull, bt_err **err);

/* ---- forking a container process (launch.c), for start.c and exec.c ---- */

struct rt_launch {
    const struct rt_spec *spec;
    const struct rt_process *proc; /* what runs: the spec's, or exec's */
    const struct rt_stdio *io;
    int clone_flags;         /* CLONE_NEW* the child is created with */
    int ns_fds[RT_NS_COUNT]; /* namespaces to join (-1: none); the pid one is joined for the
                                child by the parent, the others by the child */
    bool enter_cgroup;       /* the child joins spec's cgroup before it goes on (cgroup.h) */
    /* The child's work after RT_MSG_GO; returns only on failure. devnull is an fd of
     * /dev/null for stdio (or -1 when not needed). */
    int (*child)(const struct rt_launch *l, int sync, int devnull, bt_err **err);
};

/* Fork the child (clone(2) with clone_flags), place it in the cgroup, let it go and wait until
 * it has exec'd or failed. On failure the child is killed and reaped. */
int rt_launch(const struct rt_launch *l, struct rt_started *out, bt_err **err);

/* ---- the parent-child protocol (sync.c) ----
 * A SOCK_SEQPACKET pair, close-on-exec on both sides. The parent sends RT_MSG_GO once the child
 * is in its cgroup or joins it by itself, then RT_MSG_SECCOMP (with a memfd of the compiled filter)
 * when there is one; the child sends RT_MSG_PTY (with the master fd) when it has a terminal,
 * RT_MSG_EXEC just before execve, or RT_MSG_ERROR and exits. The socket closing after RT_MSG_EXEC
 * means execve succeeded (close-on-exec); an RT_MSG_ERROR after it means execve itself failed. */
enum rt_msg_type {
    RT_MSG_GO = 1,
    RT_MSG_SECCOMP,
    RT_MSG_PTY,
    RT_MSG_EXEC,
    RT_MSG_ERROR,
};

struct rt_msg {
    uint32_t type;
    int32_t code;
    char text[2048];
};

int rt_sync_send(int sock, enum rt_msg_type type, int fd, bt_err **err);
void rt_sync_send_error(int sock, const bt_err *e);
/* Receive one message (fd set to a received descriptor or -1). Returns 1, 0 at EOF, or -1. */
int rt_sync_recv(int sock, struct rt_msg *msg, int *fd, bt_err **err);

/* Reset what the child inherited from a caller that handles signals: dispositions to default,
 * an empty mask. */
void rt_signals_reset(void);
