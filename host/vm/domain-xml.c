/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libvirt domain of a machine (docs/design/machine.md, "Drivers"): direct kernel boot,
 * ACPI (without <acpi/> a guest's poweroff leaves the domain "running", and the power button
 * would press nothing), virtio disks and network, the serial console to a file, 9p shares.
 *
 * User-mode networking with forwards: libvirt 9.0 has <portForward> only with the passt
 * backend, and Debian 12's libvirt refuses <backend type='passt'/> ("Invalid value for
 * attribute 'type' in element 'backend'"); plain <interface type='user'> (SLIRP) has no
 * forwards at all. So the netdev and its NIC are given to QEMU through <qemu:commandline>,
 * which libvirt allows but marks the domain "tainted" (custom-argv) in its logs; nothing
 * else changes. On a libvirt with passt, <portForward> would be the way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/vm/network.h"
#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

/* The NIC of user-mode networking, which <qemu:commandline> adds. */
#define USER_NETDEV_ID "berthnet0"

static void os_section(struct vm_xml *x, const struct vm_spec *s)
{
    vm_xml_open(x, "os", NULL);
    vm_xml_leaf(x, "type", "hvm", "arch", "x86_64", "machine", "pc", NULL);
    vm_xml_leaf(x, "kernel", s->kernel, NULL);
    if (s->initrd && *s->initrd)
        vm_xml_leaf(x, "initrd", s->initrd, NULL);
    vm_xml_leaf(x, "cmdline", s->cmdline ? s->cmdline : "", NULL);
    vm_xml_close(x);
}

static void disk(struct vm_xml *x, const char *path, const char *format, const char *dev,
                 bool readonly)
{
    vm_xml_open(x, "disk", "type", "file", "device", "disk", NULL);
    vm_xml_empty(x, "driver", "name", "qemu", "type", format, NULL);
    vm_xml_empty(x, "source", "file", path, NULL);
    vm_xml_empty(x, "target", "dev", dev, "bus", "virtio", NULL);
    if (readonly)
        vm_xml_empty(x, "readonly", NULL);
    vm_xml_close(x);
}

static void bridge_interface(struct vm_xml *x, const struct vm_spec *s)
{
    char tap[VM_IFNAME_SIZE];
    vm_tap_name(s->name, tap);
    vm_xml_open(x, "interface", "type", "bridge", NULL);
    vm_xml_empty(x, "source", "bridge", s->bridge, NULL);
    vm_xml_empty(x, "mac", "address", s->mac, NULL);
    vm_xml_empty(x, "model", "type", "virtio", NULL);
    /* named as the qemu driver names its tap, so both leave a tap one can look for */
    vm_xml_empty(x, "target", "dev", tap, NULL);
    vm_xml_close(x);
}

static void devices(struct vm_xml *x, const struct vm_spec *s)
{
    vm_xml_open(x, "devices", NULL);
    if (s->data_disk && *s->data_disk)
        disk(x, s->data_disk, "qcow2", "vda", false);
    if (s->config_disk && *s->config_disk)
        disk(x, s->config_disk, "raw", "vdb", true);
    if (s->net == VM_NET_BRIDGE)
        bridge_interface(x, s);
    for (size_t i = 0; i < s->n_shares; i++) {
        vm_xml_open(x, "filesystem", "type", "mount", "accessmode", "passthrough", NULL);
        vm_xml_empty(x, "source", "dir", s->shares[i].host_path, NULL);
        vm_xml_empty(x, "target", "dir", s->shares[i].tag, NULL);
        vm_xml_close(x);
    }
    /* append='off': the log starts empty at every boot, so stage markers are this boot's */
    vm_xml_open(x, "serial", "type", "file", NULL);
    vm_xml_empty(x, "source", "path", s->console_log, "append", "off", NULL);
    vm_xml_empty(x, "target", "port", "0", NULL);
    vm_xml_close(x);
    /* entropy from the host: without it the guest's CRNG takes seconds to seed under TCG and
     * the engine's first TLS handshake waits for it */
    vm_xml_open(x, "rng", "model", "virtio", NULL);
    vm_xml_empty(x, "backend", "model", "builtin", NULL);
    vm_xml_close(x);
    vm_xml_empty(x, "memballoon", "model", "none", NULL);
    vm_xml_close(x);
}

static void user_net_commandline(struct vm_xml *x, const struct vm_spec *s)
{
    bt_autostrbuf struct bt_strbuf netdev = BT_STRBUF_INIT;
    bt_strbuf_append(&netdev, "user,id=" USER_NETDEV_ID);
    if (s->net_restrict)
        bt_strbuf_append(&netdev, ",restrict=on");
    for (size_t i = 0; i < s->n_forwards; i++)
        bt_strbuf_appendf(&netdev, ",hostfwd=tcp:127.0.0.1:%u-:%u", s->forwards[i].host_port,
                          s->forwards[i].guest_port);
    bt_autofree char *device =
            /* a slot of its own: libvirt hands out the low ones (the rng, the disks) without
             * knowing of this device */
            bt_xasprintf("virtio-net-pci,netdev=" USER_NETDEV_ID ",mac=%s,addr=0x1f", s->mac);
    vm_xml_open(x, "qemu:commandline", NULL);
    vm_xml_empty(x, "qemu:arg", "value", "-netdev", NULL);
    vm_xml_empty(x, "qemu:arg", "value", bt_strbuf_str(&netdev), NULL);
    vm_xml_empty(x, "qemu:arg", "value", "-device", NULL);
    vm_xml_empty(x, "qemu:arg", "value", device, NULL);
    vm_xml_close(x);
}

char *vm_domain_xml(const struct vm_spec *s, const struct vm_domain_opts *opts, bt_err **err)
{
    struct vm_xml x = {BT_STRBUF_INIT};
    bt_autofree char *name = vm_domain_name(s->name);
    char mem[32], cpus[16];
    snprintf(mem, sizeof(mem), "%u", s->memory_mb);
    snprintf(cpus, sizeof(cpus), "%u", s->cpus);

    vm_xml_open(&x, "domain", "type", s->accel == VM_ACCEL_KVM ? "kvm" : "qemu", "xmlns:qemu",
                s->net == VM_NET_USER ? QEMU_NS : NULL, NULL);
    vm_xml_leaf(&x, "name", name, NULL);
    if (opts && opts->uuid)
        vm_xml_leaf(&x, "uuid", opts->uuid, NULL);
    vm_xml_leaf(&x, "title", s->name, NULL);
    vm_xml_leaf(&x, "description", "Berth machine (berth machine create)", NULL);
    vm_xml_leaf(&x, "memory", mem, "unit", "MiB", NULL);
    vm_xml_leaf(&x, "vcpu", cpus, NULL);
    os_section(&x, s);
    vm_xml_open(&x, "features", NULL);
    vm_xml_empty(&x, "acpi", NULL);
    vm_xml_close(&x);
    if (s->accel == VM_ACCEL_KVM)
        vm_xml_empty(&x, "cpu", "mode", "host-passthrough", NULL);
    vm_xml_empty(&x, "clock", "offset", "utc", NULL);
    /* a guest reboot or panic (panic=-1) ends the VM: restarts come from the host */
    vm_xml_leaf(&x, "on_poweroff", "destroy", NULL);
    vm_xml_leaf(&x, "on_reboot", "destroy", NULL);
    vm_xml_leaf(&x, "on_crash", "destroy", NULL);
    devices(&x, s);
    if (opts && opts->run_as) {
        char label[64];
        snprintf(label, sizeof(label), "+%u:+%u", opts->uid, opts->gid);
        vm_xml_open(&x, "seclabel", "type", "static", "model", "dac", "relabel", "no", NULL);
        vm_xml_leaf(&x, "label", label, NULL);
        vm_xml_close(&x);
    }
    if (s->net == VM_NET_USER)
        user_net_commandline(&x, s);
    vm_xml_close(&x);
    return vm_xml_finish(&x, err);
}
