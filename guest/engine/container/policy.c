/* SPDX-License-Identifier: Apache-2.0 */
/* Restart policies and health checks: the pure rules (see policy.h). */
#include <string.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/policy.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

/* ---- restart policies ---- */

struct ctr_restart_policy ctr_restart_policy_of(const json_t *host_config)
{
    const json_t *rp = bt_json_get_obj(host_config, "RestartPolicy");
    const char *name = bt_json_get_str(rp, "Name", "");
    struct ctr_restart_policy p = {CTR_RESTART_NO, 0};
    if (strcmp(name, "always") == 0)
        p.kind = CTR_RESTART_ALWAYS;
    else if (strcmp(name, "unless-stopped") == 0)
        p.kind = CTR_RESTART_UNLESS_STOPPED;
    else if (strcmp(name, "on-failure") == 0)
        p.kind = CTR_RESTART_ON_FAILURE;
    p.max_retries = bt_json_get_int(rp, "MaximumRetryCount", 0);
    return p;
}

int ctr_restart_policy_check(const json_t *host_config, bt_err **err)
{
    const json_t *rp = bt_json_get_obj(host_config, "RestartPolicy");
    const char *name = bt_json_get_str(rp, "Name", "");
    int64_t max = bt_json_get_int(rp, "MaximumRetryCount", 0);
    if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0 ||
        strcmp(name, "no") == 0) {
        if (max != 0)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid restart policy: maximum retry count can only be used "
                              "with 'on-failure'%s",
                              max < 0 ? " and cannot be negative" : "");
    } else if (strcmp(name, "on-failure") == 0) {
        if (max < 0)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid restart policy: maximum retry count cannot be negative");
    } else if (*name) {
        return bt_err_set(err, BT_E_INVALID,
                          "invalid restart policy: unknown policy '%s'; use one of 'no', "
                          "'always', 'on-failure', or 'unless-stopped'",
                          name);
    }
    if (bt_json_get_bool(host_config, "AutoRemove", false) && *name && strcmp(name, "no") != 0)
        return bt_err_set(err, BT_E_INVALID,
                          "can't create 'AutoRemove' container with restart policy");
    return 0;
}

int64_t ctr_restart_backoff(int64_t prev_ms, int64_t ran_ms)
{
    if (ran_ms >= CTR_RESTART_RESET_MS)
        prev_ms = 0;
    int64_t next = prev_ms <= 0 ? CTR_RESTART_FIRST_MS : prev_ms;
    if (prev_ms > 0 && prev_ms < CTR_RESTART_MAX_MS)
        next = prev_ms * 2;
    return next > CTR_RESTART_MAX_MS ? CTR_RESTART_MAX_MS : next;
}

bool ctr_restart_wanted(const struct ctr_restart_policy *p, int exit_code, bool manually_stopped,
                        int64_t restart_count)
{
    switch (p->kind) {
    case CTR_RESTART_ALWAYS:
        return true;
    case CTR_RESTART_UNLESS_STOPPED:
        return !manually_stopped;
    case CTR_RESTART_ON_FAILURE:
        return exit_code != 0 && (p->max_retries <= 0 || restart_count < p->max_retries);
    case CTR_RESTART_NO:
        break;
    }
    return false;
}

/* ---- health checks ---- */

static int64_t duration_or(const json_t *hc, const char *key, int64_t def)
{
    int64_t v = bt_json_get_int(hc, key, 0);
    return v > 0 ? v : def;
}

/* CMD-SHELL's command through the container's shell (Config.Shell, else /bin/sh -c) */
static char **shell_args(const json_t *config, const char *cmd)
{
    char **args = bt_json_to_strv(bt_json_get_arr(config, "Shell"), NULL);
    if (!args || !args[0]) {
        bt_strv_free(args);
        args = bt_xzalloc(sizeof(char *));
        bt_strv_push(&args, "/bin/sh");
        bt_strv_push(&args, "-c");
    }
    bt_strv_push(&args, cmd);
    return args;
}

bool ctr_health_config_of(const json_t *config, struct ctr_health_config *h)
{
    const json_t *hc = bt_json_get_obj(config, "Healthcheck");
    const json_t *test = bt_json_get_arr(hc, "Test");
    const char *kind = json_string_value(json_array_get(test, 0));
    if (!kind || json_array_size(test) < 2)
        return false;
    char **args = NULL;
    if (strcmp(kind, "CMD") == 0) {
        args = bt_xzalloc(sizeof(char *));
        for (size_t i = 1; i < json_array_size(test); i++) {
            const char *a = json_string_value(json_array_get(test, i));
            bt_strv_push(&args, a ? a : "");
        }
    } else if (strcmp(kind, "CMD-SHELL") == 0) {
        const char *cmd = json_string_value(json_array_get(test, 1));
        args = shell_args(config, cmd ? cmd : "");
    } else {
        return false; /* NONE, or what dockerd would not run either */
    }
    h->args = args;
    h->interval_ns = duration_or(hc, "Interval", CTR_HEALTH_DEFAULT_NS);
    h->timeout_ns = duration_or(hc, "Timeout", CTR_HEALTH_DEFAULT_NS);
    h->start_period_ns = duration_or(hc, "StartPeriod", 0);
    h->start_interval_ns = duration_or(hc, "StartInterval", CTR_HEALTH_START_INTERVAL_NS);
    h->retries = duration_or(hc, "Retries", CTR_HEALTH_RETRIES);
    return true;
}

int ctr_health_config_check(const json_t *config, bt_err **err)
{
    const json_t *hc = bt_json_get_obj(config, "Healthcheck");
    static const char *const durations[] = {"Interval", "Timeout", "StartPeriod", "StartInterval",
                                            NULL};
    for (size_t i = 0; hc && durations[i]; i++) {
        int64_t v = bt_json_get_int(hc, durations[i], 0);
        if (v != 0 && v < 1000000)
            return bt_err_set(err, BT_E_INVALID, "%s in Healthcheck cannot be less than 1ms",
                              durations[i]);
    }
    if (bt_json_get_int(hc, "Retries", 0) < 0)
        return bt_err_set(err, BT_E_INVALID, "Retries in Healthcheck cannot be negative");
    return 0;
}

void ctr_health_config_clear(struct ctr_health_config *h)
{
    bt_strv_free(h->args);
    h->args = NULL;
}

json_t *ctr_health_initial(const json_t *old)
{
    const json_t *log = bt_json_get_arr(old, "Log");
    return json_pack("{s:s, s:i, s:o}", "Status", "starting", "FailingStreak", 0, "Log",
                     log ? json_deep_copy(log) : json_array());
}

int64_t ctr_health_next_delay(const struct ctr_health_config *h, const json_t *health,
                              int64_t since_start_ns)
{
    if (since_start_ns >= h->start_period_ns)
        return h->interval_ns;
    if (strcmp(bt_json_get_str(health, "Status", ""), "starting") == 0)
        return h->start_interval_ns;
    return h->interval_ns;
}

/* The output as a JSON string: invalid UTF-8 (which jansson refuses) becomes U+FFFD, as Go's
 * encoder writes it; with more than 4096 bytes, the first 4096 and "..." */
static json_t *output_string(const char *output, size_t len)
{
    bool cut = len > CTR_HEALTH_OUTPUT_MAX;
    size_t keep = cut ? CTR_HEALTH_OUTPUT_MAX : len;
    bt_autofree char *text = bt_xzalloc(keep * 3 + 4);
    memcpy(text, output ? output : "", keep);
    size_t n = keep;
    if (cut) {
        memcpy(text + n, "...", 3);
        n += 3;
    }
    json_t *s = json_stringn(text, n);
    if (s)
        return s;
    size_t o = 0;
    for (size_t i = 0; i < keep; i++) {
        unsigned char ch = (unsigned char)output[i];
        if (ch < 0x80) {
            text[o++] = (char)ch;
        } else {
            memcpy(text + o, "\xEF\xBF\xBD", 3);
            o += 3;
        }
    }
    if (cut) {
        memcpy(text + o, "...", 3);
        o += 3;
    }
    return json_stringn(text, o);
}

static json_t *log_entry(int exit_code, const char *output, size_t len, int64_t start_ns,
                         int64_t end_ns)
{
    bt_autofree char *start = ctr_time_rfc3339(start_ns);
    bt_autofree char *end = ctr_time_rfc3339(end_ns);
    return json_pack("{s:s, s:s, s:i, s:o}", "Start", start, "End", end, "ExitCode", exit_code,
                     "Output", output_string(output, len));
}

const char *ctr_health_record(json_t *health, const struct ctr_health_config *h, int exit_code,
                              const char *output, size_t output_len, int64_t started_ns,
                              int64_t start_ns, int64_t end_ns)
{
    json_t *log = bt_json_get_arr(health, "Log");
    if (!log) {
        log = json_array();
        json_object_set_new(health, "Log", log);
    }
    json_array_append_new(log, log_entry(exit_code, output, output_len, start_ns, end_ns));
    while (json_array_size(log) > CTR_HEALTH_LOG_MAX)
        json_array_remove(log, 0);
    const char *old = bt_json_get_str(health, "Status", "starting");
    const char *now = old;
    int64_t streak = bt_json_get_int(health, "FailingStreak", 0);
    if (exit_code == 0) {
        streak = 0;
        now = "healthy";
    } else if (strcmp(old, "starting") != 0 || start_ns - started_ns >= h->start_period_ns) {
        if (++streak >= h->retries)
            now = "unhealthy";
    }
    bt_json_set_int(health, "FailingStreak", streak);
    if (strcmp(now, old) == 0)
        return NULL;
    /* static strings: the old one lives in the object being changed */
    now = strcmp(now, "healthy") == 0 ? "healthy" : "unhealthy";
    bt_json_set_str(health, "Status", now);
    return now;
}
