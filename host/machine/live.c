/* SPDX-License-Identifier: Apache-2.0 */
/* Machine states by name, and the stand-in for the drivers until host/vm provides them. */
#include "host/machine/live.h"

const char *machine_state_name(enum machine_state s)
{
    static const char *const names[] = {
            [MACHINE_STATE_NONE] = "",
            [MACHINE_STATE_RUNNING] = "Running",
            [MACHINE_STATE_PAUSED] = "Paused",
            [MACHINE_STATE_SAVED] = "Saved",
            [MACHINE_STATE_STOPPED] = "Stopped",
            [MACHINE_STATE_STOPPING] = "Stopping",
            [MACHINE_STATE_STARTING] = "Starting",
            [MACHINE_STATE_ERROR] = "Error",
            [MACHINE_STATE_TIMEOUT] = "Timeout",
            [MACHINE_STATE_UNKNOWN] = "Unknown",
    };
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "";
}

static int no_state(void *ctx, const struct machine *m, int timeout_ms, enum machine_state *out,
                    bt_err **err)
{
    *out = MACHINE_STATE_UNKNOWN;
    return bt_err_set(err, BT_E_UNSUPPORTED,
                      "the VM drivers are not part of this build yet: the state of machine "
                      "\"%s\" is unknown",
                      m->name);
}

const struct machine_live *machine_live_none(void)
{
    static const struct machine_live none = {.state = no_state};
    return &none;
}
