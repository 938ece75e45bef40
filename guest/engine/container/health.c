/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HEALTHCHECK: while a container with a Config.Healthcheck runs, a thread of its own runs the
 * test inside it the way `docker exec` does (an exec instance, its output read from a socket
 * handed to the exec's monitor as an attach client), kills it past the timeout, and records the
 * results in State.Health with the rules of policy.c; a change of status is a
 * "health_status: X" event. The thread ends with the run (c->health_seq moves on).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/policy.h"
#include "guest/engine/events/events.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

struct health_job {
    struct ctr *c;
    uint64_t seq;
    struct ctr_health_config cfg;
};

/* One check's outcome. */
struct probe_result {
    int exit_code;
    struct bt_strbuf out; /* stdout and stderr as they came, kept to 4097 bytes */
    size_t total;
    int64_t start_ns, end_ns;
};

/* Go's time.Duration.String for the timeout message ("30s", "1m0s", "500ms", "1.5s") */
static void go_duration(int64_t ns, char *buf, size_t size)
{
    if (ns < 1000000000) {
        snprintf(buf, size, "%gms", (double)ns / 1e6);
        return;
    }
    int64_t h = ns / 3600000000000LL, m = ns / 60000000000LL % 60;
    double s = (double)(ns % 60000000000LL) / 1e9;
    if (h)
        snprintf(buf, size, "%lldh%lldm%gs", (long long)h, (long long)m, s);
    else if (m)
        snprintf(buf, size, "%lldm%gs", (long long)m, s);
    else
        snprintf(buf, size, "%gs", s);
}

/* The exec's client connection, demultiplexed (no terminal: 8-byte headers before chunks). */
struct demux {
    unsigned char hdr[8];
    size_t have;    /* header bytes read */
    size_t payload; /* payload bytes left in the current frame */
};

static void demux_feed(struct demux *d, const char *data, size_t n, struct probe_result *r)
{
    while (n > 0) {
        if (d->payload == 0) {
            d->hdr[d->have++] = (unsigned char)*data++;
            n--;
            if (d->have == 8) {
                d->payload = (size_t)d->hdr[4] << 24 | (size_t)d->hdr[5] << 16 |
                             (size_t)d->hdr[6] << 8 | d->hdr[7];
                d->have = 0;
            }
            continue;
        }
        size_t take = n < d->payload ? n : d->payload;
        size_t room =
                r->out.len <= CTR_HEALTH_OUTPUT_MAX ? CTR_HEALTH_OUTPUT_MAX + 1 - r->out.len : 0;
        bt_strbuf_append_n(&r->out, data, take < room ? take : room);
        r->total += take;
        data += take;
        n -= take;
        d->payload -= take;
    }
}

struct exec_run {
    struct ctr_manager *m;
    char *id;
    int sock;
    bt_err *err;
    int rc;
};

static void *exec_run_main(void *arg)
{
    struct exec_run *x = arg;
    x->rc = ctr_exec_start(x->m, x->id, x->sock, false, &x->err);
    close(x->sock);
    return NULL;
}

/* Read the check's output until it ends or the deadline; false on the deadline (or close). */
static bool read_output(struct ctr_manager *m, int fd, int64_t deadline_ns, struct probe_result *r)
{
    struct demux d = {0};
    for (;;) {
        int64_t left = deadline_ns - ctr_now_ns();
        if (left <= 0 || m->closing)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, left / 1000000 > 200 ? 200 : (int)(left / 1000000) + 1);
        if (n < 0 && errno != EINTR)
            return true;
        if (n <= 0)
            continue;
        char buf[4096];
        ssize_t got = read(fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return true;
        demux_feed(&d, buf, (size_t)got, r);
    }
}

static void probe_fail(struct probe_result *r, const char *msg)
{
    r->exit_code = -1;
    bt_strbuf_truncate(&r->out, 0);
    bt_strbuf_append_n(&r->out, msg, strlen(msg));
    r->total = r->out.len;
}

/* Run the test once in the container (no lock held). */
static void probe(struct ctr *c, const struct ctr_health_config *h, struct probe_result *r)
{
    r->start_ns = ctr_now_ns();
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) body = json_pack("{s:o, s:b, s:b}", "Cmd", bt_json_strv(h->args),
                                        "AttachStdout", true, "AttachStderr", true);
    struct exec_run x = {.m = c->m, .sock = -1};
    x.id = ctr_exec_create(c->m, c, body, &err);
    int sv[2];
    if (!x.id || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        probe_fail(r, x.id ? strerror(errno) : bt_err_msg(err));
        goto out;
    }
    x.sock = sv[1];
    pthread_t t;
    if (pthread_create(&t, NULL, exec_run_main, &x) != 0) {
        close(sv[0]);
        close(sv[1]);
        probe_fail(r, "cannot start the health check");
        goto out;
    }
    bool ended = read_output(c->m, sv[0], r->start_ns + h->timeout_ns, r);
    if (!ended) {
        /* past the timeout: the check's process is killed, as dockerd's context cancels it */
        pid_t pid = ctr_exec_pid(c->m, x.id);
        if (pid > 0)
            kill(pid, SIGKILL);
    }
    close(sv[0]);
    pthread_join(t, NULL);
    if (!ended) {
        char d[32], msg[96];
        go_duration(h->timeout_ns, d, sizeof(d));
        snprintf(msg, sizeof(msg), "Health check exceeded timeout (%s)", d);
        probe_fail(r, msg);
    } else if (x.rc < 0) {
        probe_fail(r, bt_err_msg(x.err));
    } else {
        bt_autoptr(json_t) ins = ctr_exec_inspect(c->m, x.id, NULL);
        json_t *code = json_object_get(ins, "ExitCode");
        r->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
    }
    bt_err_free(x.err);
out:
    if (x.id)
        ctr_exec_drop(c->m, x.id);
    free(x.id);
    r->end_ns = ctr_now_ns();
}

/* The event of a status change, with the container's name, image and labels (c->lock held). */
static void emit_status(struct ctr *c, const char *status)
{
    json_t *attrs = json_object();
    const json_t *cfg = bt_json_get_obj(c->rec, "Config");
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)bt_json_get_obj(cfg, "Labels"), key, v) {
        if (json_is_string(v))
            json_object_set(attrs, key, v);
    }
    bt_json_set_str(attrs, "image", bt_json_get_str(cfg, "Image", ""));
    bt_json_set_str(attrs, "name", c->name && c->name[0] == '/' ? c->name + 1 : "");
    bt_autofree char *action = bt_xasprintf("health_status: %s", status);
    events_emit_json("container", action, c->id, attrs);
}

static bool job_live(const struct health_job *j)
{
    return j->c->health_seq == j->seq && !j->c->removed && !j->c->m->closing;
}

/* Wait (c->lock held) until the next check is due; false when the run ended. */
static bool wait_next(struct health_job *j)
{
    struct ctr *c = j->c;
    json_t *health = bt_json_get_obj(bt_json_get_obj(c->rec, "State"), "Health");
    int64_t due =
            ctr_now_ns() + ctr_health_next_delay(&j->cfg, health, ctr_now_ns() - c->started_ns);
    while (job_live(j)) {
        int64_t left = due - ctr_now_ns();
        if (left <= 0)
            return true;
        ctr_timed_wait(c, left / 1000000 + 1);
    }
    return false;
}

static void *health_main(void *arg)
{
    struct health_job *j = arg;
    struct ctr *c = j->c;
    pthread_mutex_lock(&c->lock);
    while (wait_next(j)) {
        if (c->status != CTR_RUNNING)
            continue; /* paused: no checks until it runs again */
        struct probe_result r = {.out = BT_STRBUF_INIT};
        pthread_mutex_unlock(&c->lock);
        probe(c, &j->cfg, &r);
        pthread_mutex_lock(&c->lock);
        json_t *health = bt_json_get_obj(bt_json_get_obj(c->rec, "State"), "Health");
        if (job_live(j) && health) {
            const char *changed = ctr_health_record(health, &j->cfg, r.exit_code, r.out.buf,
                                                    r.total, c->started_ns, r.start_ns, r.end_ns);
            ctr_save_state(c, NULL);
            if (changed)
                emit_status(c, changed);
        }
        bt_strbuf_free(&r.out);
    }
    pthread_mutex_unlock(&c->lock);
    ctr_health_config_clear(&j->cfg);
    ctr_worker_end(c->m);
    ctr_unref(c);
    free(j);
    return NULL;
}

void ctr_health_start(struct ctr *c)
{
    struct health_job *j = bt_xzalloc(sizeof(*j));
    if (!ctr_health_config_of(bt_json_get_obj(c->rec, "Config"), &j->cfg)) {
        free(j);
        return;
    }
    json_t *st = bt_json_get_obj(c->rec, "State");
    json_object_set_new(st, "Health", ctr_health_initial(bt_json_get_obj(st, "Health")));
    j->c = ctr_ref(c);
    j->seq = ++c->health_seq;
    ctr_worker_begin(c->m);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, health_main, j) != 0) {
        bt_error("cannot start the health checks of container %s", c->id);
        ctr_health_config_clear(&j->cfg);
        ctr_worker_end(c->m);
        ctr_unref(c);
        free(j);
    }
    pthread_attr_destroy(&at);
}
