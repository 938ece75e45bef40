/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Removing a container's directory in the background: `docker rm` (and `docker run --rm`,
 * which waits for the removal) should not wait for a disk to unlink every file of a
 * container, which on a disk mounted with discard costs milliseconds each. The directory is
 * renamed into <data-root>/trash (one rename, atomic) and a thread deletes what is there; the
 * trash left by a crash is emptied when berthd starts again.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"

static void empty_trash(struct ctr_manager *m)
{
    DIR *d = opendir(m->trash_dir);
    if (!d)
        return;
    char **names = bt_xzalloc(sizeof(char *));
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            bt_strv_push(&names, de->d_name);
    closedir(d);
    for (size_t i = 0; names[i]; i++) {
        bt_autofree char *p = bt_xasprintf("%s/%s", m->trash_dir, names[i]);
        bt_autoerr bt_err *err = NULL;
        if (bt_rm_rf(p, &err) < 0)
            bt_warn("trash: %s", bt_err_msg(err));
    }
    bt_strv_free(names);
}

static void *trash_main(void *arg)
{
    struct ctr_manager *m = arg;
    pthread_mutex_lock(&m->trash_lock);
    for (;;) {
        while (!m->trash_pending && !m->trash_stop)
            pthread_cond_wait(&m->trash_cond, &m->trash_lock);
        if (m->trash_stop)
            break;
        m->trash_pending = false;
        pthread_mutex_unlock(&m->trash_lock);
        empty_trash(m);
        pthread_mutex_lock(&m->trash_lock);
    }
    pthread_mutex_unlock(&m->trash_lock);
    return NULL;
}

int ctr_trash_start(struct ctr_manager *m, bt_err **err)
{
    m->trash_dir = bt_xasprintf("%s/trash", m->data_root);
    if (bt_mkdir_p(m->trash_dir, 0700, err) < 0)
        return -1;
    pthread_mutex_init(&m->trash_lock, NULL);
    pthread_cond_init(&m->trash_cond, NULL);
    m->trash_pending = true; /* whatever a crash left */
    if (pthread_create(&m->trash_thread, NULL, trash_main, m) != 0)
        return bt_err_set(err, BT_E_INTERNAL, "cannot start the trash thread");
    m->trash_started = true;
    return 0;
}

void ctr_trash_stop(struct ctr_manager *m)
{
    if (!m->trash_started)
        return;
    pthread_mutex_lock(&m->trash_lock);
    m->trash_stop = true;
    pthread_cond_signal(&m->trash_cond);
    pthread_mutex_unlock(&m->trash_lock);
    pthread_join(m->trash_thread, NULL);
    m->trash_started = false;
}

int ctr_trash(struct ctr_manager *m, const char *path, bt_err **err)
{
    bt_autofree char *suffix = bt_random_hex(4);
    bt_autofree char *base =
            strrchr(path, '/') ? bt_xstrdup(strrchr(path, '/') + 1) : bt_xstrdup(path);
    bt_autofree char *dest = bt_xasprintf("%s/%s-%s", m->trash_dir, base, suffix);
    if (rename(path, dest) < 0) {
        if (errno == ENOENT)
            return 0;
        /* not on the same file system (or no trash): delete it here and now */
        return bt_rm_rf(path, err);
    }
    pthread_mutex_lock(&m->trash_lock);
    m->trash_pending = true;
    pthread_cond_signal(&m->trash_cond);
    pthread_mutex_unlock(&m->trash_lock);
    return 0;
}
