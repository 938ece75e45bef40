/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * What `berth machine` does to a machine's VM: the image, the disks, the driver (host/vm), the
 * start's stages, the engine over TLS, SSH and SCP (docs/design/machine.md, "Start, stage by
 * stage").
 *
 * All of it lives in a module, lib/berth/machine-vm.so (vm-ops.c and its siblings), which
 * links libvirt, libcurl, libssh2 and libarchive: vm-load.c forwards these functions to it,
 * loading it on first use, so `berth ps` and the machine commands that only read the store
 * (`env`, `ip`, `url`, `config`, `inspect`) never map those libraries.
 *
 * Functions take a machine loaded from the store; those that change it (create, start) save
 * its config.json themselves. The caller holds the machine's lock (machine_lock()) around
 * each call that changes the VM. Progress lines go to io->out, in docker-machine's words
 * ("Starting \"default\"...", "Waiting for an IP...").
 */
#include <stdbool.h>
#include <stdio.h>

#include "host/machine/live.h"
#include "host/machine/machine.h"
#include "shared/base/err.h"

struct machine_io {
    FILE *out;  /* progress lines */
    FILE *err;  /* warnings (TCG instead of KVM) */
    bool force; /* create --driver generic: provision a host that runs Docker's dockerd */
};

/* The boot2vm image's directory: $BERTH_VM_IMAGE, else <bin>/../boot2vm (a build tree), else
 * <bin>/../share/berth/boot2vm (an installation); it must hold vmlinuz (or vmlinux) and
 * initrd.img. BT_E_NOT_FOUND otherwise, saying how to build one. The caller frees. */
char *machine_image_dir(bt_err **err);

/* The VM's part of `create`, after machine_create() made the record: copy the image into the
 * machine's directory (NAME/boot2vm/), make the data disk, decide the accelerator (KVM only when
 * a probe boot works: host/vm/probe.h; $BERTH_VM_ACCEL=tcg|kvm decides instead), define the VM
 * with its driver, and save. Does not start it. */
int machine_vm_create(struct machine *m, const struct machine_io *io, bt_err **err);

/* Start the VM and wait for each stage (define, boot, network, sshd, engine), each with its
 * timeout ($BERTH_MACHINE_STAGE_TIMEOUT, in seconds, overrides them all). Before the start:
 * the host-only bridge is made when missing, the server certificate re-issued when it does not
 * name the machine's address, the config disk written. A failure names the stage, what it
 * waited for and the last lines of the console. BT_E_NOT_MODIFIED when it already runs
 * (`Machine "x" is already running.`). */
int machine_vm_start(struct machine *m, const struct machine_io *io, bt_err **err);

/* Stop: the ACPI power button, then forced off after 30 s ($BERTH_MACHINE_STOP_TIMEOUT).
 * BT_E_NOT_MODIFIED when it is not running. */
int machine_vm_stop(struct machine *m, const struct machine_io *io, bt_err **err);

/* Pull the plug. BT_E_NOT_MODIFIED when it is not running. */
int machine_vm_kill(struct machine *m, bt_err **err);

/* The table `ls`, `status` and `rm` ask (state, engine version, removal, new certificates). */
const struct machine_live *machine_vm_live(bt_err **err);

/* `machine ssh`: with args, run them joined by spaces (as docker-machine does) and return the
 * remote exit status in *status; without, a login shell. A pseudo-terminal is asked for when
 * stdin is a terminal. The host key is recorded in NAME/known_hosts on first use and checked
 * after. */
int machine_vm_ssh(struct machine *m, char *const *args, int *status, bt_err **err);

/* `machine scp [-r] SRC DST`: one of them is MACHINE:PATH. */
int machine_vm_scp(const struct machine_store *s, const char *src, const char *dst, bool recursive,
                   bt_err **err);

/* `machine upgrade`: copy the newest image into the machine (and restart it when it runs). */
int machine_vm_upgrade(struct machine *m, const struct machine_io *io, bt_err **err);

/* `berth machine __forward NAME` (started by a VM's start, ended by stop, kill, rm): relay
 * 127.0.0.1:PORT to the VM's PORT for every TCP port its containers publish, until SIGTERM
 * (forward.c). */
int machine_vm_forward(struct machine *m, bt_err **err);

/* `berth quickstart`'s first image: a busybox root file system made from this host's static
 * busybox (Debian's busybox-static), imported as REPO:latest over TLS unless the engine has it
 * already (*made says). No registry is needed. */
int machine_vm_seed_image(const struct machine *m, const char *busybox, const char *repo,
                          bool *made, bt_err **err);
