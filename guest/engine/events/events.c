/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/engine/events/events.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static json_t *ring[EVENTS_KEEP];
static uint64_t last; /* the newest event's sequence number; event n is ring[n % KEEP] */

void events_emit_json(const char *type, const char *action, const char *actor_id, json_t *attrs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t nano = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (!attrs)
        attrs = json_object();
    json_t *ev = json_object();
    /* the fields of the API before 1.22, which docker-py and old clients still read */
    if (strcmp(type, "container") == 0 || strcmp(type, "image") == 0) {
        json_object_set_new(ev, "status", json_string(action));
        json_object_set_new(ev, "id", json_string(actor_id ? actor_id : ""));
        json_t *img = json_object_get(attrs, "image");
        if (strcmp(type, "container") == 0 && json_is_string(img))
            json_object_set(ev, "from", img);
    }
    json_object_set_new(ev, "Type", json_string(type));
    json_object_set_new(ev, "Action", json_string(action));
    json_object_set_new(
            ev, "Actor",
            json_pack("{s:s, s:o}", "ID", actor_id ? actor_id : "", "Attributes", attrs));
    json_object_set_new(ev, "scope", json_string("local"));
    json_object_set_new(ev, "time", json_integer(ts.tv_sec));
    json_object_set_new(ev, "timeNano", json_integer(nano));
    pthread_mutex_lock(&mu);
    last++;
    json_decref(ring[last % EVENTS_KEEP]);
    ring[last % EVENTS_KEEP] = ev;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
}

void events_emit(const char *type, const char *action, const char *actor_id,
                 const char *const *attrs)
{
    json_t *a = json_object();
    for (size_t i = 0; attrs && attrs[i]; i += 2) {
        if (!attrs[i + 1])
            continue;
        json_object_set_new(a, attrs[i], json_string(attrs[i + 1]));
    }
    events_emit_json(type, action, actor_id, a);
}

uint64_t events_last_seq(void)
{
    pthread_mutex_lock(&mu);
    uint64_t n = last;
    pthread_mutex_unlock(&mu);
    return n;
}

json_t *events_wait(uint64_t *seq, int timeout_ms)
{
    json_t *out = json_array();
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (timeout_ms > 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
    }
    pthread_mutex_lock(&mu);
    while (last <= *seq && timeout_ms != 0) {
        int rc = timeout_ms < 0 ? pthread_cond_wait(&cond, &mu)
                                : pthread_cond_timedwait(&cond, &mu, &until);
        if (rc == ETIMEDOUT)
            break;
    }
    uint64_t first = *seq + 1;
    if (last >= EVENTS_KEEP && first <= last - EVENTS_KEEP)
        first = last - EVENTS_KEEP + 1;
    for (uint64_t n = first; n <= last; n++)
        json_array_append(out, ring[n % EVENTS_KEEP]);
    if (last > *seq)
        *seq = last;
    pthread_mutex_unlock(&mu);
    return out;
}

void events_reset(void)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < EVENTS_KEEP; i++) {
        json_decref(ring[i]);
        ring[i] = NULL;
    }
    last = 0;
    pthread_mutex_unlock(&mu);
}
