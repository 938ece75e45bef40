/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The KVM probe (docs/design/machine.md, "Drivers"): /dev/kvm opening proves little (nested
 * KVM can fail to run a stock kernel, or crawl: docs in /work/shared/notes), so the probe boots
 * the image's kernel and initrd under KVM with plain QEMU and the command line
 * "console=ttyS0 panic=-1 quiet berth.probe=1", and KVM counts only when the guest prints
 * "berth-stage: init" within the timeout (10 s). Otherwise the answer is TCG, with the reason.
 *
 * The answer is cached in ~/.berth/cache/accel.json, keyed by the kernel (its release, read
 * from the bzImage header, or for other files their size and mtime) and by the host's boot id
 * (/proc/sys/kernel/random/boot_id): a reboot, a new kernel module or a new image probes again.
 *
 * Thread safety: may be called from any thread; two processes probing at once both boot, and
 * the cache keeps the last answer written (writes are atomic).
 */
#include <stdbool.h>

#include "host/vm/driver.h"
#include "shared/base/err.h"

#define VM_PROBE_CMDLINE    "console=ttyS0 panic=-1 quiet berth.probe=1"
#define VM_PROBE_MARKER     "berth-stage: init"
#define VM_PROBE_TIMEOUT_MS 10000

struct vm_probe_opts {
    const char *kernel; /* the image's kernel */
    const char *initrd; /* the image's initrd, whose init knows berth.probe=1 */
    const char *cache;  /* NULL: $HOME/.berth/cache/accel.json */
    const char *qemu;   /* NULL: qemu-system-x86_64 on PATH */
    int timeout_ms;     /* 0: VM_PROBE_TIMEOUT_MS */
    bool refresh;       /* probe even when the cache has an answer (and store the new one) */
};

struct vm_probe_result {
    enum vm_accel accel;
    bool cached;      /* the answer came from the cache */
    double seconds;   /* how long the probe boot took to print the marker (KVM), or ran */
    char reason[512]; /* why TCG: "/dev/kvm: No such file or directory", "no ... in 10 s" */
};

/* Probe (or read the cache). Fails only when the probe cannot be made at all (no kernel, no
 * QEMU, an unreadable cache is not a failure: it is probed again); a failed KVM boot is an
 * answer (TCG), not an error. */
int vm_accel_probe(const struct vm_probe_opts *opts, struct vm_probe_result *out, bt_err **err);

/* The cache key of a kernel: its release ("6.1.0-56-amd64") when the file is a bzImage that
 * names it, else "size:SIZE:mtime:MTIME". The caller frees. */
char *vm_kernel_key(const char *kernel, bt_err **err);
