/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The machine store: Berth's VMs as records on disk, as docker-machine keeps them
 * (docs/design/machine.md, "The store").
 *
 *   <config>/machines/NAME/config.json   the machine (struct machine), written atomically
 *   <config>/machines/NAME/.lock         flock(2)ed by a command working on the machine
 *   <config>/machines/NAME/id_ed25519, id_ed25519.pub, ca.pem, cert.pem, key.pem,
 *                          server.pem, server-key.pem   (certs.h)
 *   <config>/machines/.lock              flock(2)ed while a machine is created or removed
 *   <config>/certs/{ca,ca-key,cert,key}.pem   the shared CA and client certificate
 *
 * <config> is ~/.berth, $BERTH_CONFIG or --config (the client's config directory).
 *
 * A machine exists when its directory does (a create reserves the name first, so two creates
 * of one name cannot both succeed); one whose config.json cannot be read is listed with the
 * reason (docker-machine's "hosts in error").
 *
 * config.json keeps members this build does not know: a machine is loaded into struct machine
 * and the document it came from, and saved by writing the known members back into that
 * document. "Driver" is the driver's own object (host/vm), kept as JSON and never interpreted
 * here.
 *
 * Ownership: functions returning struct machine * or char * hand the caller a new value
 * (machine_free(), free()). Nothing here is thread-safe; processes are kept apart by the locks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

#define MACHINE_DEFAULT_NAME   "default"
#define MACHINE_DEFAULT_CIDR   "192.168.99.1/24"
#define MACHINE_ENGINE_PORT    2376
#define MACHINE_SSH_PORT       22
#define MACHINE_CONFIG_VERSION 1

/* How the host reaches the machine (docs/design/machine.md, "Drivers"). */
#define MACHINE_NET_HOSTONLY "hostonly" /* a bridge, the VM at a static address of the CIDR */
#define MACHINE_NET_USER     "user"     /* QEMU's user mode: forwards from 127.0.0.1 */
#define MACHINE_NET_REMOTE   "remote"   /* a generic host, reached at its own address */

/* A directory of the host shared into the VM over 9p. */
struct machine_share {
    char *host_path;
    char *guest_path;
    char *tag; /* the 9p mount tag: "berth0", "berth1", ... */
};

struct machine {
    char *name;
    char *dir;         /* <config>/machines/NAME: not stored, DOCKER_CERT_PATH */
    char *driver_name; /* "libvirt", "qemu" */
    int cpus;
    int64_t memory_mb;
    int64_t disk_size_mb;
    char *network;       /* MACHINE_NET_HOSTONLY or MACHINE_NET_USER */
    char *hostonly_cidr; /* the host's address and prefix: "192.168.99.1/24" */
    char *ip_address;    /* where the host reaches the VM: its host-only address, 127.0.0.1 */
    char *mac_address;   /* "52:54:00:xx:xx:xx" */
    int engine_port;     /* berthd's TLS port as the host reaches it: 2376, or a forward */
    int ssh_port;        /* the VM's sshd as the host reaches it: 22, or a forward */
    char *ssh_user;      /* "root" */
    struct machine_share *shares;
    size_t nshares;
    char *accel;         /* "kvm", "tcg", or "" until the first start decides */
    char *created;       /* RFC 3339, UTC */
    char *image_version; /* the boot2vm image's version the machine last booted, or "" */
    json_t *doc;         /* the whole config.json ("Driver" included); owned */
};

void machine_free(struct machine *m);
BT_DEFINE_AUTOPTR(machine, struct machine, machine_free);

/* The driver's own object in config.json ("Driver"), created empty when missing. Borrowed:
 * changes to it are saved by machine_save(). */
json_t *machine_driver_config(struct machine *m);

/* Where things live; all strings owned. */
struct machine_store {
    char *config_dir;   /* ~/.berth */
    char *machines_dir; /* ~/.berth/machines */
    char *certs_dir;    /* ~/.berth/certs */
};

void machine_store_init(struct machine_store *s, const char *config_dir);
void machine_store_clear(struct machine_store *s);

/* docker-machine's rule for names, ^[a-zA-Z0-9][a-zA-Z0-9\-\.]*$, with its words:
 * BT_E_INVALID "Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . -". */
int machine_validate_name(const char *name, bt_err **err);

/* True when the machine's directory exists (the name is valid and taken). */
bool machine_exists(const struct machine_store *s, const char *name);

/* Load a machine. A missing one (or an invalid name, which cannot exist) is BT_E_NOT_FOUND in
 * docker-machine's words: `Berth machine "foo" does not exist. Use "berth machine ls" to list
 * machines. Use "berth machine create" to add a new one.` */
struct machine *machine_load(const struct machine_store *s, const char *name, bt_err **err);

/* Write the machine's config.json atomically (0600), keeping unknown members. */
int machine_save(const struct machine *m, bt_err **err);

/* One entry of the store: a machine, or why it could not be loaded. */
struct machine_entry {
    char *name;
    struct machine *machine; /* NULL when error is set */
    char *error;
};

/* Every machine of the store, in docker-machine's order (natural sort of the lower-cased
 * names: "m2" before "m10"). A missing store is an empty list. */
int machine_list(const struct machine_store *s, struct machine_entry **out, size_t *n,
                 bt_err **err);
void machine_list_free(struct machine_entry *list, size_t n);

/* docker-machine's name order (naturalsort on lower-cased names): <0, 0, >0. */
int machine_name_cmp(const char *a, const char *b);

/* Remove a machine's directory and everything in it (BT_E_NOT_FOUND: `NAME does not exist.`).
 * The caller holds the machine's lock; others waiting on it find the machine gone. */
int machine_remove(const struct machine_store *s, const char *name, bt_err **err);

/* ---- locks ---------------------------------------------------------------------------- */

/* Take the machine's lock (flock on NAME/.lock), waiting for another command to finish with
 * it (wait) or failing at once with BT_E_CONFLICT `machine "NAME" is in use by another berth
 * command`. Fails with BT_E_NOT_FOUND when the machine does not exist or was removed while
 * this command waited. Returns the fd that holds the lock: machine_unlock() it. */
int machine_lock(const struct machine_store *s, const char *name, bool wait, bt_err **err);
/* The store's lock (machines/.lock): held while names, addresses and ports are handed out. */
int machine_store_lock(const struct machine_store *s, bt_err **err);
void machine_unlock(int fd);

/* ---- addresses ------------------------------------------------------------------------- */

/* An IPv4 host-only network: the host's address and the prefix length. */
struct machine_cidr {
    uint32_t host; /* the host's own address (the bridge's), host byte order */
    int prefix;    /* 8..30 */
};

/* Parse "192.168.99.1/24". The address must be a host of its network (not the network or
 * broadcast address). BT_E_INVALID `invalid --hostonly-cidr "x": ...`. */
int machine_cidr_parse(const char *text, struct machine_cidr *out, bt_err **err);

/* The lowest free address of the network for a new machine: from .100 of the network on (the
 * VirtualBox DHCP range Docker Toolbox used; in networks too small for that, from the first
 * host address), skipping the host's own address and those in `used` (NULL-terminated, any
 * strings; those outside the network are ignored). The caller frees. BT_E_CONFLICT when the
 * network is full. */
char *machine_ip_allocate(const struct machine_cidr *net, const char *const *used, bt_err **err);

/* A MAC address for a new VM: QEMU's prefix 52:54:00 and three random bytes, none of `used`. */
char *machine_mac_allocate(const char *const *used);

/* The lowest port from `first` on that is in none of `used` (0-terminated) and free to bind on
 * 127.0.0.1 now (for user-mode forwards). 0 when none up to 65535. */
int machine_port_allocate(int first, const int *used);

/* tcp://IP:PORT, the engine's URL (DOCKER_HOST). The caller frees. */
char *machine_url(const struct machine *m);

/* ---- create ---------------------------------------------------------------------------- */

struct machine_create_opts {
    const char *name;
    const char *driver;        /* "libvirt" (default) or "qemu" */
    int cpus;                  /* 0: 1 */
    int64_t memory_mb;         /* 0: 1024 */
    int64_t disk_size_mb;      /* 0: 20000 */
    const char *network;       /* NULL: MACHINE_NET_HOSTONLY as root, else MACHINE_NET_USER */
    const char *hostonly_cidr; /* NULL: MACHINE_DEFAULT_CIDR */
    const char *const *shares; /* "HOST:GUEST" or "PATH" (same path in the VM) */
    bool no_share;             /* no shares at all (else $HOME when shares is empty) */
    const char *libvirt_uri;   /* kept in the driver's object as "URI" */
    const char *user;          /* the name in the certificates; NULL: the login name */
    /* --driver generic: the host (an address or a DNS name; required), the SSH user (NULL:
     * root), port (0: 22) and private key (NULL: ssh-agent and ~/.ssh's keys; else copied
     * into the machine's directory as ssh_key), and berthd's TLS port (0: 2376) */
    const char *generic_ip;
    const char *generic_ssh_user;
    int generic_ssh_port;
    const char *generic_ssh_key;
    int generic_engine_port;
};

/* The defaults, as docker-machine's virtualbox driver has them (1 CPU, 1 GiB, 20 GB). */
#define MACHINE_DEFAULT_CPUS      1
#define MACHINE_DEFAULT_MEMORY_MB 1024
#define MACHINE_DEFAULT_DISK_MB   20000

/* Check the options a user typed (name, driver, sizes, CIDR, shares) without touching the
 * store: the errors `create` prints before it does anything. */
int machine_create_check(const struct machine_create_opts *o, bt_err **err);

/* Everything of `machine create` that needs no VM: under the store's lock, reserve the name
 * (BT_E_CONFLICT `Berth machine "x" already exists`, docker-machine's words),
 * hand out the address, MAC and ports, make the shared CA and client certificate when missing,
 * the machine's server certificate, copies of ca.pem/cert.pem/key.pem, the SSH key, and write
 * config.json. On failure nothing of the machine is left. The driver's part (disks, domain)
 * comes after, on the machine returned. */
struct machine *machine_create(const struct machine_store *s, const struct machine_create_opts *o,
                               bt_err **err);

/* A generic machine whose create reached the host but did not finish: `create` again with the
 * same name and host resumes it (machine_create_resume()). */
bool machine_resumable(const struct machine *m);

/* The machine `create` left unfinished for these options: loaded, when the name is taken by a
 * resumable generic machine of the same host; NULL without an error when there is none to
 * resume; NULL with BT_E_CONFLICT (`Berth machine "x" already exists`) for another host. */
struct machine *machine_create_resume(const struct machine_store *s,
                                      const struct machine_create_opts *o, bt_err **err);

/* The user's login name (for certificate subjects), never NULL. The caller frees. */
char *machine_user_name(void);
