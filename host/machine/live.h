/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * What `berth machine` asks of a running machine, and of its driver, through a table of
 * callbacks that the code owning the drivers (host/vm, wired in by the CLI) fills in. The store
 * (machine.h) never calls a driver itself, so it builds and is tested without one.
 *
 * Until a table is given, machine_live_none() stands in: it knows no state (every call fails
 * with BT_E_UNSUPPORTED), and the commands show what the store alone knows (`ls` prints the
 * state "Unknown").
 */
#include <stdbool.h>

#include "host/machine/machine.h"
#include "shared/base/err.h"

/* docker-machine's states (libmachine/state), printed with their names; UNKNOWN is Berth's,
 * for "no driver could be asked". */
enum machine_state {
    MACHINE_STATE_NONE,
    MACHINE_STATE_RUNNING,
    MACHINE_STATE_PAUSED,
    MACHINE_STATE_SAVED,
    MACHINE_STATE_STOPPED,
    MACHINE_STATE_STOPPING,
    MACHINE_STATE_STARTING,
    MACHINE_STATE_ERROR,
    MACHINE_STATE_TIMEOUT,
    MACHINE_STATE_UNKNOWN,
};

/* "", "Running", "Paused", "Saved", "Stopped", "Stopping", "Starting", "Error", "Timeout",
 * "Unknown". */
const char *machine_state_name(enum machine_state s);

struct machine_live {
    void *ctx;
    /* The VM's state from its driver (libvirt's domain state, the qemu pid file...). Called
     * with the machine loaded but not locked. Must answer within timeout_ms. */
    int (*state)(void *ctx, const struct machine *m, int timeout_ms, enum machine_state *out,
                 bt_err **err);
    /* The engine's version as GET /version over TLS at machine_url() with the machine's
     * certificates answers it ("28.0.1"); the caller frees. Called for running machines only.
     * NULL: the DOCKER column says "Unknown". */
    char *(*engine_version)(void *ctx, const struct machine *m, int timeout_ms, bt_err **err);
    /* Remove the VM (domain, processes, network attachments it alone used) before the store
     * forgets it (`rm`); the machine's directory is removed by the caller afterwards. Called
     * with the machine's lock held. NULL: nothing to remove. With purge (`rm --purge`, the
     * generic driver's hosts), Berth's data on the host goes too. */
    int (*remove)(void *ctx, const struct machine *m, bool purge, bt_err **err);
    /* Put freshly issued TLS files to work on a running machine (`regenerate-certs`): copy
     * them over SSH and restart berthd, whose containers keep running. Called with the lock
     * held. NULL or BT_E_UNSUPPORTED: the files take effect at the next start, whose config
     * disk carries them. */
    int (*apply_certs)(void *ctx, const struct machine *m, bt_err **err);
};

/* The stand-in table: no driver to ask. */
const struct machine_live *machine_live_none(void);
