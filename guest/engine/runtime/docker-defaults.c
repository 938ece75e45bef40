/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker's defaults, as data: the capabilities, masked and read-only paths of moby's
 * daemon/pkg/oci (defaults.go, caps/defaults.go), and its default seccomp profile
 * (github.com/moby/profiles, seccomp/default.json) with the same filtering moby applies before
 * handing the profile to the runtime (setupSeccomp in seccomp_linux.go): an entry is kept when
 * every capability it "includes" is in the bounding set, none it "excludes" is, the
 * architecture matches and the kernel is recent enough.
 *
 * Keep in step with moby: the allow-list grows with new kernels' system calls.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

const char *const rt_docker_default_caps[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
        NULL,
};

/* moby also masks /sys/devices/system/cpu/cpuN/thermal_throttle for each CPU where it exists;
 * that list depends on the host, so the engine adds it. */
const char *const rt_docker_masked_paths[] = {
        "/proc/acpi",
        "/proc/asound",
        "/proc/interrupts",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/sys/devices/virtual/powercap",
        "/sys/firmware",
        NULL,
};

const char *const rt_docker_readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* The first entry of the profile: allowed for everyone. */
static const char *const allowed[] = {"accept",
                                      "accept4",
                                      "access",
                                      "adjtimex",
                                      "alarm",
                                      "bind",
                                      "brk",
                                      "cachestat",
                                      "capget",
                                      "capset",
                                      "chdir",
                                      "chmod",
                                      "chown",
                                      "chown32",
                                      "clock_adjtime",
                                      "clock_adjtime64",
                                      "clock_getres",
                                      "clock_getres_time64",
                                      "clock_gettime",
                                      "clock_gettime64",
                                      "clock_nanosleep",
                                      "clock_nanosleep_time64",
                                      "close",
                                      "close_range",
                                      "connect",
                                      "copy_file_range",
                                      "creat",
                                      "dup",
                                      "dup2",
                                      "dup3",
                                      "epoll_create",
                                      "epoll_create1",
                                      "epoll_ctl",
                                      "epoll_ctl_old",
                                      "epoll_pwait",
                                      "epoll_pwait2",
                                      "epoll_wait",
                                      "epoll_wait_old",
                                      "eventfd",
                                      "eventfd2",
                                      "execve",
                                      "execveat",
                                      "exit",
                                      "exit_group",
                                      "faccessat",
                                      "faccessat2",
                                      "fadvise64",
                                      "fadvise64_64",
                                      "fallocate",
                                      "fanotify_mark",
                                      "fchdir",
                                      "fchmod",
                                      "fchmodat",
                                      "fchmodat2",
                                      "fchown",
                                      "fchown32",
                                      "fchownat",
                                      "fcntl",
                                      "fcntl64",
                                      "fdatasync",
                                      "fgetxattr",
                                      "flistxattr",
                                      "flock",
                                      "fork",
                                      "fremovexattr",
                                      "fsetxattr",
                                      "fstat",
                                      "fstat64",
                                      "fstatat64",
                                      "fstatfs",
                                      "fstatfs64",
                                      "fsync",
                                      "ftruncate",
                                      "ftruncate64",
                                      "futex",
                                      "futex_requeue",
                                      "futex_time64",
                                      "futex_wait",
                                      "futex_waitv",
                                      "futex_wake",
                                      "futimesat",
                                      "getcpu",
                                      "getcwd",
                                      "getdents",
                                      "getdents64",
                                      "getegid",
                                      "getegid32",
                                      "geteuid",
                                      "geteuid32",
                                      "getgid",
                                      "getgid32",
                                      "getgroups",
                                      "getgroups32",
                                      "getitimer",
                                      "getpeername",
                                      "getpgid",
                                      "getpgrp",
                                      "getpid",
                                      "getppid",
                                      "getpriority",
                                      "getrandom",
                                      "getresgid",
                                      "getresgid32",
                                      "getresuid",
                                      "getresuid32",
                                      "getrlimit",
                                      "get_robust_list",
                                      "getrusage",
                                      "getsid",
                                      "getsockname",
                                      "getsockopt",
                                      "get_thread_area",
                                      "gettid",
                                      "gettimeofday",
                                      "getuid",
                                      "getuid32",
                                      "getxattr",
                                      "getxattrat",
                                      "inotify_add_watch",
                                      "inotify_init",
                                      "inotify_init1",
                                      "inotify_rm_watch",
                                      "io_cancel",
                                      "ioctl",
                                      "io_destroy",
                                      "io_getevents",
                                      "io_pgetevents",
                                      "io_pgetevents_time64",
                                      "ioprio_get",
                                      "ioprio_set",
                                      "io_setup",
                                      "io_submit",
                                      "ipc",
                                      "kill",
                                      "landlock_add_rule",
                                      "landlock_create_ruleset",
                                      "landlock_restrict_self",
                                      "lchown",
                                      "lchown32",
                                      "lgetxattr",
                                      "link",
                                      "linkat",
                                      "listen",
                                      "listmount",
                                      "listxattr",
                                      "listxattrat",
                                      "llistxattr",
                                      "_llseek",
                                      "lremovexattr",
                                      "lseek",
                                      "lsetxattr",
                                      "lstat",
                                      "lstat64",
                                      "madvise",
                                      "map_shadow_stack",
                                      "membarrier",
                                      "memfd_create",
                                      "memfd_secret",
                                      "mincore",
                                      "mkdir",
                                      "mkdirat",
                                      "mknod",
                                      "mknodat",
                                      "mlock",
                                      "mlock2",
                                      "mlockall",
                                      "mmap",
                                      "mmap2",
                                      "mprotect",
                                      "mq_getsetattr",
                                      "mq_notify",
                                      "mq_open",
                                      "mq_timedreceive",
                                      "mq_timedreceive_time64",
                                      "mq_timedsend",
                                      "mq_timedsend_time64",
                                      "mq_unlink",
                                      "mremap",
                                      "mseal",
                                      "msgctl",
                                      "msgget",
                                      "msgrcv",
                                      "msgsnd",
                                      "msync",
                                      "munlock",
                                      "munlockall",
                                      "munmap",
                                      "name_to_handle_at",
                                      "nanosleep",
                                      "newfstatat",
                                      "_newselect",
                                      "open",
                                      "openat",
                                      "openat2",
                                      "pause",
                                      "pidfd_open",
                                      "pidfd_send_signal",
                                      "pipe",
                                      "pipe2",
                                      "pkey_alloc",
                                      "pkey_free",
                                      "pkey_mprotect",
                                      "poll",
                                      "ppoll",
                                      "ppoll_time64",
                                      "prctl",
                                      "pread64",
                                      "preadv",
                                      "preadv2",
                                      "prlimit64",
                                      "process_mrelease",
                                      "pselect6",
                                      "pselect6_time64",
                                      "pwrite64",
                                      "pwritev",
                                      "pwritev2",
                                      "read",
                                      "readahead",
                                      "readlink",
                                      "readlinkat",
                                      "readv",
                                      "recv",
                                      "recvfrom",
                                      "recvmmsg",
                                      "recvmmsg_time64",
                                      "recvmsg",
                                      "remap_file_pages",
                                      "removexattr",
                                      "removexattrat",
                                      "rename",
                                      "renameat",
                                      "renameat2",
                                      "restart_syscall",
                                      "riscv_hwprobe",
                                      "rmdir",
                                      "rseq",
                                      "rt_sigaction",
                                      "rt_sigpending",
                                      "rt_sigprocmask",
                                      "rt_sigqueueinfo",
                                      "rt_sigreturn",
                                      "rt_sigsuspend",
                                      "rt_sigtimedwait",
                                      "rt_sigtimedwait_time64",
                                      "rt_tgsigqueueinfo",
                                      "sched_getaffinity",
                                      "sched_getattr",
                                      "sched_getparam",
                                      "sched_get_priority_max",
                                      "sched_get_priority_min",
                                      "sched_getscheduler",
                                      "sched_rr_get_interval",
                                      "sched_rr_get_interval_time64",
                                      "sched_setaffinity",
                                      "sched_setattr",
                                      "sched_setparam",
                                      "sched_setscheduler",
                                      "sched_yield",
                                      "seccomp",
                                      "select",
                                      "semctl",
                                      "semget",
                                      "semop",
                                      "semtimedop",
                                      "semtimedop_time64",
                                      "send",
                                      "sendfile",
                                      "sendfile64",
                                      "sendmmsg",
                                      "sendmsg",
                                      "sendto",
                                      "setfsgid",
                                      "setfsgid32",
                                      "setfsuid",
                                      "setfsuid32",
                                      "setgid",
                                      "setgid32",
                                      "setgroups",
                                      "setgroups32",
                                      "setitimer",
                                      "setpgid",
                                      "setpriority",
                                      "setregid",
                                      "setregid32",
                                      "setresgid",
                                      "setresgid32",
                                      "setresuid",
                                      "setresuid32",
                                      "setreuid",
                                      "setreuid32",
                                      "setrlimit",
                                      "set_robust_list",
                                      "setsid",
                                      "setsockopt",
                                      "set_thread_area",
                                      "set_tid_address",
                                      "setuid",
                                      "setuid32",
                                      "setxattr",
                                      "setxattrat",
                                      "shmat",
                                      "shmctl",
                                      "shmdt",
                                      "shmget",
                                      "shutdown",
                                      "sigaltstack",
                                      "signalfd",
                                      "signalfd4",
                                      "sigprocmask",
                                      "sigreturn",
                                      "socketcall",
                                      "socketpair",
                                      "splice",
                                      "stat",
                                      "stat64",
                                      "statfs",
                                      "statfs64",
                                      "statmount",
                                      "statx",
                                      "symlink",
                                      "symlinkat",
                                      "sync",
                                      "sync_file_range",
                                      "syncfs",
                                      "sysinfo",
                                      "tee",
                                      "tgkill",
                                      "time",
                                      "timer_create",
                                      "timer_delete",
                                      "timer_getoverrun",
                                      "timer_gettime",
                                      "timer_gettime64",
                                      "timer_settime",
                                      "timer_settime64",
                                      "timerfd_create",
                                      "timerfd_gettime",
                                      "timerfd_gettime64",
                                      "timerfd_settime",
                                      "timerfd_settime64",
                                      "times",
                                      "tkill",
                                      "truncate",
                                      "truncate64",
                                      "ugetrlimit",
                                      "umask",
                                      "uname",
                                      "unlink",
                                      "unlinkat",
                                      "uretprobe",
                                      "utime",
                                      "utimensat",
                                      "utimensat_time64",
                                      "utimes",
                                      "vfork",
                                      "vmsplice",
                                      "wait4",
                                      "waitid",
                                      "waitpid",
                                      "write",
                                      "writev",
                                      NULL};

struct profile_entry {
    const char *const *names;
    const char *action;
    int errno_ret; /* 0: none */
    struct {
        int index; /* 0 with op NULL: no condition */
        uint64_t value;
        const char *op;
    } arg;
    const char *const *inc_caps;
    const char *const *inc_arches;
    const char *min_kernel;
    const char *const *exc_caps;
    const char *const *exc_arches;
};

/* The other entries, in the profile's order. Arch names are Go's (GOARCH after moby's
 * goToNative): amd64, x86, x32, arm, arm64, ppc64le, s390, s390x, riscv64. */
static const struct profile_entry entries[] = {
        {.names = (const char *const[]){"process_vm_readv", "process_vm_writev", "ptrace", NULL},
         .action = "SCMP_ACT_ALLOW",
         .min_kernel = "4.8"},
        {.names = (const char *const[]){"socket", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 38ULL, "SCMP_CMP_LT"}},
        {.names = (const char *const[]){"socket", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 39ULL, "SCMP_CMP_EQ"}},
        {.names = (const char *const[]){"socket", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 40ULL, "SCMP_CMP_GT"}},
        {.names = (const char *const[]){"personality", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 0ULL, "SCMP_CMP_EQ"}},
        {.names = (const char *const[]){"personality", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 8ULL, "SCMP_CMP_EQ"}},
        {.names = (const char *const[]){"personality", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 131072ULL, "SCMP_CMP_EQ"}},
        {.names = (const char *const[]){"personality", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 131080ULL, "SCMP_CMP_EQ"}},
        {.names = (const char *const[]){"personality", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 4294967295ULL, "SCMP_CMP_EQ"}},
        {.names = (const char *const[]){"sync_file_range2", "swapcontext", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_arches = (const char *const[]){"ppc64le", NULL}},
        {.names = (const char *const[]){"arm_fadvise64_64", "arm_sync_file_range",
                                        "sync_file_range2", "breakpoint", "cacheflush", "set_tls",
                                        NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_arches = (const char *const[]){"arm", "arm64", NULL}},
        {.names = (const char *const[]){"arch_prctl", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_arches = (const char *const[]){"amd64", "x32", NULL}},
        {.names = (const char *const[]){"modify_ldt", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_arches = (const char *const[]){"amd64", "x32", "x86", NULL}},
        {.names = (const char *const[]){"s390_pci_mmio_read", "s390_pci_mmio_write",
                                        "s390_runtime_instr", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_arches = (const char *const[]){"s390", "s390x", NULL}},
        {.names = (const char *const[]){"riscv_flush_icache", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_arches = (const char *const[]){"riscv64", NULL}},
        {.names = (const char *const[]){"open_by_handle_at", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_DAC_READ_SEARCH", NULL}},
        {.names = (const char *const[]){"bpf",
                                        "clone",
                                        "clone3",
                                        "fanotify_init",
                                        "fsconfig",
                                        "fsmount",
                                        "fsopen",
                                        "fspick",
                                        "lookup_dcookie",
                                        "lsm_get_self_attr",
                                        "lsm_list_modules",
                                        "lsm_set_self_attr",
                                        "mount",
                                        "mount_setattr",
                                        "move_mount",
                                        "open_tree",
                                        "perf_event_open",
                                        "quotactl",
                                        "quotactl_fd",
                                        "setdomainname",
                                        "sethostname",
                                        "setns",
                                        "syslog",
                                        "umount",
                                        "umount2",
                                        "unshare",
                                        NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_ADMIN", NULL}},
        {.names = (const char *const[]){"clone", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {0, 2114060288ULL, "SCMP_CMP_MASKED_EQ"},
         .exc_caps = (const char *const[]){"CAP_SYS_ADMIN", NULL},
         .exc_arches = (const char *const[]){"s390", "s390x", NULL}},
        {.names = (const char *const[]){"clone", NULL},
         .action = "SCMP_ACT_ALLOW",
         .arg = {1, 2114060288ULL, "SCMP_CMP_MASKED_EQ"},
         .inc_arches = (const char *const[]){"s390", "s390x", NULL},
         .exc_caps = (const char *const[]){"CAP_SYS_ADMIN", NULL}},
        {.names = (const char *const[]){"clone3", NULL},
         .action = "SCMP_ACT_ERRNO",
         .errno_ret = 38,
         .exc_caps = (const char *const[]){"CAP_SYS_ADMIN", NULL}},
        {.names = (const char *const[]){"reboot", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_BOOT", NULL}},
        {.names = (const char *const[]){"chroot", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_CHROOT", NULL}},
        {.names = (const char *const[]){"delete_module", "init_module", "finit_module", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_MODULE", NULL}},
        {.names = (const char *const[]){"acct", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_PACCT", NULL}},
        {.names = (const char *const[]){"kcmp", "pidfd_getfd", "process_madvise",
                                        "process_vm_readv", "process_vm_writev", "ptrace", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_PTRACE", NULL}},
        {.names = (const char *const[]){"iopl", "ioperm", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_RAWIO", NULL}},
        {.names = (const char *const[]){"settimeofday", "stime", "clock_settime", "clock_settime64",
                                        NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_TIME", NULL}},
        {.names = (const char *const[]){"vhangup", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_TTY_CONFIG", NULL}},
        {.names = (const char *const[]){"get_mempolicy", "mbind", "set_mempolicy",
                                        "set_mempolicy_home_node", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYS_NICE", NULL}},
        {.names = (const char *const[]){"syslog", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_SYSLOG", NULL}},
        {.names = (const char *const[]){"bpf", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_BPF", NULL}},
        {.names = (const char *const[]){"perf_event_open", NULL},
         .action = "SCMP_ACT_ALLOW",
         .inc_caps = (const char *const[]){"CAP_PERFMON", NULL}},
};

/* This build's architecture in moby's words, and the seccomp architectures its archMap gives
 * it (the native one and those it can run, such as 32-bit x86 on x86_64). */
#if defined(__x86_64__) && !defined(__ILP32__)
#define NATIVE_ARCH "amd64"
static const char *const arch_map[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};
#elif defined(__aarch64__)
#define NATIVE_ARCH "arm64"
static const char *const arch_map[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL};
#elif defined(__s390x__)
#define NATIVE_ARCH "s390x"
static const char *const arch_map[] = {"SCMP_ARCH_S390X", "SCMP_ARCH_S390", NULL};
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH "riscv64"
static const char *const arch_map[] = {"SCMP_ARCH_RISCV64", NULL};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH "ppc64le"
static const char *const arch_map[] = {NULL};
#elif defined(__i386__)
#define NATIVE_ARCH "x86"
static const char *const arch_map[] = {NULL};
#elif defined(__arm__)
#define NATIVE_ARCH "arm"
static const char *const arch_map[] = {NULL};
#else
#error "rt_docker_default_seccomp: unknown architecture"
#endif

const char *rt_seccomp_go_arch(void)
{
    return NATIVE_ARCH;
}

const char *const *rt_seccomp_arch_map(void)
{
    return arch_map;
}

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], s) == 0)
            return true;
    }
    return false;
}

static bool has_cap(const char *const *caps, const char *name)
{
    for (size_t i = 0; caps && caps[i]; i++) {
        if (rt_cap_from_name(caps[i]) == rt_cap_from_name(name))
            return true;
    }
    return false;
}

/* True when the running kernel is at least "major.minor". */
static bool kernel_at_least(const char *version)
{
    struct utsname u;
    int want_major = 0, want_minor = 0, major = 0, minor = 0;
    if (sscanf(version, "%d.%d", &want_major, &want_minor) < 1 || uname(&u) < 0 ||
        sscanf(u.release, "%d.%d", &major, &minor) < 1)
        return false;
    return major > want_major || (major == want_major && minor >= want_minor);
}

static bool entry_applies(const struct profile_entry *e, const char *const *caps)
{
    if (e->exc_arches && in_list(e->exc_arches, NATIVE_ARCH))
        return false;
    for (size_t i = 0; e->exc_caps && e->exc_caps[i]; i++) {
        if (has_cap(caps, e->exc_caps[i]))
            return false;
    }
    if (e->inc_arches && !in_list(e->inc_arches, NATIVE_ARCH))
        return false;
    for (size_t i = 0; e->inc_caps && e->inc_caps[i]; i++) {
        if (!has_cap(caps, e->inc_caps[i]))
            return false;
    }
    return !e->min_kernel || kernel_at_least(e->min_kernel);
}

static json_t *syscall_object(const char *const *names, const char *action, int errno_ret)
{
    json_t *o = json_object();
    json_object_set_new(o, "names", bt_json_strv((char *const *)names));
    bt_json_set_str(o, "action", action);
    if (errno_ret)
        bt_json_set_int(o, "errnoRet", errno_ret);
    return o;
}

json_t *rt_docker_default_seccomp(const char *const *caps)
{
    json_t *profile = json_object();
    bt_json_set_str(profile, "defaultAction", "SCMP_ACT_ERRNO");
    bt_json_set_int(profile, "defaultErrnoRet", 1); /* EPERM */
    json_object_set_new(profile, "architectures", bt_json_strv((char *const *)arch_map));
    json_t *syscalls = json_array();
    json_array_append_new(syscalls, syscall_object(allowed, "SCMP_ACT_ALLOW", 0));
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        const struct profile_entry *e = &entries[i];
        if (!entry_applies(e, caps))
            continue;
        json_t *o = syscall_object(e->names, e->action, e->errno_ret);
        if (e->arg.op) {
            json_t *arg = json_object();
            bt_json_set_int(arg, "index", e->arg.index);
            json_object_set_new(arg, "value", json_integer((json_int_t)e->arg.value));
            bt_json_set_str(arg, "op", e->arg.op);
            json_t *args = json_array();
            json_array_append_new(args, arg);
            json_object_set_new(o, "args", args);
        }
        json_array_append_new(syscalls, o);
    }
    json_object_set_new(profile, "syscalls", syscalls);
    return profile;
}

/* ---- profiles in Docker's format (--security-opt seccomp=FILE) ---- */

static int profile_error(bt_err **err, const char *what)
{
    return bt_err_set(err, BT_E_INVALID, "Decoding seccomp profile failed: %s", what);
}

/* A member that must be a list of strings when present; true when every item is. */
static bool is_str_list(const json_t *v)
{
    size_t i;
    const json_t *s;
    if (!json_is_array(v))
        return false;
    json_array_foreach (v, i, s) {
        if (!json_is_string(s))
            return false;
    }
    return true;
}

static bool list_has(const json_t *list, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach (list, i, v) {
        if (strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

/* Checks the "includes" or "excludes" filter f; 1 when it names this container (one of its
 * arches is ours, one of its caps is held, the kernel is at least minKernel: moby's
 * excludes), or for includes when all of it does (the arches hold ours, every cap is held,
 * the kernel is new enough); -1 on a bad filter. An empty filter matches nothing for
 * excludes and everything for includes. */
static int filter_matches(const json_t *f, bool include, const char *const *caps, bt_err **err)
{
    if (!f || json_is_null(f))
        return include ? 1 : 0;
    const json_t *arches = json_object_get(f, "arches"), *fcaps = json_object_get(f, "caps");
    const json_t *kernel = json_object_get(f, "minKernel");
    if (!json_is_object(f) || (arches && !json_is_null(arches) && !is_str_list(arches)) ||
        (fcaps && !json_is_null(fcaps) && !is_str_list(fcaps)) ||
        (kernel && !json_is_null(kernel) && !json_is_string(kernel)))
        return profile_error(err, include ? "bad \"includes\"" : "bad \"excludes\"");
    size_t narches = json_is_array(arches) ? json_array_size(arches) : 0;
    size_t ncaps = json_is_array(fcaps) ? json_array_size(fcaps) : 0;
    const char *k = json_is_string(kernel) ? json_string_value(kernel) : "";
    if (!include) {
        if (narches && list_has(arches, NATIVE_ARCH))
            return 1;
        for (size_t i = 0; i < ncaps; i++) {
            if (has_cap(caps, json_string_value(json_array_get(fcaps, i))))
                return 1;
        }
        return *k && kernel_at_least(k) ? 1 : 0;
    }
    if (narches && !list_has(arches, NATIVE_ARCH))
        return 0;
    for (size_t i = 0; i < ncaps; i++) {
        if (!has_cap(caps, json_string_value(json_array_get(fcaps, i))))
            return 0;
    }
    return *k && !kernel_at_least(k) ? 0 : 1;
}

/* The OCI rule of one of the profile's "syscalls", or NULL (and *skip) when its filters leave
 * it out for this container. */
static json_t *profile_rule(const json_t *call, const char *const *caps, bool *skip, bt_err **err)
{
    *skip = false;
    if (!json_is_object(call)) {
        profile_error(err, "a syscall rule is not an object");
        return NULL;
    }
    const json_t *name = json_object_get(call, "name"), *names = json_object_get(call, "names");
    const json_t *action = json_object_get(call, "action"), *args = json_object_get(call, "args");
    const json_t *eret = json_object_get(call, "errnoRet");
    bool has_names = names && !json_is_null(names) && json_array_size(names) > 0;
    if (name && json_is_string(name) && *json_string_value(name) && has_names) {
        bt_err_set(err, BT_E_INVALID, "use either 'name' or 'names'");
        return NULL;
    }
    if ((names && !json_is_null(names) && !is_str_list(names)) ||
        (name && !json_is_null(name) && !json_is_string(name)) || !json_is_string(action) ||
        (args && !json_is_null(args) && !json_is_array(args)) ||
        (eret && !json_is_null(eret) && !json_is_integer(eret))) {
        profile_error(err, "bad syscall rule");
        return NULL;
    }
    int exc = filter_matches(json_object_get(call, "excludes"), false, caps, err);
    int inc = exc < 0 ? -1 : filter_matches(json_object_get(call, "includes"), true, caps, err);
    if (exc < 0 || inc < 0)
        return NULL;
    if (exc == 1 || inc == 0) {
        *skip = true;
        return NULL;
    }
    json_t *o = json_object();
    json_object_set_new(o, "names",
                        has_names ? json_deep_copy(names)
                                  : json_pack("[s]", json_string_value(name)));
    json_object_set(o, "action", (json_t *)action);
    if (eret && json_is_integer(eret))
        json_object_set(o, "errnoRet", (json_t *)eret);
    if (args && json_is_array(args) && json_array_size(args))
        json_object_set_new(o, "args", json_deep_copy(args));
    return o;
}

/* The architectures: the profile's "architectures", or from its "archMap" the entry of this
 * machine's architecture with its sub-architectures (moby's). */
static json_t *profile_arches(const json_t *p, bt_err **err)
{
    const json_t *list = json_object_get(p, "architectures"), *map = json_object_get(p, "archMap");
    bool has_list = list && !json_is_null(list), has_map = map && !json_is_null(map);
    if ((has_list && !is_str_list(list)) || (has_map && !json_is_array(map))) {
        profile_error(err, "bad \"architectures\" or \"archMap\"");
        return NULL;
    }
    if (has_list && json_array_size(list) && has_map && json_array_size(map)) {
        bt_err_set(err, BT_E_INVALID,
                   "both 'architectures' and 'archMap' are specified in the seccomp profile, "
                   "use either 'architectures' or 'archMap'");
        return NULL;
    }
    if (has_list)
        return json_deep_copy(list);
    json_t *out = json_array();
    size_t i;
    const json_t *m;
    json_array_foreach (has_map ? map : NULL, i, m) {
        const json_t *arch = json_object_get(m, "architecture");
        const json_t *subs = json_object_get(m, "subArchitectures");
        if (!json_is_object(m) || !json_is_string(arch) ||
            (subs && !json_is_null(subs) && !is_str_list(subs))) {
            json_decref(out);
            profile_error(err, "bad \"archMap\" entry");
            return NULL;
        }
        if (!arch_map[0] || strcmp(json_string_value(arch), arch_map[0]) != 0)
            continue;
        json_array_append(out, (json_t *)arch);
        if (json_is_array(subs))
            json_array_extend(out, (json_t *)subs);
    }
    return out;
}

json_t *rt_docker_seccomp_profile(const char *text, const char *const *caps, bt_err **err)
{
    json_error_t je;
    bt_autoptr(json_t) p = json_loads(text, 0, &je);
    if (!p || !json_is_object(p)) {
        profile_error(err, p ? "not a JSON object" : je.text);
        return NULL;
    }
    const json_t *def = json_object_get(p, "defaultAction");
    const json_t *def_errno = json_object_get(p, "defaultErrnoRet");
    const json_t *calls = json_object_get(p, "syscalls");
    if (!json_is_string(def) || !*json_string_value(def) ||
        (def_errno && !json_is_null(def_errno) && !json_is_integer(def_errno)) ||
        (calls && !json_is_null(calls) && !json_is_array(calls))) {
        profile_error(err, "a profile needs a \"defaultAction\" and a list of \"syscalls\"");
        return NULL;
    }
    json_t *arches = profile_arches(p, err);
    if (!arches)
        return NULL;
    bt_autoptr(json_t) out = json_object();
    json_object_set(out, "defaultAction", (json_t *)def);
    if (json_is_integer(def_errno))
        json_object_set(out, "defaultErrnoRet", (json_t *)def_errno);
    json_object_set_new(out, "architectures", arches);
    json_t *rules = json_array();
    json_object_set_new(out, "syscalls", rules);
    size_t i;
    const json_t *call;
    json_array_foreach (json_is_array(calls) ? calls : NULL, i, call) {
        bool skip;
        json_t *r = profile_rule(call, caps, &skip, err);
        if (!r && !skip)
            return NULL;
        if (r)
            json_array_append_new(rules, r);
    }
    return bt_steal_ptr(&out);
}
