/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * lib/berth/machine-vm.so (vm.h's work: vm-ops.c, vm-engine.c, vm-shell.c): the one symbol
 * vm-load.c looks up, `berth_machine_vm_module`, and the module's own functions. The ABI number
 * changes whenever the table does, so a module of another build is refused, not misused.
 */
#include <stdbool.h>

#include "host/machine/live.h"
#include "host/machine/machine.h"
#include "host/machine/vm.h"
#include "host/vm/driver.h"
#include "shared/base/strbuf.h"

#define MACHINE_VM_MODULE_ABI 3

struct machine_vm_module {
    int abi;
    struct machine_live live;
    int (*create)(struct machine *m, const struct machine_io *io, bt_err **err);
    int (*start)(struct machine *m, const struct machine_io *io, bt_err **err);
    int (*stop)(struct machine *m, const struct machine_io *io, bt_err **err);
    int (*kill)(struct machine *m, bt_err **err);
    int (*ssh)(struct machine *m, char *const *args, int *status, bt_err **err);
    int (*scp)(const struct machine_store *s, const char *src, const char *dst, bool recursive,
               bt_err **err);
    int (*upgrade)(struct machine *m, const struct machine_io *io, bt_err **err);
    int (*seed_image)(const struct machine *m, const char *busybox, const char *repo, bool *made,
                      bt_err **err);
    int (*forward)(struct machine *m, bt_err **err);
};

/* A machine's vm_spec and the strings it points to. */
struct mvm_spec {
    struct vm_spec spec;
    char *kernel, *initrd, *cmdline, *data_disk, *config_disk, *console_log;
    struct vm_forward forwards[2];
    struct vm_share *shares;
    struct vm_remote remote; /* the generic driver's host */
    char *known_hosts;
};

/* vm-ops.c */
/* A progress line to io->out (docker-machine's words), flushed; nothing without io->out. */
void mvm_say(const struct machine_io *io, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
int mvm_spec(const struct machine *m, struct mvm_spec *s, bt_err **err);
void mvm_spec_clear(struct mvm_spec *s);
const struct vm_driver *mvm_driver(const struct machine *m, bt_err **err);
/* The driver's state of the VM; timeout_ms bounds each stage of a generic host's SSH dial
 * (0: the dial's own 30 s). */
int mvm_vm_state(const struct machine *m, int timeout_ms, enum vm_state *out, bt_err **err);
enum machine_state mvm_state_of(enum vm_state s);
char *mvm_config_dir(const struct machine *m);
int mvm_copy_image(struct machine *m, const char *from, bt_err **err);
int mvm_write_config_disk(const struct machine *m, bt_err **err);
int mvm_create(struct machine *m, const struct machine_io *io, bt_err **err);
int mvm_start(struct machine *m, const struct machine_io *io, bt_err **err);
int mvm_stop(struct machine *m, const struct machine_io *io, bt_err **err);
int mvm_kill(struct machine *m, bt_err **err);
int mvm_upgrade(struct machine *m, const struct machine_io *io, bt_err **err);
int mvm_remove(void *ctx, const struct machine *m, bool purge, bt_err **err);
int mvm_live_state(void *ctx, const struct machine *m, int timeout_ms, enum machine_state *out,
                   bt_err **err);

/* generic.c: the generic driver's machines (provisioning over SSH) */
bool mgen_is(const struct machine *m);
int mgen_spec(const struct machine *m, struct mvm_spec *s, bt_err **err);
int mgen_create(struct machine *m, const struct machine_io *io, bt_err **err);
int mgen_start(struct machine *m, const struct machine_io *io, bt_err **err);
int mgen_upgrade(struct machine *m, const struct machine_io *io, bt_err **err);
int mgen_apply_certs(const struct machine *m, bt_err **err);

/* forward.c: the VM's published ports on the host's 127.0.0.1 */
int mfwd_run(struct machine *m, bt_err **err);
/* Start `berth machine __forward NAME` in the background unless one runs (VMs with a
 * host-only address only); end it. */
void mfwd_start(const struct machine *m);
void mfwd_stop(const struct machine *m);

/* vm-engine.c: CLOCK_MONOTONIC in milliseconds (deadlines here and in forward.c) */
long long mvm_now_ms(void);

/* vm-engine.c: the engine over mutual TLS with the machine's certificates (libcurl) */
/* GET path at the machine's URL; *status the HTTP status, body appended to *body. */
int mvm_engine_get(const struct machine *m, const char *path, int timeout_ms, long *status,
                   struct bt_strbuf *body, bt_err **err);
/* Poll /_ping until it answers OK, at most timeout_ms. */
int mvm_engine_wait(const struct machine *m, int timeout_ms, bt_err **err);
int mvm_engine_post(const struct machine *m, const char *path, const char *type, const void *data,
                    size_t len, int timeout_ms, long *status, struct bt_strbuf *body, bt_err **err);
/* Import a busybox root file system made from this host's static busybox as REPO:latest, unless
 * the engine has that image; *made says whether it did. */
int mvm_seed_image(const struct machine *m, const char *busybox, const char *repo, bool *made,
                   bt_err **err);
char *mvm_engine_version(void *ctx, const struct machine *m, int timeout_ms, bt_err **err);
int mvm_apply_certs(void *ctx, const struct machine *m, bt_err **err);

/* vm-shell.c: SSH and SFTP with the machine's key (libssh2, through host/transport) */
int mvm_ssh(struct machine *m, char *const *args, int *status, bt_err **err);
int mvm_ssh_run(const struct machine *m, const char *command_line, bt_err **err);
/* Copy the local files (NULL-terminated) into the guest's directory remote_dir, in one SFTP
 * session. */
int mvm_sftp_put(const struct machine *m, const char *const *locals, const char *remote_dir,
                 bt_err **err);
int mvm_scp(const struct machine_store *s, const char *src, const char *dst, bool recursive,
            bt_err **err);
