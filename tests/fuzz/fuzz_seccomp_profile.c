/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A seccomp profile in Docker's format, as `docker run --security-opt seccomp=FILE` sends it
 * (any bytes): rt_docker_seccomp_profile resolves it for two capability sets, and whatever it
 * accepts goes through the runtime's own parser of OCI's linux.seccomp, as at a container's
 * start. Each either succeeds or fails with a message; none may touch memory it does not own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bt_autofree char *text = bt_xstrndup((const char *)data, size);
    const char *none[] = {NULL};
    const char *const *sets[] = {none, rt_docker_default_caps};
    for (size_t i = 0; i < 2; i++) {
        bt_err *err = NULL;
        json_t *p = rt_docker_seccomp_profile(text, sets[i], &err);
        if (p) {
            struct rt_seccomp *s = rt_seccomp_parse(p, "linux.seccomp", &err);
            rt_seccomp_free(s);
            json_decref(p);
        }
        bt_err_free(err);
    }
    return 0;
}
