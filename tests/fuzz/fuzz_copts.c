/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The options of `berth run`/`create` as a user types them (-v, --mount, --volumes-from,
 * --tmpfs, -e, -l, --memory, -p, --expose, --network and its long syntax, --link, --dns,
 * --add-host, --mac-address, --device, ...): the input is the argument list, one per line.
 * Parsing and building the create body either succeed, with a body that is an object with a
 * HostConfig, or fail with a message; nothing may touch memory it does not own. Flags that read
 * files (--env-file, --label-file) are left out: their input is a file, not the command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096 || memchr(data, 0, size))
        return 0;
    bt_autofree char *text = bt_xstrndup((const char *)data, size);
    if (strstr(text, "-file"))
        return 0;
    char *args[65];
    int argc = 0;
    char *save = NULL;
    for (char *a = strtok_r(text, "\n", &save); a && argc < 64; a = strtok_r(NULL, "\n", &save))
        args[argc++] = a;
    args[argc] = NULL;
    struct copts o;
    memset(&o, 0, sizeof(o));
    bt_autofree struct bt_flag *flags = copts_flags(&o);
    struct bt_flagset fs = {.usage = "berth run", .flags = flags};
    o.fs = &fs;
    bt_autofree char **pos = NULL;
    bt_err *err = NULL;
    int rc = bt_flags_parse(&fs, argc, args, &pos, &err);
    if (rc == 0) {
        json_t *body = copts_build(&o, "busybox", pos, &err);
        if (body) {
            if (!json_is_object(json_object_get(body, "HostConfig")))
                abort();
            json_decref(body);
        } else if (!err || !*bt_err_msg(err)) {
            abort(); /* a refusal always says why */
        }
    } else if (rc < 0 && (!err || !*bt_err_msg(err))) {
        abort();
    }
    bt_err_free(err);
    copts_clear(&o);
    return 0;
}
