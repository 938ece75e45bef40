/* SPDX-License-Identifier: Apache-2.0 */
/* The workers of a pull or a push: indexes handed out in order, the first error stops them. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "guest/engine/registry/registry-internal.h"
#include "shared/base/mem.h"

#define MAX_WORKERS 16

struct jobs {
    pthread_mutex_t mu;
    size_t n, next;
    bool (*skip)(void *, size_t);
    int (*job)(void *, CURL *, size_t, bt_err **);
    void *ctx;
    bt_err *err;
};

static void *worker(void *arg)
{
    struct jobs *j = arg;
    CURL *c = reg_curl();
    for (;;) {
        pthread_mutex_lock(&j->mu);
        while (j->skip && j->next < j->n && j->skip(j->ctx, j->next))
            j->next++;
        size_t i = j->next++;
        bool stop = j->err != NULL || i >= j->n;
        pthread_mutex_unlock(&j->mu);
        if (stop)
            break;
        bt_err *e = NULL;
        if (j->job(j->ctx, c, i, &e) < 0) {
            pthread_mutex_lock(&j->mu);
            if (!j->err)
                j->err = e;
            else
                bt_err_free(e);
            pthread_mutex_unlock(&j->mu);
        }
    }
    curl_easy_cleanup(c);
    return NULL;
}

size_t reg_workers(int max, size_t todo)
{
    size_t n = max > 0 ? (size_t)max : 1;
    if (n > todo)
        n = todo;
    return n > MAX_WORKERS ? MAX_WORKERS : n;
}

int reg_run_jobs(size_t n, size_t nworkers, bool (*skip)(void *, size_t),
                 int (*job)(void *, CURL *, size_t, bt_err **), void *ctx, bt_err **err)
{
    struct jobs j = {.n = n, .skip = skip, .job = job, .ctx = ctx};
    pthread_mutex_init(&j.mu, NULL);
    if (nworkers > MAX_WORKERS)
        nworkers = MAX_WORKERS;
    pthread_t th[MAX_WORKERS];
    size_t started = 0;
    for (; started < nworkers; started++)
        if (pthread_create(&th[started], NULL, worker, &j) != 0)
            break;
    if (nworkers && !started)
        worker(&j);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&j.mu);
    if (j.err) {
        bt_err_move(err, &j.err);
        return -1;
    }
    return 0;
}

const char *reg_short_id(const char *digest, char out[13])
{
    const char *hex = strchr(digest, ':');
    snprintf(out, 13, "%.12s", hex ? hex + 1 : digest);
    return out;
}

char *reg_abs_url(const struct reg_session *s, const char *location)
{
    return strncmp(location, "http", 4) == 0 ? bt_xstrdup(location)
                                             : bt_xasprintf("%s%s", s->base, location);
}
