/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The Docker Engine API of berthd: the route table and the context handlers work in.
 * Handlers live in api-<area>.c; they translate between Docker's JSON and the engine modules
 * (image/, container/), which know nothing of HTTP or Docker's field names.
 */
#include <stdint.h>
#include <time.h>

#include "guest/engine/api/server.h"

struct image_store;
struct ctr_manager;
struct vol_store;
struct net_store;

/* What /info and /version report about this daemon. */
struct api_daemon_info {
    const char *id;        /* a stable daemon ID (kept in the data root) */
    const char *data_root; /* DockerRootDir */
    const char *exec_root;
    bool debug;
    time_t started;
};

struct api_context {
    struct image_store *images;
    struct ctr_manager *containers;
    struct vol_store *volumes;
    struct net_store *networks;
    struct registry *registry;
    const struct api_daemon_info *info;
};

/* The routes berthd serves (ending with a NULL pattern). */
extern const struct api_route api_routes[];

/* handlers, by area */
void api_ping(struct api_call *call);
void api_build(struct api_call *call);
void api_build_prune(struct api_call *call);
void api_version_handler(struct api_call *call);
void api_info(struct api_call *call);
void api_system_df(struct api_call *call);
