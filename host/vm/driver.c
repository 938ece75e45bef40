/* SPDX-License-Identifier: Apache-2.0 */
/* What both drivers share: the table of drivers, the spec's rules, states' names, the URI. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/vm/driver.h"
#include "host/vm/network.h"
#include "host/vm/vm-internal.h"
#include "shared/base/mem.h"

extern const struct vm_driver vm_driver_libvirt;
extern const struct vm_driver vm_driver_qemu;
extern const struct vm_driver vm_driver_generic;

static const struct vm_driver *const drivers[] = {&vm_driver_libvirt, &vm_driver_qemu,
                                                  &vm_driver_generic};

const struct vm_driver *vm_driver_find(const char *name, bt_err **err)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
        if (name && strcmp(drivers[i]->name, name) == 0)
            return drivers[i];
    bt_err_set(err, BT_E_INVALID, "unsupported driver \"%s\" (supported: libvirt, qemu, generic)",
               name ? name : "");
    return NULL;
}

const char *vm_state_name(enum vm_state state)
{
    switch (state) {
    case VM_STATE_MISSING:
        return "Missing";
    case VM_STATE_STOPPED:
        return "Stopped";
    case VM_STATE_RUNNING:
        return "Running";
    case VM_STATE_PAUSED:
        return "Paused";
    case VM_STATE_STOPPING:
        return "Stopping";
    case VM_STATE_ERROR:
        break;
    }
    return "Error";
}

const char *vm_libvirt_uri(const char *spec_uri)
{
    if (spec_uri && *spec_uri)
        return spec_uri;
    const char *env = getenv("BERTH_LIBVIRT_URI");
    if (env && *env)
        return env;
    return geteuid() == 0 ? "qemu:///system" : "qemu:///session";
}

char *vm_domain_name(const char *name)
{
    return bt_xasprintf(VM_DOMAIN_PREFIX "%s", name);
}

/* docker-machine's rule for machine names (libmachine/host: validHostNamePattern). */
static bool name_ok(const char *name)
{
    if (!name || !isalnum((unsigned char)name[0]) || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
            return false;
    return true;
}

static int check_path(const char *field, const char *path, bool required, bt_err **err)
{
    if (!path || !*path) {
        if (required)
            return bt_err_set(err, BT_E_INVALID, "no %s given", field);
        return 0;
    }
    if (path[0] != '/')
        return bt_err_set(err, BT_E_INVALID, "%s \"%s\" is not an absolute path", field, path);
    if (!vm_text_ok(path))
        return bt_err_set(err, BT_E_INVALID, "%s holds control characters or invalid UTF-8", field);
    return 0;
}

static bool ifname_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= VM_IFNAME_SIZE || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || (unsigned char)*p < 0x21 ||
            (unsigned char)*p > 0x7e)
            return false;
    return true;
}

static bool tag_ok(const char *tag)
{
    size_t n = tag ? strlen(tag) : 0;
    if (n == 0 || n > 31)
        return false;
    for (const char *p = tag; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

static int check_network(const struct vm_spec *s, bt_err **err)
{
    if (s->net == VM_NET_NONE)
        return 0;
    if (!s->mac || !vm_mac_valid(s->mac))
        return bt_err_set(err, BT_E_INVALID, "invalid MAC address \"%s\"", s->mac ? s->mac : "");
    if (s->net == VM_NET_BRIDGE) {
        if (!ifname_ok(s->bridge))
            return bt_err_set(err, BT_E_INVALID, "invalid bridge name \"%s\"",
                              s->bridge ? s->bridge : "");
        return 0;
    }
    if (s->net != VM_NET_USER)
        return bt_err_set(err, BT_E_INVALID, "unknown network mode %d", (int)s->net);
    for (size_t i = 0; i < s->n_forwards; i++) {
        const struct vm_forward *f = &s->forwards[i];
        if (!f->host_port || !f->guest_port)
            return bt_err_set(err, BT_E_INVALID, "invalid port forward %u -> %u", f->host_port,
                              f->guest_port);
        for (size_t j = 0; j < i; j++)
            if (s->forwards[j].host_port == f->host_port)
                return bt_err_set(err, BT_E_INVALID, "port %u is forwarded twice", f->host_port);
    }
    return 0;
}

static int check_shares(const struct vm_spec *s, bt_err **err)
{
    for (size_t i = 0; i < s->n_shares; i++) {
        const struct vm_share *sh = &s->shares[i];
        if (!tag_ok(sh->tag))
            return bt_err_set(err, BT_E_INVALID,
                              "invalid share tag \"%s\": 1 to 31 of 0-9a-zA-Z _ . -",
                              sh->tag ? sh->tag : "");
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->shares[j].tag, sh->tag) == 0)
                return bt_err_set(err, BT_E_INVALID, "share tag \"%s\" is used twice", sh->tag);
        if (check_path("shared folder", sh->host_path, true, err) < 0)
            return -1;
    }
    return 0;
}

/* The generic driver's spec: a name and a host to reach. */
static int check_remote(const struct vm_remote *r, bt_err **err)
{
    if (!r || !r->host || !*r->host || !vm_text_ok(r->host) || strchr(r->host, ' '))
        return bt_err_set(err, BT_E_INVALID, "the generic driver needs the host's address");
    if (r->ssh_port < 1 || r->ssh_port > 65535 || r->engine_port < 1 || r->engine_port > 65535)
        return bt_err_set(err, BT_E_INVALID, "invalid port: 1 to 65535");
    if ((r->ssh_user && !vm_text_ok(r->ssh_user)) ||
        (r->identity_file && !vm_text_ok(r->identity_file)))
        return bt_err_set(err, BT_E_INVALID, "the SSH user or key path holds control characters");
    return 0;
}

int vm_spec_check(const struct vm_spec *s, const char *driver, bt_err **err)
{
    if (!name_ok(s->name))
        return bt_err_set(err, BT_E_INVALID,
                          "invalid machine name \"%s\": allowed characters are 0-9a-zA-Z . - "
                          "(starting with a letter or digit, at most 64)",
                          s->name ? s->name : "");
    if (driver && strcmp(driver, "generic") == 0)
        return check_remote(s->remote, err);
    if (check_path("store directory", s->store_dir, true, err) < 0 ||
        check_path("kernel", s->kernel, true, err) < 0 ||
        check_path("initrd", s->initrd, false, err) < 0 ||
        check_path("data disk", s->data_disk, false, err) < 0 ||
        check_path("config disk", s->config_disk, false, err) < 0 ||
        check_path("console log", s->console_log, true, err) < 0)
        return -1;
    if (s->cmdline && !vm_text_ok(s->cmdline))
        return bt_err_set(err, BT_E_INVALID,
                          "kernel command line holds control characters or invalid UTF-8");
    if (s->cpus < 1 || s->cpus > 255)
        return bt_err_set(err, BT_E_INVALID, "invalid CPU count %u: 1 to 255", s->cpus);
    if (s->memory_mb < 64)
        return bt_err_set(err, BT_E_INVALID, "invalid memory size %u MB: at least 64",
                          s->memory_mb);
    if (s->accel != VM_ACCEL_TCG && s->accel != VM_ACCEL_KVM)
        return bt_err_set(err, BT_E_INVALID, "unknown accelerator %d", (int)s->accel);
    if (s->machine == VM_MACHINE_MICROVM && driver && strcmp(driver, "qemu") != 0)
        return bt_err_set(err, BT_E_INVALID,
                          "the microvm machine type needs the qemu driver (libvirt does not "
                          "run microvm)");
    if (s->machine != VM_MACHINE_PC && s->machine != VM_MACHINE_MICROVM)
        return bt_err_set(err, BT_E_INVALID, "unknown machine type %d", (int)s->machine);
    if ((s->libvirt_uri && !vm_text_ok(s->libvirt_uri)) || (s->qemu && !vm_text_ok(s->qemu)))
        return bt_err_set(err, BT_E_INVALID,
                          "the libvirt URI or QEMU path holds control characters");
    if (check_network(s, err) < 0 || check_shares(s, err) < 0)
        return -1;
    return 0;
}
