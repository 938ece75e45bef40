/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Internals of guest/engine/container/, shared by its files; not for other modules. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest/engine/container/container.h"

enum ctr_status {
    CTR_CREATED,
    CTR_RUNNING,
    CTR_PAUSED,
    CTR_RESTARTING,
    CTR_REMOVING,
    CTR_EXITED,
    CTR_DEAD,
};

/* An attach client berthd handed (or will hand) to a monitor, waiting for "detached". */
struct attach_wait {
    char token[32];
    bool awaiting;  /* registered, its socket not there yet (see ctr_attach_begin) */
    bool abandoned; /* a start stopped waiting for it */
    int sock;       /* until handed over (stopped containers); then -1 */
    char flags[4];  /* "ioe" subset or "-" */
    char keys[40];  /* detach keys in hex, or "-" */
    bool done;
    struct attach_wait *next;
};

struct ctr_exec;

/* What the supervisor's epoll has registered: a container's or an exec's monitor. */
struct watch {
    bool is_exec;
    struct ctr *c;
    struct ctr_exec *e;
};

struct ctr {
    atomic_int refs;
    struct ctr_manager *m;
    pthread_mutex_t lock; /* everything below */
    pthread_cond_t cond;  /* signalled on every state change and attach completion */
    char id[65];
    /* the last two samples the stats collector took (stats.c), newest first: CPU figures
     * only; stats_mono is CLOCK_MONOTONIC ns when each was taken, 0 for none */
    struct ctr_stats stats_hist[2];
    int64_t stats_mono[2];
    char *name;    /* "/x" */
    json_t *rec;   /* the record, inspect-shaped */
    char *dir;     /* <data-root>/containers/<id> */
    char *run_dir; /* <exec-root>/<id> */
    enum ctr_status status;
    bool busy; /* a start/stop/remove is under way: others wait on cond */
    int ctl;   /* control connection to the monitor, -1 */
    struct watch watch;
    pid_t pid;
    uint64_t exit_gen; /* bumped at every exit */
    int exit_status;
    bool mounted; /* the rootfs is mounted at <dir>/rootfs/merged */
    /* the volumes this run counts as a user of (vol_mount), let go with the rootfs */
    char **volumes_in_use;
    /* An exit left its run state (rootfs mount, run directory) to undo: done after the exit is
     * reported, so that `docker wait` does not wait for it (ctr_exit_cleanup). */
    bool exit_cleanup;
    bool cleaning; /* ctr_exit_cleanup is at work without the lock */
    bool removed;
    bool transient; /* CTR_CREATE_TRANSIENT: every save of the record skips the fsync */
    struct attach_wait *attaches;
    /* networking of the current run (network.c): the namespace file (or the namespace of the
     * container:X it joins), the links' environment, the hosts lines of the links and of
     * itself, the DNS server of its first network ("" for the host's) */
    char *netns;
    char **link_env;
    char *net_hosts;
    char net_dns[16];
    /* restart policy and health (restart.c, health.c) */
    int64_t started_ns;       /* when the current (or last) run started */
    bool manually_stopped;    /* a user's stop or kill (dockerd's HasBeenManuallyStopped) */
    bool restart_canceled;    /* the next exit is not restarted (dockerd's ExitOnNext) */
    int64_t restart_delay_ms; /* the last back-off delay (0: none) */
    uint64_t restart_seq;     /* bumped at every scheduled or canceled restart */
    uint64_t health_seq;      /* bumped at every start and exit: the health thread's run */
};

struct ctr_exec {
    char id[65];
    struct ctr *c;  /* a reference */
    json_t *config; /* the create body */
    char **args;
    bool tty, in, out, err;
    bool started, running;
    int exit_code; /* -1 until it exited */
    pid_t pid;
    int ctl;
    struct watch watch;
    char *dir; /* <run_dir>/exec-<id> */
    struct attach_wait *attach;
    struct ctr_exec *next;
};

struct ctr_manager {
    char *data_root, *exec_root, *monitor_path, *ctr_root;
    struct image_store *images;
    struct vol_store *volumes;
    struct net_store *networks; /* NULL: every container gets "none" */
    pthread_mutex_t lock;       /* the index and the exec list */
    struct ctr **all;
    size_t n, cap;
    struct ctr_exec *execs;
    /* the trash: directories deleted in the background (trash.c) */
    char *trash_dir;
    pthread_t trash_thread;
    pthread_mutex_t trash_lock;
    pthread_cond_t trash_cond;
    bool trash_pending, trash_stop, trash_started;
    /* the supervisor */
    int epfd;
    int wake[2];
    pthread_t thread;
    bool thread_started;
    /* restart and health threads (restart.c, health.c): counted so close waits for them */
    bool loading; /* ctr_manager_open is loading the records: exits are not restarted */
    bool closing;
    int workers;
    pthread_cond_t workers_cond; /* with lock: workers reached 0 */
    /* the stats collector (stats.c), with lock: whether it runs, when stats were last asked
     * for (CLOCK_MONOTONIC ns), and its sleep, cut short by closing */
    bool stats_collecting;
    int64_t stats_asked;
    pthread_cond_t stats_cond;
};

/* manager.c */
struct ctr *ctr_new(struct ctr_manager *m, const char *id);
void ctr_index_add(struct ctr_manager *m, struct ctr *c);
void ctr_index_remove(struct ctr_manager *m, struct ctr *c);
/* the container holding this name ("/x"), or NULL; the caller holds m->lock */
struct ctr *ctr_by_name_locked(struct ctr_manager *m, const char *name);
int ctr_save(struct ctr *c, bt_err **err);             /* durably; c->lock held */
int ctr_save_state(struct ctr *c, bt_err **err);       /* run state, without fsync; c->lock held */
void ctr_set_status(struct ctr *c, enum ctr_status s); /* c->lock held; updates rec */
const char *ctr_status_name(enum ctr_status s);
/* wait on c->cond until !c->busy, then take it; c->lock held */
void ctr_acquire(struct ctr *c);
/* lifecycle.c: wait on c->cond (c->lock held) for a state change, at most ms milliseconds */
void ctr_timed_wait(struct ctr *c, long ms);
void ctr_release(struct ctr *c);

/* create.c: dockerd's checks of the CPU members of a HostConfig or of an update request
 * (NanoCpus against CpuPeriod/CpuQuota and the host's CPUs, CpuShares) */
int ctr_check_cpus(const json_t *hc, bt_err **err);
/* create.c: the Config and HostConfig of a create request, checked as dockerd checks them and
 * with the defaults it fills in; the image is not looked at yet. Pure (for tests and fuzzing). */
int ctr_config_from_request(const json_t *body, json_t **config, json_t **host_config,
                            char ***warnings, bt_err **err);

/* mountpoints.c: the container's mount points as a create decides them (volumes created or
 * found, --volumes-from resolved, the image's VOLUMEs added), for its record's "MountPoints";
 * *made lists the volumes this made (NULL-terminated, the caller frees), which
 * ctr_mount_points_unmake() removes again when the create fails. */
int ctr_mount_points_make(struct ctr_manager *m, const json_t *config, const json_t *host_config,
                          json_t **mount_points, char ***made, bt_err **err);
void ctr_mount_points_unmake(struct ctr_manager *m, char **made);
struct image_mount;
/* Fill the new, empty volumes from the image's content at their paths (mounting the
 * container's rootfs for the while). */
int ctr_mount_points_populate(struct ctr_manager *m, const json_t *mount_points,
                              const struct image_mount *rootfs, bt_err **err);
/* Before a start: count the run as a user of each of its volumes (mounting those with mount
 * options), into c->volumes_in_use; c->lock held. Undone by ctr_unmount(). */
int ctr_volumes_acquire(struct ctr *c, bt_err **err);
void ctr_volumes_release(struct ctr *c);
/* After a removal: remove the container's anonymous volumes that no other container uses. */
void ctr_mount_points_release(struct ctr_manager *m, const json_t *rec);

/* create.c: dockerd's container.Merge of a config with the one below it (an image's at create,
 * the container's at commit): what `lower` says, where cfg says nothing. */
void ctr_merge_config(json_t *cfg, const json_t *lower);

/* commit.c: the destinations of every mount the runtime puts on the root file system (the
 * system ones, the network files, the container's own), NULL-terminated: the points it makes in
 * the read-write layer, which are not the container's changes (dockerd keeps them in an init
 * layer). */
char **ctr_rootfs_mount_points(const json_t *rec);

/* diff.c: docker diff from an overlay upper directory, as moby's OverlayChanges: lowers are the
 * layers below it (top first), skip the mount points (ctr_rootfs_mount_points()), which are
 * left out, and the directories above them count as unchanged unless something else in them
 * was added or deleted. Pure (for tests). */
int ctr_diff_compute(const char *upper, char *const *lowers, char *const *skip,
                     struct ctr_change **out, size_t *n, bt_err **err);

/* logopts.c: the json-file driver's --log-opt. At create: only the keys dockerd knows
 * ("unknown log opt 'x' for json-file log driver"); at a start: max-size in bytes (-1: none)
 * and max-file (1 when there is no max-size), in dockerd's words when they do not parse. */
int ctr_log_check_opts(const json_t *log_config, bt_err **err);
int ctr_log_limits(const json_t *log_config, int64_t *max_size, int *max_files, bt_err **err);
/* go-units' FromHumanSize: "1k" 1000, "1.5MB" 1500000, "10 kib" 10000 ("invalid size: 'x'"). */
int ctr_parse_human_size(const char *s, int64_t *out, bt_err **err);

/* names.c */
char *ctr_random_name(void);
int ctr_validate_name(const char *name, bt_err **err);

/* time.c helpers */
char *ctr_time_rfc3339(int64_t unix_ns);
int64_t ctr_now_ns(void);

/* oci.c: build bundle files for a start (rootfs mounted); c->lock held */
int ctr_write_bundle(struct ctr *c, const char *rootfs, bt_err **err);
/* user.c: resolve "user[:group]" inside rootfs */
struct ctr_user {
    uid_t uid;
    gid_t gid;
    gid_t *groups;
    size_t ngroups;
    char *home;
};
int ctr_resolve_user(int rootfd, const char *spec, char *const *group_add, struct ctr_user *u,
                     bt_err **err);
void ctr_user_free(struct ctr_user *u);

/* supervise.c */
int ctr_supervisor_start(struct ctr_manager *m, bt_err **err);
void ctr_supervisor_stop(struct ctr_manager *m);
void ctr_watch(struct ctr_manager *m, struct watch *w, int fd);
void ctr_unwatch(struct ctr_manager *m, int fd);
/* spawn a monitor: argv after the program name; returns the control socket */
int ctr_spawn_monitor(struct ctr_manager *m, char *const *args, const char *log_path, bt_err **err);
/* the exit of a container (from the monitor's message or its exit file); c->lock held. It
 * records the exit and wakes the waiters; the run state is undone by ctr_exit_cleanup. */
void ctr_on_exit(struct ctr *c, int status, bool oom, int64_t finished_ns, const char *error);
/* Undo what the last exit left (unmount the rootfs, remove the run directory), or wait until
 * whoever is at it is done. c->lock held; let go during the work. Whatever mounts the rootfs
 * or removes the container calls this first. */
void ctr_exit_cleanup(struct ctr *c);
void ctr_readopt(struct ctr_manager *m, struct ctr *c);
/* The monitor's answer to "start": 0 with *pid once the process runs; -1 with the monitor's
 * message and *status (127, 126, ...) when it could not start it, or with an error of its own
 * when the monitor did not answer. "detached" messages on the way go to on_detached. what
 * names the container or exec in errors. */
int ctr_await_start(int ctl, const char *what, pid_t *pid, int *status,
                    void (*on_detached)(void *arg, const char *token), void *arg, bt_err **err);

/* trash.c */
int ctr_trash_start(struct ctr_manager *m, bt_err **err);
void ctr_trash_stop(struct ctr_manager *m);
/* Move path into the trash, to be deleted in the background. */
int ctr_trash(struct ctr_manager *m, const char *path, bt_err **err);

/* lifecycle.c */
void ctr_finish_removal_async(struct ctr *c); /* AutoRemove after an exit */
int ctr_unmount(struct ctr *c);               /* c->lock held */

/* attach bookkeeping (lifecycle.c) */
struct attach_wait *attach_wait_new(int sock, const struct ctr_attach_opts *o);
void attach_wait_done(struct ctr *c, const char *token); /* c->lock held */
/* docker's term.ToBytes: "ctrl-p,ctrl-q" -> "1011" (hex) in out */
int ctr_detach_keys_hex(const char *keys, char *out, size_t size, bt_err **err);
void attach_wait_all_done(struct ctr *c); /* c->lock held */

/* exec.c */
void ctr_exec_on_exit(struct ctr_exec *e, int status); /* c->lock held */
/* Emit a container event (emit.c) with its name, image and labels, and extra "key", "value"
 * pairs ending with NULL (may be NULL). c->lock held. */
void ctr_emit_locked(struct ctr *c, const char *action, const char *const *extra);
void ctr_execs_forget(struct ctr_manager *m, struct ctr *c);

/* lifecycle.c: start (c->lock held, busy taken); a failed start leaves the container exited
 * (or created, when it never ran) */
int ctr_start_locked(struct ctr_manager *m, struct ctr *c, bt_err **err);

/* restart.c. After an exit (c->lock held): whether the policy restarts the container; if so it
 * is made "restarting", RestartCount counted and its start scheduled after the back-off. */
bool ctr_restart_after_exit(struct ctr *c, int status, int64_t finished_ns);
/* A user's stop or kill (c->lock held): the container counts as manually stopped and, with
 * cancel, its next exit is not restarted; a pending restart is dropped at once (the container
 * is then exited). Returns true when a pending restart was dropped. */
bool ctr_restart_user_stop(struct ctr *c, bool cancel);
/* A user's start (c->lock held): RestartCount, the back-off and the stop marks start over. */
void ctr_restart_reset(struct ctr *c);
/* After berthd loaded every container: start those their policy restarts at a daemon start
 * (always; unless-stopped when not stopped by the user; on-failure after a failure within its
 * count), on a thread of their own. */
void ctr_restart_at_daemon_start(struct ctr_manager *m);
/* Worker threads: counted in m->workers; ctr_workers_stop makes them end and waits. */
void ctr_worker_begin(struct ctr_manager *m);
void ctr_worker_end(struct ctr_manager *m);
void ctr_workers_stop(struct ctr_manager *m);
/* RFC 3339 text (as the record keeps it) to nanoseconds since the epoch; 0 when unreadable. */
int64_t ctr_time_parse(const char *s);

/* health.c: after a start or re-adoption (c->lock held): State.Health begins "starting" and a
 * thread runs the Config.Healthcheck test until the run ends; nothing without a check. */
void ctr_health_start(struct ctr *c);

/* exec.c: for the health checks: the pid of an exec's process (0: none), and forgetting an
 * exec instance once done with it */
pid_t ctr_exec_pid(struct ctr_manager *m, const char *exec_id);
void ctr_exec_drop(struct ctr_manager *m, const char *exec_id);

/* lifecycle.c: running, paused or restarting (c->lock held) */
bool ctr_is_running(const struct ctr *c);

/* archive-fs.c: the container's file system as docker cp sees it (archive.c builds it) */
struct cp_mount {
    char *dest;       /* where the container sees it: absolute, resolved ("/": the root fs) */
    const char *kind; /* "root file system", "bind", "tmpfs" (static) */
    bool rw;
    int fd; /* O_PATH: the mounted directory, or a mounted file's directory; -1: not reachable */
    char *leaf;  /* a mounted file: its name in fd; NULL for a directory */
    char *why;   /* why it is not reachable (fd -1), for messages */
    bool hidden; /* covered by a later mount on the same or a higher directory */
};

struct cp_fs {
    struct cp_mount *m; /* m[0] is the root file system */
    size_t n;
};

/* Where a path resolved to. */
struct cp_where {
    size_t mount; /* in fs->m */
    char *path;   /* the resolved path as the container sees it: "/a/b" */
    char *rel;    /* below the mount's top: "a/b", "." for the top itself */
};

/* Add a mount (the root file system first, at "/"): its destination is resolved through the
 * mounts already added, as the runtime resolves it when it mounts them in this order. Takes fd
 * (-1 with why: a mount berthd cannot reach now, such as a stopped container's tmpfs). */
int cp_fs_add(struct cp_fs *fs, const char *dest, const char *kind, bool rw, int fd,
              const char *leaf, const char *why);
/* Resolve a path as the container would, symlinks read where they are and restarting at the
 * container's root; the last element is followed only with follow_last. Missing elements are
 * kept as they are. A path on a mount that cannot be reached is BT_E_CONFLICT. */
int cp_fs_resolve(const struct cp_fs *fs, const char *path, bool follow_last, struct cp_where *w,
                  bt_err **err);
/* Open (O_PATH) the directory holding w, and give the name of w in it ("." when w is the top of
 * a mounted directory, which the fd then is). Errors are errno codes (ENOENT, ENOTDIR, ELOOP)
 * with "lstat <path>: ..." messages. */
int cp_fs_open_parent(const struct cp_fs *fs, const struct cp_where *w, char **name, bt_err **err);
/* The index of the reachable, visible mount whose destination is exactly path; 0 if none. */
size_t cp_fs_mount_at(const struct cp_fs *fs, const char *path);
void cp_fs_free(struct cp_fs *fs);
void cp_where_clear(struct cp_where *w);

/* archive.c: dockerd's reading of a docker cp path. cp_abs_path: absolute and cleaned, a
 * trailing "/" or "/." kept ("data/." -> "/data/.", "x/" -> "/x/"); cp_base: Go's filepath.Base
 * ("/a/b/" -> "b", "/" -> "/", "/a/." -> "."). */
char *cp_abs_path(const char *path);
char *cp_base(const char *path);

/* network.c: a create's networks, checked (NetworkMode, NetworkingConfig.EndpointsConfig,
 * each endpoint's settings first as dockerd's validateNetworkingConfig checks them: "invalid
 * config for network NAME: invalid endpoint settings:\n...", HostConfig.Links made
 * "/db:alias"), as the record's NetworkSettings (*settings, new). */
int ctr_net_create(struct ctr_manager *m, json_t *host_config, const json_t *body,
                   json_t **settings, bt_err **err);
/* Once the name ("/web") is known: HostConfig.Links "/db:db" becomes "/db:/web/db". */
void ctr_net_name_links(json_t *host_config, const char *name);
/* Whether the container gets a network namespace of its own (not host, not container:X). */
bool ctr_net_own_namespace(const json_t *host_config);
/* Before a start (c->lock held): the namespace, the endpoints, the ports, the links; the
 * record's NetworkSettings filled in. On failure, ctr_net_forget + ctr_net_down undo it. */
int ctr_net_up(struct ctr *c, bt_err **err);
/* At an exit (c->lock held): the record's addresses and ports cleared; returns what
 * ctr_net_down must undo (new reference). */
json_t *ctr_net_forget(struct ctr *c);
/* Without the lock: give the ports and addresses back, remove the namespace. */
void ctr_net_down(struct ctr_manager *m, const char *id, json_t *down);
/* After a start (no lock held): the hosts files of the running containers that link to c get
 * its new address, as dockerd's parent update does. */
void ctr_net_update_parents(struct ctr_manager *m, struct ctr *c);
/* A running container berthd re-adopts (c->lock held): its namespace and host ports again. */
void ctr_net_readopt(struct ctr *c);
/* After every container was loaded: the network store forgets the endpoints and ports of the
 * containers that no longer run. */
void ctr_net_reconcile(struct ctr_manager *m);
/* The links' variables into a process environment, under the ones Config.Env set (dockerd
 * puts them before Config.Env, which wins). */
void ctr_net_add_link_env(const struct ctr *c, char ***env);
/* The hosts file of a container: the defaults, --add-host lines, links, itself. */
char *ctr_net_hosts_text(const struct ctr *c, const json_t *host_config);
