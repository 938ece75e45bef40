/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libvirt driver: one persistent domain per machine ("berth-NAME"), defined from the spec
 * (domain-xml.c), on the URI vm_libvirt_uri() picks. A connection is opened for each operation
 * and closed after it: operations are rare (a start, a stop), and nothing has to be kept alive
 * between two `berth machine` commands.
 *
 * libvirt reports errors through a thread-local "last error" and, by default, also prints
 * every one on stderr; the printing is turned off once per process (virSetErrorFunc) and the
 * message is carried in the bt_err instead.
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/vm/driver.h"
#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

#define POLL_MS 100

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void quiet_handler(void *data, virErrorPtr error)
{
    (void)data;
    (void)error;
}

static void quiet_libvirt(void)
{
    virSetErrorFunc(NULL, quiet_handler);
}

static void conn_close(virConnectPtr c)
{
    virConnectClose(c);
}
static void dom_free(virDomainPtr d)
{
    virDomainFree(d);
}
BT_DEFINE_AUTOPTR(virConnect, struct _virConnect, conn_close);
BT_DEFINE_AUTOPTR(virDomain, struct _virDomain, dom_free);

/* libvirt's message of the last error on this thread. */
static const char *lv_msg(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

static int lv_fail(bt_err **err, int code, const char *name, const char *what)
{
    return bt_err_set(err, code, "%s machine \"%s\": %s", what, name, lv_msg());
}

static virConnectPtr lv_connect(const struct vm_spec *spec, bt_err **err)
{
    pthread_once(&quiet_once, quiet_libvirt);
    const char *uri = vm_libvirt_uri(spec->libvirt_uri);
    virConnectPtr c = virConnectOpen(uri);
    if (!c)
        bt_err_set(err, BT_E_UNAVAILABLE,
                   "connect to libvirt at \"%s\": %s (is libvirtd running? another URI can "
                   "be given with --libvirt-uri or BERTH_LIBVIRT_URI)",
                   uri, lv_msg());
    return c;
}

/* The machine's domain, or NULL: with *err set for errors other than "no such domain". */
static virDomainPtr lv_lookup(virConnectPtr c, const struct vm_spec *spec, bt_err **err)
{
    bt_autofree char *dname = vm_domain_name(spec->name);
    virDomainPtr d = virDomainLookupByName(c, dname);
    if (!d && virGetLastErrorCode() != VIR_ERR_NO_DOMAIN)
        lv_fail(err, BT_E_UNAVAILABLE, spec->name, "look up");
    return d;
}

static virDomainPtr lv_need(virConnectPtr c, const struct vm_spec *spec, bt_err **err)
{
    bt_autoerr bt_err *e = NULL;
    virDomainPtr d = lv_lookup(c, spec, &e);
    if (!d) {
        if (e)
            bt_err_move(err, &e);
        else
            bt_err_set(err, BT_E_NOT_FOUND, "machine \"%s\" does not exist", spec->name);
    }
    return d;
}

static enum vm_state map_state(int st)
{
    switch (st) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
        return VM_STATE_RUNNING;
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
        return VM_STATE_PAUSED;
    case VIR_DOMAIN_SHUTDOWN:
        return VM_STATE_STOPPING;
    case VIR_DOMAIN_SHUTOFF:
        return VM_STATE_STOPPED;
    default:
        return VM_STATE_ERROR;
    }
}

static int dom_state(virDomainPtr d, const char *name, enum vm_state *out, bt_err **err)
{
    int st = 0, reason = 0;
    if (virDomainGetState(d, &st, &reason, 0) < 0)
        return lv_fail(err, BT_E_INTERNAL, name, "state of");
    *out = map_state(st);
    return 0;
}

/* True when the URI reaches a privileged (system) libvirtd: its path is "/system". */
static bool uri_is_system(const char *uri)
{
    const char *p = strstr(uri, "://");
    if (!p)
        return false;
    p = strchr(p + 3, '/');
    if (!p)
        return false;
    size_t n = strcspn(p, "?#");
    return n == strlen("/system") && strncmp(p, "/system", n) == 0;
}

static int lv_create(const struct vm_spec *spec, bt_err **err)
{
    if (vm_spec_check(spec, "libvirt", err) < 0)
        return -1;
    bt_autoptr(virConnect) c = lv_connect(spec, err);
    if (!c)
        return -1;
    bt_autoerr bt_err *e = NULL;
    bt_autoptr(virDomain) old = lv_lookup(c, spec, &e);
    if (e) {
        bt_err_move(err, &e);
        return -1;
    }
    char uuid[VIR_UUID_STRING_BUFLEN];
    struct vm_domain_opts opts = {0};
    /* Keep the UUID: libvirt refuses a definition of the same name with another one. */
    if (old && virDomainGetUUIDString(old, uuid) == 0)
        opts.uuid = uuid;
    if (geteuid() == 0 && uri_is_system(vm_libvirt_uri(spec->libvirt_uri))) {
        opts.run_as = true;
        opts.uid = 0;
        opts.gid = getegid();
    }
    bt_autofree char *xml = vm_domain_xml(spec, &opts, err);
    if (!xml)
        return bt_err_wrap(err, "define machine \"%s\"", spec->name);
    bt_autoptr(virDomain) d = virDomainDefineXML(c, xml);
    if (!d)
        return lv_fail(err, BT_E_INVALID, spec->name, "define");
    return 0;
}

static int lv_start(const struct vm_spec *spec, bt_err **err)
{
    bt_autoptr(virConnect) c = lv_connect(spec, err);
    if (!c)
        return -1;
    bt_autoptr(virDomain) d = lv_need(c, spec, err);
    if (!d)
        return -1;
    int active = virDomainIsActive(d);
    if (active < 0)
        return lv_fail(err, BT_E_INTERNAL, spec->name, "start");
    if (active)
        return bt_err_set(err, BT_E_NOT_MODIFIED, "machine \"%s\" is already running", spec->name);
    if (virDomainCreate(d) < 0)
        return lv_fail(err, BT_E_UNAVAILABLE, spec->name, "start");
    return 0;
}

/* Wait up to timeout_ms for the domain to be shut off; 1 when it is, 0 when not. */
static int wait_off(virDomainPtr d, const char *name, int timeout_ms, bt_err **err)
{
    long long deadline = vm_now_ms() + timeout_ms;
    for (;;) {
        enum vm_state st;
        if (dom_state(d, name, &st, err) < 0)
            return -1;
        if (st == VM_STATE_STOPPED)
            return 1;
        if (st == VM_STATE_PAUSED)
            return 0; /* a paused guest never sees the button */
        if (vm_now_ms() >= deadline)
            return 0;
        vm_sleep_ms(POLL_MS);
    }
}

static int destroy(virDomainPtr d, const char *name, bt_err **err)
{
    if (virDomainDestroy(d) < 0) {
        /* it may have powered off between our look and the destroy */
        if (virDomainIsActive(d) == 0)
            return 0;
        return lv_fail(err, BT_E_INTERNAL, name, "force off");
    }
    return 0;
}

/* The ACPI power button. Drivers that cannot choose the method (test:///) refuse the flag; their
 * default is the same button when the domain has no guest agent, and Berth's have none. */
static int press_power_button(virDomainPtr d)
{
    if (virDomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) == 0)
        return 0;
    int code = virGetLastErrorCode();
    if (code != VIR_ERR_NO_SUPPORT && code != VIR_ERR_INVALID_ARG)
        return -1;
    return virDomainShutdownFlags(d, 0);
}

static int lv_stop(const struct vm_spec *spec, int timeout_ms, bool *forced, bt_err **err)
{
    if (forced)
        *forced = false;
    bt_autoptr(virConnect) c = lv_connect(spec, err);
    if (!c)
        return -1;
    bt_autoptr(virDomain) d = lv_need(c, spec, err);
    if (!d)
        return -1;
    enum vm_state st;
    if (dom_state(d, spec->name, &st, err) < 0)
        return -1;
    if (st == VM_STATE_STOPPED)
        return bt_err_set(err, BT_E_NOT_MODIFIED, "machine \"%s\" is already stopped", spec->name);
    int off = 0;
    if (press_power_button(d) == 0) {
        off = wait_off(d, spec->name, timeout_ms, err);
        if (off < 0)
            return -1;
    }
    if (off)
        return 0;
    if (forced)
        *forced = true;
    return destroy(d, spec->name, err);
}

static int lv_kill(const struct vm_spec *spec, bt_err **err)
{
    bt_autoptr(virConnect) c = lv_connect(spec, err);
    if (!c)
        return -1;
    bt_autoptr(virDomain) d = lv_need(c, spec, err);
    if (!d)
        return -1;
    int active = virDomainIsActive(d);
    if (active < 0)
        return lv_fail(err, BT_E_INTERNAL, spec->name, "kill");
    if (!active)
        return bt_err_set(err, BT_E_NOT_MODIFIED, "machine \"%s\" is already stopped", spec->name);
    return destroy(d, spec->name, err);
}

static int lv_state(const struct vm_spec *spec, enum vm_state *out, bt_err **err)
{
    bt_autoptr(virConnect) c = lv_connect(spec, err);
    if (!c)
        return -1;
    bt_autoerr bt_err *e = NULL;
    bt_autoptr(virDomain) d = lv_lookup(c, spec, &e);
    if (e) {
        bt_err_move(err, &e);
        return -1;
    }
    if (!d) {
        *out = VM_STATE_MISSING;
        return 0;
    }
    return dom_state(d, spec->name, out, err);
}

static int lv_remove(const struct vm_spec *spec, bt_err **err)
{
    bt_autoptr(virConnect) c = lv_connect(spec, err);
    if (!c)
        return -1;
    bt_autoerr bt_err *e = NULL;
    bt_autoptr(virDomain) d = lv_lookup(c, spec, &e);
    if (e) {
        bt_err_move(err, &e);
        return -1;
    }
    if (!d)
        return 0;
    int active = virDomainIsActive(d);
    if (active > 0 && destroy(d, spec->name, err) < 0)
        return -1;
    unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                     VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM;
    if (virDomainUndefineFlags(d, flags) == 0)
        return 0;
    /* drivers that know none of these (test:///) take the plain call */
    int code = virGetLastErrorCode();
    if ((code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_INVALID_ARG) && virDomainUndefine(d) == 0)
        return 0;
    return lv_fail(err, BT_E_INTERNAL, spec->name, "remove");
}

const struct vm_driver vm_driver_libvirt = {
        .name = "libvirt",
        .create = lv_create,
        .start = lv_start,
        .stop = lv_stop,
        .kill = lv_kill,
        .state = lv_state,
        .remove = lv_remove,
};
