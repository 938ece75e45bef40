/* SPDX-License-Identifier: Apache-2.0 */
/* GET /events: the kept events since a time, then the new ones as they come, one JSON message
 * a line, until `until` or until the client goes (dockerd's behaviour). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/api/events-filter.h"
#include "guest/engine/events/events.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

struct events_job {
    json_t *filters;
    int64_t since, until; /* nanoseconds; 0: not given */
    uint64_t seq;         /* the newest event before the request: the live ones follow it */
    bool replay;          /* a since or an until was given */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Write the events of list that pass (replay: within since..until too); -1 when the client is
 * gone. */
static int send_events(int fd, const struct events_job *j, const json_t *list, bool replay)
{
    size_t i;
    json_t *ev;
    json_array_foreach (list, i, ev) {
        int64_t t = json_integer_value(json_object_get(ev, "timeNano"));
        if (replay && (t < j->since || (j->until && t > j->until)))
            continue;
        if (!api_events_match(j->filters, ev))
            continue;
        bt_autofree char *text = bt_json_dumps(ev);
        bt_autofree char *line = bt_xasprintf("%s\n", text);
        if (bt_fd_write_all(fd, line, strlen(line), NULL) < 0)
            return -1;
    }
    return 0;
}

static void events_producer(int fd, void *arg)
{
    struct events_job *j = arg;
    /* dockerd replays what it keeps only when given a since or an until */
    if (j->replay) {
        uint64_t from = 0;
        bt_autoptr(json_t) kept = events_wait(&from, 0);
        if (send_events(fd, j, kept, true) < 0)
            goto out;
        j->seq = j->seq > from ? j->seq : from;
    }
    for (;;) {
        int64_t left = j->until ? j->until - now_ns() : 500000000;
        if (left <= 0 || api_stream_gone(fd))
            break;
        /* wake up twice a second at least to see a client gone */
        int ms = left > 500000000 ? 500 : (int)(left / 1000000) + 1;
        bt_autoptr(json_t) fresh = events_wait(&j->seq, ms);
        if (send_events(fd, j, fresh, false) < 0)
            break;
    }
out:
    json_decref(j->filters);
    free(j);
}

static int parse_times(struct api_call *call, struct events_job *j, bt_err **err)
{
    const char *since = api_query(call, "since"), *until = api_query(call, "until");
    j->replay = (since && *since) || (until && *until);
    if (api_events_parse_time(since, &j->since, err) < 0 ||
        api_events_parse_time(until, &j->until, err) < 0)
        return -1;
    if (j->until && j->until < j->since)
        return bt_err_set(err, BT_E_INVALID, "`since` time (%s) cannot be after `until` time (%s)",
                          since, until);
    return 0;
}

void api_events(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    struct events_job *j = bt_xzalloc(sizeof(*j));
    j->seq = events_last_seq();
    if (parse_times(call, j, &err) < 0 ||
        !(j->filters = api_events_filters(api_query(call, "filters"), &err))) {
        free(j);
        api_reply_error(call, err);
        return;
    }
    if (api_reply_stream(call, 200, "application/json", events_producer, j) < 0) {
        json_decref(j->filters);
        free(j);
    }
}
