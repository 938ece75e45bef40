/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Containers: their records, names and life cycle (create, start, stop, kill, wait, remove,
 * rename), their monitors, exec instances and logs.
 *
 * The data model is Docker's own: a container's configuration is kept as the Config and
 * HostConfig objects of the Docker Engine API (merged with the image's defaults at create,
 * as dockerd does), and its record on disk (containers/<id>/container.json) has the shape of
 * `docker inspect`. That keeps inspect faithful, including fields Berth does not act on yet.
 * The HTTP side (api/) shapes responses; this module decides what happens.
 *
 * Processes: a container runs under a berth-monitor (see guest/monitor/monitor.h), which
 * berthd spawns at start and talks to over the control protocol (monproto.h). A supervisor
 * thread watches every monitor and records exits; when berthd starts it re-adopts the monitors
 * that still run and settles the containers whose monitors exited meanwhile.
 *
 * References: ctr_get() returns a counted reference, released with ctr_unref(); a removed
 * container stays valid for those still holding it.
 *
 * Errors use dockerd's wording: "No such container: x" (BT_E_NOT_FOUND), "Conflict. The
 * container name \"/x\" is already in use by container \"<id>\". You have to remove (or
 * rename) that container to be able to reuse that name." (BT_E_CONFLICT), ...
 *
 * Thread safety: every function may be called from any thread.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "guest/engine/runtime/runtime.h"
#include "shared/base/cleanup.h"
#include "shared/base/err.h"

struct image_store;
struct vol_store;
struct net_store;
struct ctr_manager;
struct ctr;

struct ctr_manager_opts {
    const char *data_root;    /* containers/ lives here */
    const char *exec_root;    /* monitors' sockets and runtime files */
    const char *monitor_path; /* the berth-monitor program */
    struct image_store *images;
    struct vol_store *volumes;
    struct net_store *networks; /* NULL: containers get "none" */
};

/* Load every container, re-adopt running monitors, start the supervisor. */
struct ctr_manager *ctr_manager_open(const struct ctr_manager_opts *opts, bt_err **err);
/* Stop supervising (containers keep running) and free everything. */
void ctr_manager_close(struct ctr_manager *m);

/* ---- lookup ---- */

/* By full ID, unique ID prefix, or name (with or without its "/"). Name first for an exact
 * name, as dockerd. */
struct ctr *ctr_get(struct ctr_manager *m, const char *ref, bt_err **err);
struct ctr *ctr_ref(struct ctr *c);
void ctr_unref(struct ctr *c);
BT_DEFINE_AUTOPTR(ctr, struct ctr, ctr_unref);

const char *ctr_id(const struct ctr *c);
/* Emit a container event (docker events) with its name, image and labels and extra "key",
 * "value" pairs ending with NULL (may be NULL): for what the API does with a container
 * (top, commit, archive-path, ...). Takes the container's lock. */
void ctr_emit(struct ctr *c, const char *action, const char *const *extra);

/* A consistent copy of the container's record (the inspect shape: Id, Name, Created, Path,
 * Args, State, Image, Config, HostConfig, RestartCount, ...) plus "LogPath",
 * "ResolvConfPath", "HostnamePath", "HostsPath", "ExecIDs". New reference. */
json_t *ctr_snapshot(struct ctr *c);

/* All containers (references, newest first); free with ctr_list_free(). */
struct ctr **ctr_list(struct ctr_manager *m, size_t *n);
void ctr_list_free(struct ctr **list, size_t n);

/* ---- life cycle ---- */

enum {
    /* A container that lives for one job of the engine's own (a build's RUN, removed after its
     * step): its record is saved without fsync (BT_FILE_NO_SYNC), which is most of a create's
     * cost on a real disk. A crash of the machine can leave it without a record; the engine
     * then skips it on start, as the remains of a failed create. */
    CTR_CREATE_TRANSIENT = 1u << 0,
};

/* Create from a create request's body (Config fields at the top, "HostConfig",
 * "NetworkingConfig"), name optional; flags: CTR_CREATE_*. warnings: NULL-terminated, the
 * caller frees. */
struct ctr *ctr_create(struct ctr_manager *m, const char *name, const json_t *body, unsigned flags,
                       char ***warnings, bt_err **err);

/* Start; BT_E_NOT_MODIFIED when it already runs. Failures of the command set the container's
 * exit status as Docker does (127, 126) and return an error whose wording the docker CLI reads. */
int ctr_start(struct ctr_manager *m, struct ctr *c, bt_err **err);

/* Stop: the stop signal, then SIGKILL after timeout seconds (-1: the container's own
 * StopTimeout, else 10). BT_E_NOT_MODIFIED when it is not running. */
int ctr_stop(struct ctr_manager *m, struct ctr *c, int timeout, bt_err **err);
int ctr_restart(struct ctr_manager *m, struct ctr *c, int timeout, bt_err **err);
/* signal: a name ("KILL", "SIGHUP") or number; NULL is SIGKILL. */
int ctr_kill(struct ctr_manager *m, struct ctr *c, const char *signal, bt_err **err);
/* Freeze all of a running container's processes (docker pause) or thaw them; BT_E_CONFLICT
 * "Container x is not running" / "is already paused" / "is not paused". */
int ctr_pause(struct ctr_manager *m, struct ctr *c, bt_err **err);
int ctr_unpause(struct ctr_manager *m, struct ctr *c, bt_err **err);

enum ctr_wait_condition {
    CTR_WAIT_NOT_RUNNING,
    CTR_WAIT_NEXT_EXIT,
    CTR_WAIT_REMOVED,
};

/* How many times the container has exited: what a next-exit wait counts from. */
uint64_t ctr_exit_generation(struct ctr *c);

/* Wait for the condition; *status gets the exit status. For CTR_WAIT_NEXT_EXIT, the next exit
 * after since (ctr_exit_generation() when the request came: taken later, an exit between the
 * request and the wait would be missed and the wait never end, as docker run's did when its
 * container exited before the waiting thread ran). canceled(arg) is polled about twice a
 * second (a client that went away), and the wait then fails with BT_E_CANCELED. */
int ctr_wait(struct ctr_manager *m, struct ctr *c, enum ctr_wait_condition cond, uint64_t since,
             int *status, bool (*canceled)(void *), void *arg, bt_err **err);

int ctr_remove(struct ctr_manager *m, struct ctr *c, bool force, bool volumes, bt_err **err);
int ctr_rename(struct ctr_manager *m, struct ctr *c, const char *name, bt_err **err);

/* Remove all stopped containers; their IDs are appended to *ids (NULL-terminated). */
int ctr_prune(struct ctr_manager *m, char ***ids, int64_t *reclaimed, bt_err **err);

/* ---- commit ---- */

struct ctr_commit_opts {
    const json_t *config;   /* the request's Config (may be NULL) */
    char *const *changes;   /* Dockerfile instructions (--change), NULL-terminated */
    const char *repo, *tag; /* optional */
    const char *author, *comment;
    bool pause; /* freeze a running container for the while (dockerd's default) */
    /* A build step's commit (dockerd's commitContainer): config is the new image's Config as
     * it is (no merge with the container's, no changes), container_config and created_by are
     * the step's (the cache key and the history line). */
    bool build_step;
    const json_t *container_config;
    const char *created_by;
    /* A build step whose container is removed right after (--rm): its read-write layer becomes
     * the new layer as it is (image_commit_opts.consume_upper). Refused for a running
     * container. */
    bool consume;
};

/* docker commit: the container's changes as a new image (image_commit()), its config the
 * request's merged over the container's, with the changes applied. Returns the image ID. */
char *ctr_commit(struct ctr_manager *m, struct ctr *c, const struct ctr_commit_opts *o,
                 bt_err **err);

/* ---- update ---- */

/* docker update: the body of POST /containers/{id}/update (Resources fields and
 * RestartPolicy) into the container's HostConfig, and into its cgroup while it runs.
 * warnings: NULL-terminated, the caller frees. Errors in dockerd's words: the request's own
 * values (BT_E_INVALID), "Cannot update container ID: ..." (BT_E_CONFLICT for values that do
 * not fit the container's, BT_E_INTERNAL when the cgroup refuses them). */
int ctr_update(struct ctr_manager *m, struct ctr *c, const json_t *body, char ***warnings,
               bt_err **err);
/* dockerd's ValidateRestartPolicy (BT_E_INVALID "invalid restart policy: ..."). */
int ctr_check_restart_policy(const json_t *restart_policy, bt_err **err);

/* ---- diff ---- */

/* dockerd's archive.ChangeType */
enum ctr_change_kind {
    CTR_CHANGE_MODIFY = 0,
    CTR_CHANGE_ADD = 1,
    CTR_CHANGE_DELETE = 2,
};

struct ctr_change {
    char *path; /* absolute in the container: "/etc/passwd" */
    enum ctr_change_kind kind;
};

/* docker diff: the container's changes to its image's file system, in dockerd's order (a walk
 * of the read-write layer, names in byte order, parents first). The engine's own mount points
 * (/etc/hosts, /dev, ...) are not changes. */
int ctr_changes(struct ctr_manager *m, struct ctr *c, struct ctr_change **out, size_t *n,
                bt_err **err);
void ctr_changes_free(struct ctr_change *list, size_t n);

/* ---- attach, resize, top ---- */

struct ctr_attach_opts {
    bool in, out, err;
    bool logs;               /* replay the log first */
    const char *detach_keys; /* "ctrl-p,ctrl-q" form; NULL: the default */
};

struct ctr_attach;

/* Register an attach client before its connection is taken over: the docker CLI starts the
 * container as soon as it sees the 101, and the registration makes the start wait for this
 * client's socket, so no output is lost. Errors (bad detach keys, a container going away)
 * come here, while an HTTP error can still be answered. */
struct ctr_attach *ctr_attach_begin(struct ctr_manager *m, struct ctr *c,
                                    const struct ctr_attach_opts *o, bt_err **err);
/* Serve the client on sock (the hijacked connection; -1 when the takeover failed) until the
 * monitor is done with it: the container ended, the client detached or went away. Attaching
 * to a container that is not running waits for its next start. Frees a. */
void ctr_attach_serve(struct ctr_manager *m, struct ctr *c, struct ctr_attach *a, int sock);
int ctr_resize(struct ctr_manager *m, struct ctr *c, int rows, int cols, bt_err **err);
/* PIDs of the container's processes (host pid namespace). */
int ctr_pids(struct ctr_manager *m, struct ctr *c, pid_t **pids, size_t *n, bt_err **err);

/* ---- logs ---- */

struct ctr_logs_opts {
    bool stdout_, stderr_;
    bool follow;
    bool timestamps;
    long long tail;             /* -1: all */
    int64_t since_ns, until_ns; /* 0: unbounded */
};

/* Write the container's log to fd as the logs endpoint does (multiplexed frames, or raw for a
 * TTY container) until the end, or with follow until the container stops or gone(fd). */
int ctr_logs(struct ctr_manager *m, struct ctr *c, const struct ctr_logs_opts *o, int fd,
             bool (*gone)(int fd), bt_err **err);

/* ---- exec ---- */

/* Create an exec instance from the exec create body; returns its ID (64 hex). */
char *ctr_exec_create(struct ctr_manager *m, struct ctr *c, const json_t *body, bt_err **err);
/* Start it. sock: the hijacked client connection, or -1 (detached). With a client, returns
 * when the process ended and the client got everything. */
int ctr_exec_start(struct ctr_manager *m, const char *exec_id, int sock, bool detach, bt_err **err);
/* The inspect shape of an exec instance (ID, Running, ExitCode, ProcessConfig, OpenStdin,
 * ..., ContainerID, Pid). */
json_t *ctr_exec_inspect(struct ctr_manager *m, const char *exec_id, bt_err **err);
int ctr_exec_resize(struct ctr_manager *m, const char *exec_id, int rows, int cols, bt_err **err);

/* ---- statistics (stats.c) ---- */

/* One sample of `docker stats`. */
struct ctr_stats {
    bool running;              /* false: stopped (or its cgroup is gone); the rest is zero */
    bool removed;              /* the container is gone: a stream of samples ends */
    struct timespec read;      /* CLOCK_REALTIME when it was taken */
    struct rt_cgroup_stats cg; /* the container's cgroup */
    uint64_t system_ns;        /* the host's CPU time (/proc/stat) */
    uint32_t online_cpus;
    bool has_networks;          /* false for the host's and no network (dockerd omits them) */
    struct rt_netdev *networks; /* the container's interfaces but lo */
    size_t nnetworks;
};

/* Take a sample of a running or paused container's use of resources; a stopped one gives
 * running = false and no error. Clear out with ctr_stats_clear(). */
int ctr_stats_sample(struct ctr_manager *m, struct ctr *c, struct ctr_stats *out, bt_err **err);
void ctr_stats_clear(struct ctr_stats *s);

/* The newest sample of c's CPU figures the engine keeps that is at least min_age_ms old, for
 * the precpu_stats of an answer that is not to wait for a second sample: 1 with *out set (only
 * running, read, cg's CPU members, system_ns and online_cpus; clear it with ctr_stats_clear),
 * 0 when there is none. The samples come from a collector thread that takes one of every
 * running container each second while stats were asked for in the last 5 minutes; asking
 * starts it, so the first question of a while finds none. */
int ctr_stats_previous(struct ctr_manager *m, struct ctr *c, int min_age_ms, struct ctr_stats *out);
/* The container's name ("/x"); the caller frees. */
char *ctr_name(struct ctr *c);

/* `docker system df`: the size of the container's writable layer (its overlay upper
 * directory), 0 when it has none. */
int64_t ctr_size_rw(struct ctr *c);

/* ---- for other modules ---- */

/* For the image store's in-use checks: one entry per container (image_user shape). */
struct ctr_image_use {
    char *container_id;
    char *image_id;
    bool running;
};
struct ctr_image_use *ctr_image_uses(struct ctr_manager *m, size_t *n);
void ctr_image_uses_free(struct ctr_image_use *u, size_t n);

/* For the volumes' in-use checks: {"volume name": ["container ID", ...]} of every container
 * that mounts a volume, running or not. New reference. */
json_t *ctr_volume_users(struct ctr_manager *m);

/* ---- networks ---- */

/* `docker network connect`: a running container gets a device on the network at once (the
 * next ethN), a stopped one at its next start. Errors in dockerd's words (`endpoint with name
 * X already exists in network N`, host and container:X modes refused). */
int ctr_net_connect(struct ctr_manager *m, struct ctr *c, const char *network,
                    const json_t *endpoint_config, bt_err **err);
/* `docker network disconnect`: `container ID is not connected to network N`. */
int ctr_net_disconnect(struct ctr_manager *m, struct ctr *c, const char *network, bool force,
                       bt_err **err);
