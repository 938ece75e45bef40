/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A generic host's detection output is outside input (whatever the host's shell prints): any
 * bytes parse without a crash, every string kept is a line's value without a newline, and the
 * distribution check answers either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/machine/generic.h"
#include "shared/base/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_newline(const char *s)
{
    if (s && strchr(s, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gen_facts f;
    gen_facts_parse((const char *)data, size, &f);
    no_newline(f.arch);
    no_newline(f.os_name);
    no_newline(f.home);
    no_newline(f.hostname);
    for (size_t i = 0; f.missing && f.missing[i]; i++)
        no_newline(f.missing[i]);
    if (f.uid < -1 || f.dockerd_pid < 0)
        abort();
    bt_autoerr bt_err *err = NULL;
    if (gen_facts_check_distro(&f, &err) < 0 && !err)
        abort();
    if (f.home)
        (void)gen_word_ok(f.home);
    gen_facts_clear(&f);
    return 0;
}
