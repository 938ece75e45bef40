/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The daemon's own state: its data root (locked, so a second berthd on the same data root
 * refuses to start), its exec root, its pid file and its identity. It opens the engine
 * modules on top of them and closes them again.
 */
#include <stdbool.h>
#include <time.h>

#include "shared/base/err.h"

struct image_store;
struct ctr_manager;
struct vol_store;
struct net_store;

struct daemon_paths {
    const char *data_root;
    const char *exec_root;
    const char *pidfile; /* NULL: none */
    const char *bip;     /* the default bridge's address (--bip), NULL: 172.17.0.1/16 */
    bool no_bridge;      /* --bridge none */
};

struct daemon {
    char *data_root;
    char *exec_root;
    char *pidfile;
    char *id; /* stable across restarts: data_root/engine-id */
    int lock_fd;
    time_t started;
    struct image_store *images;
    struct ctr_manager *containers;
    struct vol_store *volumes;
    struct net_store *networks;
};

/* Take the data root (creating the layout), write the pid file, open the engine modules. */
struct daemon *daemon_open(const struct daemon_paths *paths, bt_err **err);
/* Close the modules (running containers keep running), remove the pid file, drop the lock. */
void daemon_close(struct daemon *d);
