/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* A valid vm_spec for the host/vm unit tests; each test changes what it tests. */
#include <string.h>

#include "host/vm/driver.h"

static inline struct vm_spec fixture_spec(void)
{
    struct vm_spec s;
    memset(&s, 0, sizeof(s));
    s.name = "dev";
    s.store_dir = "/home/u/.berth/machines/dev";
    s.cpus = 2;
    s.memory_mb = 1024;
    s.kernel = "/var/cache/berth/vm/vmlinuz";
    s.initrd = "/var/cache/berth/vm/initrd.img";
    s.cmdline = "console=ttyS0 panic=-1 quiet";
    s.console_log = "/home/u/.berth/machines/dev/console.log";
    s.mac = "02:11:22:33:44:55";
    s.net = VM_NET_NONE;
    s.accel = VM_ACCEL_TCG;
    s.machine = VM_MACHINE_PC;
    return s;
}
