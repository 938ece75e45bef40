/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A create request's Config.Healthcheck and HostConfig.RestartPolicy as the engine reads them
 * (policy.h): the input is a JSON object (the Config, with "HostConfig" inside for the
 * policy), a NUL, then bytes a check printed. Reading them either finds a check, with a
 * command, or none; recording results keeps State.Health an object with a Log of at most five
 * entries whose Output is at most 4096 bytes and "..."; nothing may touch memory it does not
 * own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/container/policy.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t jlen = nul ? (size_t)(nul - data) : size;
    const char *out = nul ? (const char *)nul + 1 : "";
    size_t olen = nul ? size - jlen - 1 : 0;
    bt_autoptr(json_t) cfg = bt_json_parse_object((const char *)data, jlen, NULL);
    if (!cfg)
        return 0;
    struct ctr_restart_policy p = ctr_restart_policy_of(bt_json_get_obj(cfg, "HostConfig"));
    (void)ctr_restart_wanted(&p, (int)olen, olen % 2, (int64_t)olen);
    struct ctr_health_config h;
    if (!ctr_health_config_of(cfg, &h))
        return 0;
    if (!h.args || h.retries <= 0 || h.interval_ns <= 0 || h.timeout_ns <= 0)
        abort();
    bt_autoptr(json_t) health = ctr_health_initial(bt_json_get_obj(cfg, "Health"));
    for (int i = 0; i < 7; i++)
        ctr_health_record(health, &h, i % 3 - 1, out, olen, 0, i, i + 1);
    json_t *log = bt_json_get_arr(health, "Log");
    if (!log || json_array_size(log) > CTR_HEALTH_LOG_MAX)
        abort();
    const char *o = bt_json_get_str(json_array_get(log, 0), "Output", NULL);
    if (!o || strlen(o) > CTR_HEALTH_OUTPUT_MAX * 3 + 3)
        abort();
    (void)ctr_health_next_delay(&h, health, (int64_t)olen);
    ctr_health_config_clear(&h);
    return 0;
}
