/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The pure rules of restart policies and health checks, as dockerd's restartmanager and
 * daemon/health.go apply them (no threads, no clock: the callers pass the times). Used by
 * restart.c and health.c; unit-tested on their own.
 *
 * Thread safety: no state of their own; the JSON passed in is the caller's to guard.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "shared/base/err.h"

/* ---- restart policies (HostConfig.RestartPolicy) ---- */

enum ctr_restart_kind {
    CTR_RESTART_NO,
    CTR_RESTART_ALWAYS,
    CTR_RESTART_UNLESS_STOPPED,
    CTR_RESTART_ON_FAILURE,
};

struct ctr_restart_policy {
    enum ctr_restart_kind kind;
    int64_t max_retries; /* on-failure's MaximumRetryCount; 0: no limit */
};

/* The policy of a HostConfig ({"RestartPolicy": {"Name", "MaximumRetryCount"}}); a missing or
 * unknown name is "no". */
struct ctr_restart_policy ctr_restart_policy_of(const json_t *host_config);

#define CTR_RESTART_FIRST_MS 100LL
#define CTR_RESTART_MAX_MS   60000LL
#define CTR_RESTART_RESET_MS 10000LL

/* dockerd's checks of a create's (or update's) HostConfig: a known name, a retry count only
 * with on-failure and never negative, no AutoRemove with a policy. BT_E_INVALID in dockerd's
 * words ("invalid restart policy: unknown policy 'x'; use one of 'no', 'always', 'on-failure',
 * or 'unless-stopped'"). */
int ctr_restart_policy_check(const json_t *host_config, bt_err **err);

/* The next back-off delay: 100 ms at first, doubled at each restart, at most a minute; back
 * to 100 ms when the run that just ended lasted 10 s or more. prev_ms: the last delay (0: none
 * yet). */
int64_t ctr_restart_backoff(int64_t prev_ms, int64_t ran_ms);

/* Whether a container that exited with exit_code is restarted by its policy: always; unless
 * stopped, when the user did not stop it; on failure, for a non-zero status while fewer than
 * max_retries restarts were made (restart_count). */
bool ctr_restart_wanted(const struct ctr_restart_policy *p, int exit_code, bool manually_stopped,
                        int64_t restart_count);

/* ---- health checks (Config.Healthcheck) ---- */

#define CTR_HEALTH_LOG_MAX           5
#define CTR_HEALTH_OUTPUT_MAX        4096
#define CTR_HEALTH_DEFAULT_NS        (30LL * 1000000000) /* interval and timeout */
#define CTR_HEALTH_START_INTERVAL_NS (5LL * 1000000000)  /* dockerd's defaultStartInterval */
#define CTR_HEALTH_RETRIES           3

struct ctr_health_config {
    char **args; /* the command to run: CMD's words, or /bin/sh -c CMD-SHELL's text */
    int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
    int64_t retries;
};

/* The check a Config asks for, its zero values given dockerd's defaults. Returns false (and
 * fills nothing) when there is none: no Healthcheck, an empty Test, or Test ["NONE"]. */
bool ctr_health_config_of(const json_t *config, struct ctr_health_config *h);
void ctr_health_config_clear(struct ctr_health_config *h);

/* dockerd's validateHealthCheck of a create's Config: durations 0 or at least 1ms ("Interval in
 * Healthcheck cannot be less than 1ms"), Retries not negative. BT_E_INVALID. */
int ctr_health_config_check(const json_t *config, bt_err **err);

/* The State.Health object a start begins with: the old one's Log kept, Status "starting",
 * FailingStreak 0 (dockerd's initHealthMonitor). old may be NULL. New reference. */
json_t *ctr_health_initial(const json_t *old);

/* The delay before the next check: the start interval while the container is within its start
 * period and not yet healthy, else the interval. since_start_ns: time since the start. */
int64_t ctr_health_next_delay(const struct ctr_health_config *h, const json_t *health,
                              int64_t since_start_ns);

/* Record one check's result in health (State.Health): the Log keeps the last five, exit code 0
 * makes the container healthy and ends the failing streak; another code counts as a failure
 * unless the container is still "starting" within its start period (started_ns: when it
 * started; start_ns: when the check began), and retries failures in a row make it unhealthy.
 * output is cut at 4096 bytes with "..." as dockerd does. Returns the status when it changed,
 * else NULL (a static string). */
const char *ctr_health_record(json_t *health, const struct ctr_health_config *h, int exit_code,
                              const char *output, size_t output_len, int64_t started_ns,
                              int64_t start_ns, int64_t end_ns);
