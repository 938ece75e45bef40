/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What berth cp reads from an engine besides the tar (which fuzz_tar_extract covers): the
 * X-Docker-Container-Path-Stat header, base64 of JSON. It either parses or fails with a
 * message; it may not touch memory it does not own.
 */
#include <stdint.h>
#include <stdlib.h>

#include "host/copy/copy.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bt_autofree char *header = bt_xstrndup((const char *)data, size);
    struct copy_stat st;
    bt_err *err = NULL;
    if (copy_stat_parse(header, &st, &err) == 0)
        copy_stat_clear(&st);
    bt_err_free(err);
    return 0;
}
