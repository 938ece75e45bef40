/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The generic driver's machines: existing Linux hosts Berth provisions over SSH
 * (docs/design/machine.md, "The generic driver"). This part reads what a host reports about
 * itself; the provisioning (generic.c, in lib/berth/machine-vm.so) runs the steps.
 */
#include <stdbool.h>

#include "shared/base/err.h"

/* What the detection script prints, one KEY=VALUE line each (generic.c, DETECT_SCRIPT). */
struct gen_facts {
    char *arch;       /* uname -m: "x86_64" */
    char *os_id;      /* /etc/os-release ID: "debian" */
    char *os_like;    /* ID_LIKE: "debian" for ubuntu */
    char *os_version; /* VERSION_ID: "12" */
    char *os_name;    /* PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)" */
    char *hostname;   /* the host's name, for the server certificate */
    char *home;       /* the SSH user's home: the staging directory lives there */
    int uid;          /* the SSH user's uid; -1 when not reported */
    bool systemd;     /* systemd runs (/run/systemd/system) */
    bool apt;         /* apt-get and dpkg-query are there */
    int dockerd_pid;  /* a running dockerd, 0 when none */
    char *sha_berthd; /* SHA-256 (hex) of the installed programs, NULL when absent */
    char *sha_monitor;
    char *sha_init;
    char **missing; /* packages of remote-host.txt not installed (NULL-terminated, or NULL) */
    char *marker;   /* the first line of /etc/berth/machine, NULL when there is none */
};

/* Parse the script's output. Unknown keys and lines without '=' are ignored; values are taken
 * up to the end of the line, at most 4096 bytes; a key given twice keeps the last value
 * (missing= accumulates). Never fails on content: what is not there stays NULL, 0 or -1. */
void gen_facts_parse(const char *text, size_t len, struct gen_facts *out);
void gen_facts_clear(struct gen_facts *f);

/* Can Berth install its dependencies there (apt on Debian, Ubuntu and their derivatives)?
 * BT_E_UNSUPPORTED otherwise: `unsupported distribution "Fedora Linux 39": Berth installs
 * berthd's dependencies with apt (Debian, Ubuntu)`. */
int gen_facts_check_distro(const struct gen_facts *f, bt_err **err);

/* A DNS name by RFC 1123 (letters, digits, '-' and '.', labels of 1..63, at most 253) or an
 * IPv4 address: what may name a host in a certificate, a URL and `machine env`'s output. */
bool gen_hostname_ok(const char *s);

/* Is a word safe inside '...' of a shell script and in a path: no quote, no control
 * character, no newline, not empty. */
bool gen_word_ok(const char *s);
