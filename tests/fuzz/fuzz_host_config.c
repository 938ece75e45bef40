/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HostConfig fields a client sends for --ulimit, --device, --restart and --log-opt
 * (oci-host.c, update.c, logopts.c): any JSON object either fails with a message or gives rlimits
 * whose soft limit is not above the hard one, and devices with an allow rule each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/oci.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must_fail_with_message(bt_err *e)
{
    if (!e || !*bt_err_msg(e))
        abort();
    bt_err_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    json_t *hc = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(hc)) {
        json_decref(hc);
        return 0;
    }
    bt_err *e = NULL;
    json_t *rl = NULL;
    if (oci_rlimits(hc, NULL, &rl, &e) < 0) {
        must_fail_with_message(e);
    } else {
        size_t i;
        json_t *r;
        json_array_foreach (rl, i, r) {
            uint64_t soft = (uint64_t)json_integer_value(json_object_get(r, "soft"));
            uint64_t hard = (uint64_t)json_integer_value(json_object_get(r, "hard"));
            if (soft > hard || strncmp(bt_json_get_str(r, "type", ""), "RLIMIT_", 7) != 0)
                abort();
        }
        json_decref(rl);
    }
    e = NULL;
    json_t *devs = json_array(), *rules = json_array();
    if (oci_devices(hc, devs, rules, &e) < 0)
        must_fail_with_message(e);
    else if (json_array_size(devs) != json_array_size(rules))
        abort();
    json_decref(devs);
    json_decref(rules);
    e = NULL;
    if (ctr_check_restart_policy(json_object_get(hc, "RestartPolicy"), &e) < 0)
        must_fail_with_message(e);
    /* --log-opt: the keys at create, the sizes at start */
    const json_t *lc = bt_json_get_obj(hc, "LogConfig");
    e = NULL;
    if (ctr_log_check_opts(lc, &e) < 0)
        must_fail_with_message(e);
    int64_t max_size = 0;
    int max_files = 0;
    e = NULL;
    if (ctr_log_limits(lc, &max_size, &max_files, &e) < 0)
        must_fail_with_message(e);
    else if ((max_size != -1 && max_size <= 0) || max_files < 1 || (max_size < 0 && max_files != 1))
        abort();
    json_decref(hc);
    return 0;
}
