/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capabilities by name, and setting them on the calling process with the raw system calls
 * (capset(2), prctl(2)): five sets of at most 64 bits need no library.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/engine/runtime/runtime-internal.h"

/* Indexed by capability number (linux/capability.h). */
static const char *const cap_names[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

#define N_CAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int rt_cap_from_name(const char *name)
{
    for (int i = 0; i < N_CAPS; i++) {
        if (strcasecmp(name, cap_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *rt_cap_name(int cap)
{
    return cap >= 0 && cap < N_CAPS ? cap_names[cap] : NULL;
}

int rt_cap_last(void)
{
    static int last = -1;
    if (last < 0) {
        /* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability. */
        int c = 0;
        while (c < 63 && prctl(PR_CAPBSET_READ, (unsigned long)c + 1, 0, 0, 0) >= 0)
            c++;
        last = c;
    }
    return last;
}

/* The capabilities this kernel has; bits beyond them make capset(2) fail. */
static uint64_t known_mask(void)
{
    int last = rt_cap_last();
    return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

int rt_caps_apply_bounding(uint64_t bounding, bt_err **err)
{
    int last = rt_cap_last();
    for (int c = 0; c <= last; c++) {
        if (bounding & (UINT64_C(1) << c))
            continue;
        if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0 && errno != EINVAL)
            return bt_err_errno(err, errno, "drop %s from the bounding set",
                                rt_cap_name(c) ? rt_cap_name(c) : "capability");
    }
    return 0;
}

int rt_caps_apply(const struct rt_caps *c, bt_err **err)
{
    uint64_t mask = known_mask();
    uint64_t eff = c->effective & mask, prm = c->permitted & mask, inh = c->inheritable & mask;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {
            {(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
            {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
    };
    if (syscall(SYS_capset, &hdr, data) < 0)
        return bt_err_errno(err, errno, "set capabilities");

    /* Ambient capabilities survive execve for a non-root user; each must already be
     * permitted and inheritable. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return bt_err_errno(err, errno, "clear ambient capabilities");
    uint64_t amb = c->ambient & mask;
    for (int i = 0; i < 64; i++) {
        if (!(amb & (UINT64_C(1) << i)))
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)i, 0, 0) < 0)
            return bt_err_errno(err, errno, "raise ambient %s", rt_cap_name(i));
    }
    return 0;
}
