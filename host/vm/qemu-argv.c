/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QEMU's command line for a machine. Values that go inside QEMU's "key=value,..." option
 * strings (paths above all) have their commas doubled, QEMU's escape; the kernel command line
 * is an argument of its own (-append) and needs none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

#define DEFAULT_QEMU "qemu-system-x86_64"
/* microvm under TCG hangs at "Marking TSC unstable" unless the kernel is told the TSC's rate
 * (measured; see /work/shared/notes/vm-on-these-machines.md); any plausible rate does. */
#define MICROVM_TSC "tsc_early_khz=2000000"

char *vm_qemu_opt_escape(const char *s)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    for (const char *p = s; *p; p++) {
        bt_strbuf_append_c(&sb, *p);
        if (*p == ',')
            bt_strbuf_append_c(&sb, ',');
    }
    return bt_strbuf_steal(&sb);
}

char *vm_qemu_cmdline(const struct vm_spec *s)
{
    const char *base = s->cmdline ? s->cmdline : "";
    if (s->machine != VM_MACHINE_MICROVM || strstr(base, "tsc_early_khz="))
        return bt_xstrdup(base);
    return bt_xasprintf("%s%s" MICROVM_TSC, base, *base ? " " : "");
}

static void push(char ***argv, const char *s)
{
    bt_strv_push(argv, s);
}

static void pushf(char ***argv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pushf(char ***argv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = bt_xvasprintf(fmt, ap);
    va_end(ap);
    bt_strv_push(argv, s);
    free(s);
}

/* "-device" and the virtio device for the machine type: PCI on pc, MMIO on microvm. */
static void virtio_device(char ***argv, const struct vm_spec *s, const char *kind,
                          const char *props)
{
    push(argv, "-device");
    pushf(argv, "virtio-%s-%s,%s", kind, s->machine == VM_MACHINE_MICROVM ? "device" : "pci",
          props);
}

static void disk(char ***argv, const struct vm_spec *s, const char *id, const char *path,
                 const char *format, bool readonly)
{
    bt_autofree char *p = vm_qemu_opt_escape(path);
    push(argv, "-drive");
    pushf(argv, "file=%s,if=none,id=%s,format=%s%s", p, id, format,
          readonly ? ",readonly=on" : ",discard=unmap");
    bt_autofree char *props = bt_xasprintf("drive=%s", id);
    virtio_device(argv, s, "blk", props);
}

static void network(char ***argv, const struct vm_spec *s)
{
    if (s->net == VM_NET_NONE)
        return;
    push(argv, "-netdev");
    if (s->net == VM_NET_BRIDGE) {
        pushf(argv, "tap,id=net0,fd=%d", VM_QEMU_TAP_FD);
    } else {
        bt_autostrbuf struct bt_strbuf nd = BT_STRBUF_INIT;
        bt_strbuf_append(&nd, "user,id=net0");
        if (s->net_restrict)
            bt_strbuf_append(&nd, ",restrict=on");
        for (size_t i = 0; i < s->n_forwards; i++)
            bt_strbuf_appendf(&nd, ",hostfwd=tcp:127.0.0.1:%u-:%u", s->forwards[i].host_port,
                              s->forwards[i].guest_port);
        push(argv, bt_strbuf_str(&nd));
    }
    bt_autofree char *props = bt_xasprintf("netdev=net0,mac=%s", s->mac);
    virtio_device(argv, s, "net", props);
}

char **vm_qemu_argv(const struct vm_spec *s, const char *pidfile, const char *qmp_path)
{
    char **argv = NULL;
    bt_autofree char *name = vm_domain_name(s->name);
    bt_autofree char *qmp = vm_qemu_opt_escape(qmp_path);
    bt_autofree char *log = vm_qemu_opt_escape(s->console_log);
    bt_autofree char *cmdline = vm_qemu_cmdline(s);

    push(&argv, s->qemu ? s->qemu : DEFAULT_QEMU);
    push(&argv, "-name");
    pushf(&argv, "%s,process=%s", name, name);
    /* no default devices, no user config: only what is listed here */
    push(&argv, "-nodefaults");
    push(&argv, "-no-user-config");
    push(&argv, "-display");
    push(&argv, "none");
    push(&argv, "-daemonize");
    push(&argv, "-pidfile");
    push(&argv, pidfile);
    push(&argv, "-chardev");
    pushf(&argv, "socket,id=qmp,path=%s,server=on,wait=off", qmp);
    push(&argv, "-mon");
    push(&argv, "chardev=qmp,mode=control");
    /* a guest reboot or panic (panic=-1) ends QEMU: restarts come from the host */
    push(&argv, "-no-reboot");
    push(&argv, "-accel");
    push(&argv, s->accel == VM_ACCEL_KVM ? "kvm" : "tcg");
    push(&argv, "-M");
    push(&argv, s->machine == VM_MACHINE_MICROVM ? "microvm,rtc=on,x-option-roms=off" : "pc");
    if (s->accel == VM_ACCEL_KVM) {
        push(&argv, "-cpu");
        push(&argv, "host");
    }
    push(&argv, "-m");
    pushf(&argv, "%u", s->memory_mb);
    push(&argv, "-smp");
    pushf(&argv, "%u", s->cpus);
    push(&argv, "-kernel");
    push(&argv, s->kernel);
    if (s->initrd && *s->initrd) {
        push(&argv, "-initrd");
        push(&argv, s->initrd);
    }
    push(&argv, "-append");
    push(&argv, cmdline);
    /* the console: a file QEMU truncates at start, ttyS0 in the guest */
    push(&argv, "-chardev");
    pushf(&argv, "file,id=console,path=%s", log);
    push(&argv, "-serial");
    push(&argv, "chardev:console");
    if (s->data_disk && *s->data_disk)
        disk(&argv, s, "data", s->data_disk, "qcow2", false);
    if (s->config_disk && *s->config_disk)
        disk(&argv, s, "config", s->config_disk, "raw", true);
    network(&argv, s);
    /* entropy from the host: without it the guest's CRNG takes seconds to seed under TCG and
     * the engine's first TLS handshake waits for it */
    push(&argv, "-object");
    push(&argv, "rng-random,id=rng0,filename=/dev/urandom");
    virtio_device(&argv, s, "rng", "rng=rng0");
    for (size_t i = 0; i < s->n_shares; i++) {
        bt_autofree char *path = vm_qemu_opt_escape(s->shares[i].host_path);
        push(&argv, "-fsdev");
        pushf(&argv, "local,id=fs%zu,path=%s,security_model=passthrough", i, path);
        bt_autofree char *props = bt_xasprintf("fsdev=fs%zu,mount_tag=%s", i, s->shares[i].tag);
        virtio_device(&argv, s, "9p", props);
    }
    return argv;
}
