/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /containers/{id}/stats: samples of the container module shaped as dockerd's StatsJSON
 * (moby api/types/container/stats.go), so that the docker CLI and docker-py compute the same
 * figures from them:
 *  - CPU %: (cpu_stats.cpu_usage.total_usage - precpu's) / (system_cpu_usage - precpu's)
 *    * online_cpus * 100. precpu_stats is the previous sample's cpu_stats: zeros on the first
 *    object of a stream. With stream=false dockerd takes one sample, waits for the next (a
 *    second later) and answers that one, so that the figure is not 0. Berth answers at once
 *    with a sample its collector kept (ctr_stats_previous: at most a second old) as precpu,
 *    and when it has none yet waits NO_STREAM_WINDOW_MS (the host's CPU time is counted to
 *    the nanosecond, see rt_host_cpu, so a tenth of a second measures as well). one-shot=true
 *    answers the first sample at once, with that kept sample as precpu when there is one
 *    (dockerd's has none). one-shot=true
 * answers the first sample at once, without precpu.
 *  - memory: usage less memory_stats.stats "total_inactive_file" (v1) or "inactive_file" (v2);
 *    the limit is the host's memory when the cgroup's is higher (no limit set).
 * A container that is not running gives only its name and ID with everything else zero, as
 * dockerd's collector publishes for one; a stream goes on with those once a second, and ends
 * when the container is removed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/container/container.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

#define CTRS(call) (api_ctx(call)->containers)

/* RFC 3339 with nanoseconds, as Go's time.Time marshals; the zero time for none. */
static json_t *timestamp(const struct timespec *ts)
{
    if (ts->tv_sec == 0)
        return json_string("0001-01-01T00:00:00Z");
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    char head[32];
    strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
    char buf[64];
    snprintf(buf, sizeof(buf), "%s.%09ldZ", head, ts->tv_nsec);
    return json_string(buf);
}

static json_t *cpu_json(const struct ctr_stats *s)
{
    json_t *usage = json_object();
    bt_json_set_int(usage, "total_usage", (int64_t)s->cg.cpu_total);
    if (s->cg.npercpu) {
        json_t *per = json_array();
        for (size_t i = 0; i < s->cg.npercpu; i++)
            json_array_append_new(per, json_integer((json_int_t)s->cg.percpu[i]));
        json_object_set_new(usage, "percpu_usage", per);
    }
    bt_json_set_int(usage, "usage_in_kernelmode", (int64_t)s->cg.cpu_system);
    bt_json_set_int(usage, "usage_in_usermode", (int64_t)s->cg.cpu_user);
    json_t *cpu = json_object();
    json_object_set_new(cpu, "cpu_usage", usage);
    if (s->system_ns)
        bt_json_set_int(cpu, "system_cpu_usage", (int64_t)s->system_ns);
    if (s->online_cpus)
        bt_json_set_int(cpu, "online_cpus", s->online_cpus);
    json_object_set_new(cpu, "throttling_data",
                        json_pack("{s:I, s:I, s:I}", "periods", (json_int_t)s->cg.periods,
                                  "throttled_periods", (json_int_t)s->cg.throttled_periods,
                                  "throttled_time", (json_int_t)s->cg.throttled_ns));
    return cpu;
}

static uint64_t host_memory(void)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0)
        return 0;
    return (uint64_t)si.totalram * si.mem_unit;
}

/* The memory.stat keys dockerd reports (moby daemon_unix.go statsV1/statsV2, from containerd's
 * cgroup statistics): always all of them, 0 where the kernel has none, and no others. */
/* clang-format off */
static const char *const memory_keys_v1[] = {
        "cache", "rss", "rss_huge", "mapped_file", "dirty", "writeback", "pgpgin", "pgpgout",
        "pgfault", "pgmajfault", "inactive_anon", "active_anon", "inactive_file", "active_file",
        "unevictable", "hierarchical_memory_limit", "hierarchical_memsw_limit", "total_cache",
        "total_rss", "total_rss_huge", "total_mapped_file", "total_dirty", "total_writeback",
        "total_pgpgin", "total_pgpgout", "total_pgfault", "total_pgmajfault",
        "total_inactive_anon", "total_active_anon", "total_inactive_file", "total_active_file",
        "total_unevictable", NULL};
static const char *const memory_keys_v2[] = {
        "anon", "file", "kernel_stack", "slab", "sock", "shmem", "file_mapped", "file_dirty",
        "file_writeback", "anon_thp", "inactive_anon", "active_anon", "inactive_file",
        "active_file", "unevictable", "slab_reclaimable", "slab_unreclaimable", "pgfault",
        "pgmajfault", "workingset_refault", "workingset_activate", "workingset_nodereclaim",
        "pgrefill", "pgscan", "pgsteal", "pgactivate", "pgdeactivate", "pglazyfree",
        "pglazyfreed", "thp_fault_alloc", "thp_collapse_alloc", NULL};
/* clang-format on */

static json_t *memory_stat_json(const struct ctr_stats *s)
{
    const char *const *keys = s->cg.version == 2 ? memory_keys_v2 : memory_keys_v1;
    json_t *st = json_object();
    for (size_t i = 0; keys[i]; i++)
        bt_json_set_int(st, keys[i],
                        (int64_t)rt_kv_get(s->cg.mem_stat, s->cg.nmem_stat, keys[i], 0));
    return st;
}

/* Every field but stats is omitted when 0 (omitempty), as dockerd does. */
static json_t *memory_json(const struct ctr_stats *s)
{
    json_t *mem = json_object();
    if (!s->running)
        return mem;
    if (s->cg.mem_usage)
        bt_json_set_int(mem, "usage", (int64_t)s->cg.mem_usage);
    if (s->cg.mem_max_usage)
        bt_json_set_int(mem, "max_usage", (int64_t)s->cg.mem_max_usage);
    json_object_set_new(mem, "stats", memory_stat_json(s));
    if (s->cg.mem_failcnt)
        bt_json_set_int(mem, "failcnt", (int64_t)s->cg.mem_failcnt);
    uint64_t limit = s->cg.mem_limit;
    uint64_t host = host_memory();
    if (host && limit > host)
        limit = host;
    if (limit)
        bt_json_set_int(mem, "limit", (int64_t)limit);
    return mem;
}

static json_t *blkio_json(const struct ctr_stats *s)
{
    json_t *bytes = json_null();
    if (s->cg.nblkio) {
        bytes = json_array();
        for (size_t i = 0; i < s->cg.nblkio; i++) {
            const struct rt_blkio *b = &s->cg.blkio[i];
            json_array_append_new(bytes,
                                  json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t)b->major,
                                            "minor", (json_int_t)b->minor, "op", b->op, "value",
                                            (json_int_t)b->value));
        }
    }
    static const char *const others[] = {"io_serviced_recursive",     "io_queue_recursive",
                                         "io_service_time_recursive", "io_wait_time_recursive",
                                         "io_merged_recursive",       "io_time_recursive",
                                         "sectors_recursive",         NULL};
    json_t *blkio = json_object();
    json_object_set_new(blkio, "io_service_bytes_recursive", bytes);
    for (size_t i = 0; others[i]; i++)
        json_object_set_new(blkio, others[i], json_null());
    return blkio;
}

static json_t *networks_json(const struct ctr_stats *s)
{
    json_t *nets = json_object();
    for (size_t i = 0; i < s->nnetworks; i++) {
        const struct rt_netdev *d = &s->networks[i];
        json_object_set_new(
                nets, d->name,
                json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_bytes",
                          (json_int_t)d->rx_bytes, "rx_packets", (json_int_t)d->rx_packets,
                          "rx_errors", (json_int_t)d->rx_errors, "rx_dropped",
                          (json_int_t)d->rx_dropped, "tx_bytes", (json_int_t)d->tx_bytes,
                          "tx_packets", (json_int_t)d->tx_packets, "tx_errors",
                          (json_int_t)d->tx_errors, "tx_dropped", (json_int_t)d->tx_dropped));
    }
    return nets;
}

/* One StatsJSON object: cur, with prev's CPU figures as precpu_stats (prev may be zeros). */
static json_t *stats_json(const char *name, const char *id, const struct ctr_stats *cur,
                          const struct ctr_stats *prev)
{
    json_t *v = json_object();
    json_object_set_new(v, "read", timestamp(&cur->read));
    json_object_set_new(v, "preread", timestamp(&prev->read));
    json_t *pids = json_object();
    if (cur->cg.pids_current)
        bt_json_set_int(pids, "current", (int64_t)cur->cg.pids_current);
    if (cur->cg.pids_limit)
        bt_json_set_int(pids, "limit", (int64_t)cur->cg.pids_limit);
    json_object_set_new(v, "pids_stats", pids);
    json_object_set_new(v, "blkio_stats", blkio_json(cur));
    bt_json_set_int(v, "num_procs", 0);
    json_object_set_new(v, "storage_stats", json_object());
    json_object_set_new(v, "cpu_stats", cpu_json(cur));
    json_object_set_new(v, "precpu_stats", cpu_json(prev));
    json_object_set_new(v, "memory_stats", memory_json(cur));
    bt_json_set_str(v, "name", name);
    bt_json_set_str(v, "id", id);
    if (cur->has_networks && cur->nnetworks)
        json_object_set_new(v, "networks", networks_json(cur));
    return v;
}

struct stats_job {
    struct ctr_manager *m;
    struct ctr *c;
    bool stream;
    bool one_shot;
};

static int emit(int fd, struct ctr *c, const struct ctr_stats *cur, const struct ctr_stats *prev)
{
    bt_autofree char *name = ctr_name(c);
    json_t *v = stats_json(name, ctr_id(c), cur, prev);
    bt_autofree char *text = bt_json_dumps(v);
    json_decref(v);
    bt_autofree char *line = bt_xasprintf("%s\n", text);
    return bt_fd_write_all(fd, line, strlen(line), NULL);
}

/* stream=false: the time between the two samples */
#define NO_STREAM_WINDOW_MS 100

/* Sleep ms milliseconds, in steps of at most 100, so that a client that went away is
 * noticed. */
static bool wait_ms(int fd, int ms)
{
    for (; ms > 0; ms -= 100) {
        if (api_stream_gone(fd))
            return false;
        usleep((useconds_t)(ms < 100 ? ms : 100) * 1000);
    }
    return !api_stream_gone(fd);
}

static bool wait_second(int fd)
{
    return wait_ms(fd, 1000);
}

/* A sample that cannot be taken reads as a stopped container's, as dockerd's collector
 * publishes one when its read fails; the reason goes to the log. */
static void take(struct stats_job *j, struct ctr_stats *out)
{
    bt_autoerr bt_err *err = NULL;
    if (ctr_stats_sample(j->m, j->c, out, &err) < 0) {
        bt_log(BT_LOG_WARN, "stats of %s: %s", ctr_id(j->c), bt_err_msg(err));
        *out = (struct ctr_stats){0};
    }
}

static void stats_producer(int fd, void *arg)
{
    struct stats_job *j = arg;
    struct ctr_stats prev = {0}, cur = {0};
    take(j, &cur);
    if (!j->stream && j->one_shot && cur.running) {
        /* dockerd's one-shot has no precpu; a sample the engine kept does no harm there and
         * gives a CPU % without a second request (berth stats --no-stream) */
        if (ctr_stats_previous(j->m, j->c, NO_STREAM_WINDOW_MS, &prev) != 1 ||
            prev.cg.cpu_total > cur.cg.cpu_total || prev.system_ns >= cur.system_ns)
            ctr_stats_clear(&prev);
    } else if (!j->stream && cur.running) {
        /* a sample the engine kept (at most a second old, at least the window) as precpu;
         * none, or one from before a restart (whose counters start again): the window */
        bool kept = ctr_stats_previous(j->m, j->c, NO_STREAM_WINDOW_MS, &prev) == 1 &&
                    prev.cg.cpu_total <= cur.cg.cpu_total && prev.system_ns < cur.system_ns;
        if (!kept) {
            ctr_stats_clear(&prev);
            if (wait_ms(fd, NO_STREAM_WINDOW_MS)) {
                prev = cur;
                take(j, &cur);
            }
        }
    }
    while (emit(fd, j->c, &cur, &prev) == 0 && j->stream && wait_second(fd)) {
        ctr_stats_clear(&prev);
        prev = cur;
        /* a stopped container's objects carry no previous figures either */
        if (!prev.running)
            ctr_stats_clear(&prev);
        take(j, &cur);
        /* dockerd ends the stream of a container that was removed */
        if (cur.removed)
            break;
    }
    ctr_stats_clear(&prev);
    ctr_stats_clear(&cur);
    ctr_unref(j->c);
    free(j);
}

void api_container_stats(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(ctr) c = ctr_get(CTRS(call), api_param(call, 0), &err);
    if (!c) {
        api_reply_error(call, err);
        return;
    }
    bool stream = api_query_bool(call, "stream", true);
    bool one_shot = api_query_bool(call, "one-shot", false);
    if (stream && one_shot) {
        bt_err_set(&err, BT_E_INVALID, "cannot have stream=true and one-shot=true");
        api_reply_error(call, err);
        return;
    }
    struct stats_job *j = bt_xzalloc(sizeof(*j));
    j->m = CTRS(call);
    j->c = bt_steal_ptr(&c);
    j->stream = stream;
    j->one_shot = one_shot;
    if (api_reply_stream(call, 200, "application/json", stats_producer, j) < 0) {
        ctr_unref(j->c);
        free(j);
    }
}
