/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Internals of host/vm shared between its files and its unit tests; not for other modules. */
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "host/vm/driver.h"
#include "shared/base/strbuf.h"

/* ---- text checks (xml.c) ------------------------------------------------------------------- */

/* True when s is valid UTF-8 without control characters (tab included): what every string of
 * a spec must be before it goes into XML or a QEMU option. */
bool vm_text_ok(const char *s);

/* ---- a small XML writer (xml.c) ------------------------------------------------------------ */

/*
 * Elements are opened, filled and closed in order; every attribute value and text is escaped
 * (& < > ' " as entities). Text that XML 1.0 cannot hold (control characters, invalid UTF-8)
 * marks the writer bad, and vm_xml_finish() then fails naming it, so no caller has to check
 * each call. Output is indented by two spaces per level, attributes single-quoted, as libvirt
 * writes its own XML.
 */
struct vm_xml {
    struct bt_strbuf sb;
    const char *stack[16];
    int depth;
    char *bad; /* the first value that could not be written */
};

/* <tag attrs>. Attributes follow as name, value pairs ended by a NULL name; a pair whose value
 * is NULL is left out. */
void vm_xml_open(struct vm_xml *x, const char *tag, ...) __attribute__((sentinel));
/* <tag attrs/> */
void vm_xml_empty(struct vm_xml *x, const char *tag, ...) __attribute__((sentinel));
/* <tag attrs>text</tag> */
void vm_xml_leaf(struct vm_xml *x, const char *tag, const char *text, ...)
        __attribute__((sentinel));
void vm_xml_close(struct vm_xml *x);
/* The document (the caller frees), or NULL with BT_E_INVALID naming the bad value. Frees the
 * writer's buffers either way. */
char *vm_xml_finish(struct vm_xml *x, bt_err **err);
/* Append s escaped; false (nothing appended) when s cannot be held by XML 1.0. */
bool vm_xml_escape(struct bt_strbuf *sb, const char *s);

/* ---- the libvirt domain (domain-xml.c) ----------------------------------------------------- */

struct vm_domain_opts {
    const char *uuid; /* keep this UUID (redefining a domain); NULL: libvirt makes one */
    /* Run QEMU as this user and group (a static DAC label, no relabelling): set when libvirtd is
     * the system one and the caller is root, so QEMU reads a store under root's 0700 home. */
    bool run_as;
    unsigned uid, gid;
};

/* The domain XML of a spec (checked already). */
char *vm_domain_xml(const struct vm_spec *spec, const struct vm_domain_opts *opts, bt_err **err);

/* ---- QEMU's command line (qemu-argv.c) ----------------------------------------------------- */

/* The fd number QEMU's tap netdev is given (the qemu driver puts the tap there). */
#define VM_QEMU_TAP_FD 3

/* s for a QEMU option value: commas doubled (QEMU's escape in "key=value,..." strings). */
char *vm_qemu_opt_escape(const char *s);

/* QEMU's argv for a spec (checked already): -daemonize with pidfile, QMP on qmp_path, the
 * console, disks, network (bridge: "-netdev tap,fd=VM_QEMU_TAP_FD"), shares. NULL-terminated;
 * free with bt_strv_free(). */
char **vm_qemu_argv(const struct vm_spec *spec, const char *pidfile, const char *qmp_path);

/* The command line spec->cmdline with what the machine type needs added (microvm under TCG
 * hangs at "Marking TSC unstable" without tsc_early_khz). The caller frees. */
char *vm_qemu_cmdline(const struct vm_spec *spec);

/* ---- QMP (qmp.c) --------------------------------------------------------------------------- */

/* One QMP command as sent: {"execute": "...", "arguments": {...}} and "\r\n". args may be
 * NULL; it is not consumed. The caller frees. */
char *vm_qmp_message(const char *command, json_t *args);

/* Read one QMP line: 1 for an event or the greeting (to be skipped), 0 for a return (*ret, a
 * new reference, when ret is set), -1 for an error reply ("CommandNotFound: ..." from QMP's
 * class and desc) or text that is not a QMP message. */
int vm_qmp_parse_reply(const char *line, json_t **ret, bt_err **err);

struct vm_qmp;
/* Connect to QMP's unix socket, read the greeting and negotiate (qmp_capabilities). */
struct vm_qmp *vm_qmp_connect(const char *path, int timeout_ms, bt_err **err);
/* Run a command and wait for its reply (events on the way are skipped). *ret (optional) gets
 * the "return" value. */
int vm_qmp_execute(struct vm_qmp *q, const char *command, json_t *args, json_t **ret,
                   int timeout_ms, bt_err **err);
void vm_qmp_close(struct vm_qmp *q);

/* ---- processes (process.c) ----------------------------------------------------------------- */

struct vm_run_opts {
    int keep_fd;    /* >= 0: given to the child as VM_QEMU_TAP_FD */
    int timeout_ms; /* killed (SIGKILL) when still running after this; 0: 60 s */
};

/* Run argv (argv[0] looked up in PATH) to its end, stdin /dev/null, stdout and stderr into out
 * (optional). *status gets the exit status as waitpid gives it. A program not on PATH is
 * BT_E_UNAVAILABLE "PROGRAM is not installed (not found on PATH)", one that cannot be executed
 * BT_E_UNAVAILABLE "cannot run PROGRAM"; one still running after the timeout is killed and is
 * BT_E_TIMEOUT. */
int vm_run(char *const argv[], const struct vm_run_opts *opts, struct bt_strbuf *out, int *status,
           bt_err **err);

/* Start argv in the background with stdin /dev/null and stdout and stderr to out_fd (or
 * /dev/null when -1); returns its pid. */
pid_t vm_spawn(char *const argv[], int out_fd, bt_err **err);

/* Monotonic milliseconds. */
long long vm_now_ms(void);
/* Sleep ms milliseconds. */
void vm_sleep_ms(int ms);
/* The last lines of text (for error messages), trimmed of trailing blank lines. */
char *vm_last_lines(const char *text, unsigned n);
