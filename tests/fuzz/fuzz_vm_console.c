/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a guest writes on its serial console, and what QEMU answers on QMP, are outside input to
 * host/vm: any bytes must give either a timeout or a line that starts at the marker and holds no
 * control characters; the console's tail holds none either but its newlines; each QMP line is
 * an event, a return or an error with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/vm/console.h"
#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s, bool newlines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(newlines && *p == '\n')) || *p == 0x7f)
            abort();
}

static void console(const uint8_t *data, size_t size)
{
    int fd = memfd_create("console", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    bt_autofree char *line = NULL;
    bt_autoerr bt_err *err = NULL;
    int r = vm_console_wait(path, "berth-stage: init", 0, &line, &err);
    if (r == 0) {
        if (!line || strncmp(line, "berth-stage: init", 17) != 0 || err)
            abort();
        check_clean(line, false);
    } else if (!err || (line && strncmp(line, VM_CONSOLE_ERROR_MARKER, 12) != 0)) {
        abort();
    }
    bt_autofree char *tail = vm_console_tail(path, 5, NULL);
    if (!tail)
        abort();
    check_clean(tail, true);
    close(fd);
}

static void qmp(const uint8_t *data, size_t size)
{
    bt_autofree char *text = bt_xstrndup((const char *)data, size);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *ret = NULL;
        bt_autoerr bt_err *err = NULL;
        int r = vm_qmp_parse_reply(line, &ret, &err);
        if ((r < 0) != (err != NULL) || (r != 0 && ret) || r < -1 || r > 1)
            abort();
        json_decref(ret);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    console(data, size);
    qmp(data, size);
    return 0;
}
