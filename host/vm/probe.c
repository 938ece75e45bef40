/* SPDX-License-Identifier: Apache-2.0 */
/* The KVM probe and its cache: see probe.h. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/vm/console.h"
#include "host/vm/probe.h"
#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

/* The release a bzImage names (Documentation/arch/x86/boot.rst: "HdrS" at 0x202, the offset of
 * the version string - 0x200 at 0x20e), or NULL. */
static char *bzimage_release(int fd)
{
    unsigned char hdr[0x210];
    if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4))
        return NULL;
    unsigned off = (unsigned)hdr[0x20e] | (unsigned)hdr[0x20f] << 8;
    if (!off)
        return NULL;
    char ver[128];
    ssize_t n = pread(fd, ver, sizeof(ver) - 1, (off_t)off + 0x200);
    if (n <= 0)
        return NULL;
    ver[n] = 0;
    size_t len = strcspn(ver, " ");
    if (len == 0 || len >= sizeof(ver) - 1)
        return NULL;
    ver[len] = 0;
    return vm_text_ok(ver) ? bt_xstrdup(ver) : NULL;
}

char *vm_kernel_key(const char *kernel, bt_err **err)
{
    bt_autoclose int fd = open(kernel, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        bt_err_errno(err, errno, "read kernel \"%s\"", kernel);
        return NULL;
    }
    char *rel = bzimage_release(fd);
    if (rel)
        return rel;
    return bt_xasprintf("size:%lld:mtime:%lld", (long long)st.st_size,
                        (long long)st.st_mtim.tv_sec);
}

static char *boot_id(void)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(BOOT_ID_PATH, &sb, 256, NULL) < 0) {
        bt_strbuf_free(&sb);
        return bt_xstrdup("unknown");
    }
    char *s = bt_strbuf_steal(&sb);
    s[strcspn(s, "\n")] = 0;
    return s;
}

static char *default_cache(bt_err **err)
{
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home) {
        bt_err_set(err, BT_E_NOT_FOUND, "KVM probe: no home directory for the cache");
        return NULL;
    }
    return bt_xasprintf("%s/.berth/cache/accel.json", home);
}

static bool from_cache(const char *cache, const char *bootid, const char *key,
                       struct vm_probe_result *out)
{
    bt_autoptr(json_t) doc = bt_json_load_file(cache, NULL);
    if (!doc || strcmp(bt_json_get_str(doc, "BootID", ""), bootid) != 0)
        return false;
    json_t *k = bt_json_get_obj(bt_json_get_obj(doc, "Kernels"), key);
    const char *accel = bt_json_get_str(k, "Accel", NULL);
    if (!accel || (strcmp(accel, "kvm") && strcmp(accel, "tcg")))
        return false;
    out->accel = strcmp(accel, "kvm") == 0 ? VM_ACCEL_KVM : VM_ACCEL_TCG;
    out->cached = true;
    out->seconds = bt_json_get_real(k, "Seconds", 0);
    snprintf(out->reason, sizeof(out->reason), "%s", bt_json_get_str(k, "Reason", ""));
    return true;
}

static int save_cache(const char *cache, const char *bootid, const char *key,
                      const struct vm_probe_result *r, bt_err **err)
{
    bt_autoptr(json_t) doc = bt_json_load_file(cache, NULL);
    if (!doc || strcmp(bt_json_get_str(doc, "BootID", ""), bootid) != 0) {
        json_decref(doc);
        doc = json_object();
        bt_json_set_str(doc, "BootID", bootid);
        json_object_set_new(doc, "Kernels", json_object());
    }
    json_t *kernels = bt_json_get_obj(doc, "Kernels");
    if (!kernels) {
        kernels = json_object();
        json_object_set_new(doc, "Kernels", kernels);
    }
    json_t *k = json_object();
    bt_json_set_str(k, "Accel", r->accel == VM_ACCEL_KVM ? "kvm" : "tcg");
    bt_json_set_str(k, "Reason", r->reason);
    json_object_set_new(k, "Seconds", json_real(r->seconds));
    json_object_set_new(k, "Checked", json_integer((json_int_t)time(NULL)));
    json_object_set_new(kernels, key, k);
    bt_autofree char *dir = bt_xstrdup(cache);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (bt_mkdir_p(dir, 0700, err) < 0)
            return -1;
    }
    return bt_json_save_file(cache, doc, 0644, err);
}

struct child {
    pid_t pid;
    int status;
    bool exited;
};

static bool child_alive(void *ctx)
{
    struct child *c = ctx;
    if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
        c->exited = true;
    return !c->exited;
}

/* One boot under KVM; fills out (KVM or TCG with the reason). */
static int probe_boot(const struct vm_probe_opts *o, const char *dir, struct vm_probe_result *out,
                      bt_err **err)
{
    bt_autofree char *console = bt_xasprintf("%s/console.log", dir);
    bt_autofree char *qlog = bt_xasprintf("%s/qemu.log", dir);
    bt_autofree char *conesc = vm_qemu_opt_escape(console);
    bt_autofree char *chardev = bt_xasprintf("file,id=console,path=%s", conesc);
    const char *qemu = o->qemu ? o->qemu : "qemu-system-x86_64";
    char *argv[] = {(char *)qemu,
                    "-accel",
                    "kvm",
                    "-M",
                    "pc",
                    "-cpu",
                    "host",
                    "-m",
                    "256",
                    "-smp",
                    "1",
                    "-nodefaults",
                    "-no-user-config",
                    "-no-reboot",
                    "-display",
                    "none",
                    "-chardev",
                    chardev,
                    "-serial",
                    "chardev:console",
                    "-kernel",
                    (char *)o->kernel,
                    "-initrd",
                    (char *)o->initrd,
                    "-append",
                    VM_PROBE_CMDLINE,
                    NULL};
    bt_autoclose int logfd = open(qlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (logfd < 0)
        return bt_err_errno(err, errno, "KVM probe: create \"%s\"", qlog);
    long long t0 = vm_now_ms();
    struct child c = {.pid = vm_spawn(argv, logfd, err)};
    if (c.pid < 0)
        return bt_err_wrap(err, "KVM probe");
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : VM_PROBE_TIMEOUT_MS;
    struct vm_console_wait_opts wo = {.path = console,
                                      .marker = VM_PROBE_MARKER,
                                      .timeout_ms = timeout,
                                      .alive = child_alive,
                                      .ctx = &c};
    bt_autofree char *line = NULL;
    bt_autoerr bt_err *werr = NULL;
    int r = vm_console_wait_full(&wo, &line, &werr);
    out->seconds = (double)(vm_now_ms() - t0) / 1000.0;
    if (!c.exited) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &c.status, 0);
    }
    if (r == 0) {
        out->accel = VM_ACCEL_KVM;
        out->reason[0] = 0;
        return 0;
    }
    out->accel = VM_ACCEL_TCG;
    struct bt_strbuf log = BT_STRBUF_INIT;
    bt_file_read(qlog, &log, 1 << 20, NULL);
    bt_autofree char *tail = vm_last_lines(bt_strbuf_str(&log), 1);
    bt_strbuf_free(&log);
    if (c.exited && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 127)
        return bt_err_set(err, BT_E_UNAVAILABLE, "KVM probe: %s is not installed", qemu);
    snprintf(out->reason, sizeof(out->reason), "KVM did not boot the kernel: %s%s%s",
             bt_err_msg(werr), *tail ? ": QEMU: " : "", tail);
    return 0;
}

int vm_accel_probe(const struct vm_probe_opts *o, struct vm_probe_result *out, bt_err **err)
{
    memset(out, 0, sizeof(*out));
    if (!o->kernel || !o->initrd)
        return bt_err_set(err, BT_E_INVALID, "KVM probe: a kernel and an initrd are needed");
    bt_autofree char *key = vm_kernel_key(o->kernel, err);
    if (!key)
        return bt_err_wrap(err, "KVM probe");
    if (access(o->initrd, R_OK) < 0)
        return bt_err_errno(err, errno, "KVM probe: read initrd \"%s\"", o->initrd);
    bt_autofree char *bootid = boot_id();
    bt_autofree char *cache = o->cache ? bt_xstrdup(o->cache) : default_cache(err);
    if (!cache)
        return -1;
    if (!o->refresh && from_cache(cache, bootid, key, out))
        return 0;

    if (access("/dev/kvm", R_OK | W_OK) < 0) {
        out->accel = VM_ACCEL_TCG;
        snprintf(out->reason, sizeof(out->reason), "/dev/kvm: %s", strerror(errno));
    } else {
        const char *tmp = getenv("TMPDIR");
        bt_autofree char *dir = bt_xasprintf("%s/berth-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
            return bt_err_errno(err, errno, "KVM probe: create a directory in %s",
                                tmp && *tmp ? tmp : "/tmp");
        int r = probe_boot(o, dir, out, err);
        bt_rm_rf(dir, NULL);
        if (r < 0)
            return -1;
    }
    bt_autoerr bt_err *serr = NULL;
    /* an unwritable cache costs a probe next time, nothing more */
    save_cache(cache, bootid, key, out, &serr);
    return 0;
}
