/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The machine's drivers: what runs a Berth VM from a struct vm_spec (docs/design/machine.md,
 * "Drivers"). Two drivers sit behind one vtable:
 *
 *  - "libvirt" (driver-libvirt.c; libvirt's only home in Berth): a persistent domain named
 *    "berth-NAME" on the URI the spec names, else $BERTH_LIBVIRT_URI, else qemu:///system for
 *    root and qemu:///session for anyone else;
 *  - "qemu" (driver-qemu.c): qemu-system-x86_64 started with -daemonize, its pid file
 *    (qemu.pid) and QMP socket (qmp.sock) in the machine's store directory, its definition
 *    (qemu.json: the command line create built) beside them.
 *
 * The drivers keep no state in the process: every operation takes the spec, finds the VM by
 * name (libvirt) or by the store directory (qemu), and returns. Callers build the spec from
 * the store's config.json each time; create and start take the same spec.
 *
 * Life cycle: create defines the VM (replacing an older definition; a running VM keeps running
 * as it was until it is stopped), start boots what create defined, stop presses the ACPI power
 * button and forces the VM off when the guest has not powered off within the timeout, kill
 * forces it off at once, remove forces it off if needed and deletes the definition (never the
 * disks or the store directory: those belong to host/machine).
 *
 * The guest's console goes to spec->console_log, truncated at every start, so a follower
 * (console.h) sees only the current boot. A guest reboot, and a kernel panic (panic=-1), end
 * the VM (QEMU's -no-reboot, libvirt's on_reboot=destroy): a machine restarts from the host,
 * where the config disk is rewritten first, never in a loop of failing boots.
 *
 * Errors (bt_err, see shared/base/err.h) in docker-machine's spirit, naming the machine:
 *   BT_E_NOT_FOUND     machine "dev" does not exist (not created)
 *   BT_E_NOT_MODIFIED  machine "dev" is already running / is already stopped
 *   BT_E_INVALID       a spec the driver cannot run (messages name the field)
 *   BT_E_FORBIDDEN     host-only networking without root (the qemu driver's tap; a libvirt
 *                      session daemon answers in its own words, BT_E_UNAVAILABLE)
 *   BT_E_UNAVAILABLE   libvirtd or qemu-system-x86_64 cannot be reached or started
 *   errno / BT_E_INTERNAL  anything else, with libvirt's or QEMU's own words appended
 *
 * Thread safety: the functions may be called from several threads, on different machines.
 * Two operations on one machine at the same time are the caller's to prevent (host/machine
 * holds a lock per machine).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

/* The domain name prefix: machine "dev" is libvirt domain "berth-dev". */
#define VM_DOMAIN_PREFIX "berth-"

enum vm_accel {
    VM_ACCEL_TCG, /* QEMU's emulation: works everywhere, several times slower */
    VM_ACCEL_KVM, /* hardware virtualisation: only where a probe boot worked (probe.h) */
};

enum vm_machine_type {
    VM_MACHINE_PC,      /* i440fx "pc": what both drivers run */
    VM_MACHINE_MICROVM, /* QEMU's microvm (qemu driver only): no PCI, no firmware; faster boots */
};

enum vm_net_mode {
    VM_NET_NONE,   /* no network device */
    VM_NET_BRIDGE, /* host-only: a tap on the Linux bridge spec->bridge (root only) */
    VM_NET_USER,   /* QEMU's user mode (slirp) with forwards from 127.0.0.1 */
};

/* The generic driver's host: an existing Linux machine reached over SSH, whose engine runs as a
 * service (driver-generic.c). Paths on that host: */
#define VM_REMOTE_BIN_DIR  "/usr/local/bin" /* berthd, berth-monitor, berth-init */
#define VM_REMOTE_ETC_DIR  "/etc/berth"     /* machine (Berth's marker), tls/ */
#define VM_REMOTE_TLS_DIR  "/etc/berth/tls" /* ca.pem, server.pem, server-key.pem */
#define VM_REMOTE_DATA_DIR "/var/lib/berth" /* the engine's data root */
#define VM_REMOTE_SOCKET   "/run/berth.sock"
#define VM_REMOTE_PIDFILE  "/run/berth.pid"
#define VM_REMOTE_LOG      "/var/log/berthd.log"
#define VM_REMOTE_INIT     "/etc/init.d/berthd"
#define VM_REMOTE_UNIT     "/etc/systemd/system/berthd.service"
/* Shell: stop the engine through its service (systemd's where systemd runs, else the init
 * script's), for the driver's stop and for scripts that stop it on the way. */
#define VM_REMOTE_SERVICE_STOP                                                                \
    "if [ -d /run/systemd/system ]; then systemctl stop berthd.service; else " VM_REMOTE_INIT \
    " stop; fi\n"

struct vm_remote {
    const char *host;          /* an address or a DNS name */
    int ssh_port;              /* 1..65535 */
    const char *ssh_user;      /* root, or a user sudo lets run anything without a password */
    const char *identity_file; /* the machine's copy of the user's key; NULL: ssh-agent and
                                  ~/.ssh's default keys */
    const char *known_hosts;   /* the machine's own: a host key seen first is recorded there,
                                  a changed one refused */
    int engine_port;           /* berthd's TLS port: 1..65535 */
    int timeout_ms;            /* each stage of an SSH dial; 0: 30 s (`ls --timeout` sets it) */
    bool purge;                /* remove: Berth's data (VM_REMOTE_DATA_DIR, /etc/berth) too */
};

/* A TCP forward of user-mode networking: 127.0.0.1:host_port on the host to guest_port. */
struct vm_forward {
    uint16_t host_port;
    uint16_t guest_port;
};

/* A host directory shared with the guest over 9p (virtio), mounted by tag in the guest
 * (machine.env's BERTH_SHARES). QEMU runs it in "passthrough" mode: the guest sees the files'
 * real owners and modes. */
struct vm_share {
    const char *tag;       /* 1..31 characters of [A-Za-z0-9_.-] */
    const char *host_path; /* absolute; must exist when the VM starts */
};

/*
 * Everything a driver needs. All strings and arrays are the caller's and only read during
 * the call. Paths must be absolute and may hold any characters except control characters and
 * invalid UTF-8 (they are escaped wherever they go: domain XML, QEMU option strings).
 */
struct vm_spec {
    const char *name;      /* machine name: [A-Za-z0-9][A-Za-z0-9.-]*, at most 64 */
    const char *store_dir; /* the machine's directory (~/.berth/machines/NAME), existing */
    unsigned cpus;         /* >= 1 */
    unsigned memory_mb;    /* >= 64 */

    const char *kernel;  /* bzImage, or an uncompressed vmlinux (booted via PVH) */
    const char *initrd;  /* optional */
    const char *cmdline; /* the kernel command line (docs/design/machine.md) */

    const char *data_disk;   /* optional: qcow2, attached read-write as the first virtio disk */
    const char *config_disk; /* optional: raw config tar (disk.h), attached read-only after it */
    const char *console_log; /* the serial console (ttyS0) goes here */
    const char *mac;         /* "02:xx:xx:xx:xx:xx" (network.h: vm_mac_for_name) */

    enum vm_net_mode net;
    const char *bridge;                /* VM_NET_BRIDGE: the bridge's name ("berth-hostonly") */
    const struct vm_forward *forwards; /* VM_NET_USER: forwards from 127.0.0.1 */
    size_t n_forwards;
    /* VM_NET_USER: QEMU's restrict=on, the guest cannot open connections to the host or
     * beyond (only the forwards reach it); false for a machine whose engine pulls images */
    bool net_restrict;

    const struct vm_share *shares;
    size_t n_shares;

    enum vm_accel accel;
    enum vm_machine_type machine;

    const struct vm_remote *remote; /* generic only (and required there) */

    const char *libvirt_uri; /* libvirt only; NULL: see vm_libvirt_uri() */
    const char *qemu;        /* qemu only; NULL: qemu-system-x86_64 found on PATH */
};

enum vm_state {
    VM_STATE_MISSING,  /* no such VM: never created, or removed */
    VM_STATE_STOPPED,  /* defined, not running */
    VM_STATE_RUNNING,  /* running (booting or booted: the console says how far) */
    VM_STATE_PAUSED,   /* running but its CPUs are stopped (libvirt under broken KVM, ...) */
    VM_STATE_STOPPING, /* the guest is shutting down (libvirt's "in shutdown") */
    VM_STATE_ERROR,    /* crashed, or a state the driver cannot name */
};

/* docker-machine's words for a state: "Running", "Stopped", "Paused", "Stopping", "Error";
 * VM_STATE_MISSING is "Missing". */
const char *vm_state_name(enum vm_state state);

struct vm_driver {
    const char *name; /* "libvirt" or "qemu" */

    /* Define the VM from spec, replacing an earlier definition (libvirt keeps the domain's
     * UUID). Checks the spec first (vm_spec_check). */
    int (*create)(const struct vm_spec *spec, bt_err **err);
    /* Boot what create defined. Returns once QEMU runs; the guest boots after. */
    int (*start)(const struct vm_spec *spec, bt_err **err);
    /* Press the ACPI power button and wait up to timeout_ms for the guest to power off; then
     * force it off. *forced (may be NULL) says whether it had to be forced. */
    int (*stop)(const struct vm_spec *spec, int timeout_ms, bool *forced, bt_err **err);
    /* Force the VM off at once (pulling the plug). */
    int (*kill)(const struct vm_spec *spec, bt_err **err);
    /* The VM's state; a VM that does not exist is VM_STATE_MISSING, not an error. */
    int (*state)(const struct vm_spec *spec, enum vm_state *out, bt_err **err);
    /* Force off if running, then delete the definition (and for qemu its pid file and QMP
     * socket). Removing a missing VM succeeds. */
    int (*remove)(const struct vm_spec *spec, bt_err **err);
};

/* The driver called name ("libvirt", "qemu" or "generic"); NULL with BT_E_INVALID
 * `unsupported driver "x" (supported: libvirt, qemu, generic)` otherwise. */
const struct vm_driver *vm_driver_find(const char *name, bt_err **err);

/* Check a spec against the rules above, for the driver named (the microvm machine type is the
 * qemu driver's only). Messages name the field: `invalid memory size 16 MB: at least 64`. */
int vm_spec_check(const struct vm_spec *spec, const char *driver, bt_err **err);

/* The libvirt URI a spec reaches: spec_uri when set, else $BERTH_LIBVIRT_URI when set and
 * not empty, else "qemu:///system" when the process runs as root, "qemu:///session"
 * otherwise. The string is spec_uri, the environment's, or a literal. */
const char *vm_libvirt_uri(const char *spec_uri);

/* "berth-" + name; the caller frees. */
char *vm_domain_name(const char *name);

/* ---- the generic driver's host (driver-generic.c) -------------------------------------------
 *
 * The "generic" driver runs no VM: its create writes the engine's service on the host (a
 * systemd unit where systemd runs, an init script otherwise), start/stop/kill act on that
 * service, state reads it (MISSING: no service; RUNNING: berthd runs), remove stops it and
 * deletes the service and Berth's programs (with purge, Berth's data too; nothing else). The
 * spec needs only name, store_dir and remote. Every call is one SSH session running a script
 * with `sh -s` (through `sudo -n` for a user other than root). Its failures end with the
 * script's own words: `berthd did not answer within 30 s: see /var/log/berthd.log`. */

/* SSH options reaching the host (no command set; strings borrowed from r). */
struct tp_ssh_opts;
void vm_remote_ssh_opts(const struct vm_remote *r, struct tp_ssh_opts *o);

/* Run `script` on the host as root (sh -s), its output appended to *out (may be NULL). A
 * non-zero exit fails with `what: <the script's stderr, or its status>`. */
int vm_remote_run(const struct vm_remote *r, const char *what, const char *script,
                  struct bt_strbuf *out, bt_err **err);
/* The same as the SSH user, without sudo. */
int vm_remote_run_user(const struct vm_remote *r, const char *what, const char *script,
                       struct bt_strbuf *out, bt_err **err);

/* The service definitions create writes (for tests and docs): berthd's command line, the
 * init script and the systemd unit of machine `name`. The caller frees. */
char *vm_remote_engine_args(const struct vm_remote *r);
char *vm_remote_init_script(const struct vm_remote *r, const char *name);
char *vm_remote_unit(const struct vm_remote *r, const char *name);
/* The script the driver's create runs (the unit or the init script written, enabled): for a
 * caller that runs it within a script of its own, saving a session. */
char *vm_remote_service_script(const struct vm_remote *r, const char *name);
