/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-vm-drive: host/vm's drivers from the command line, for tests (tests/vm/test_vm_drivers.py).
 *
 *   berth-vm-drive [SPEC OPTIONS] create|start|kill|state|remove
 *   berth-vm-drive [SPEC OPTIONS] stop [--timeout MS]    prints "stopped" or "forced"
 *   berth-vm-drive console-wait LOG MARKER TIMEOUT_MS    prints the line from the marker on
 *   berth-vm-drive tail LOG N
 *   berth-vm-drive probe KERNEL INITRD CACHE [TIMEOUT_MS] prints "tcg|kvm cached|probed S: REASON"
 *   berth-vm-drive bridge NAME CIDR | bridge-rm NAME
 *   berth-vm-drive mac NAME | tap NAME
 *   berth-vm-drive config-disk OUT NAME=HOSTFILE...      vm_config_disk_write (mode 0644)
 *   berth-vm-drive data-disk PATH SIZE_MB                vm_data_disk_create
 *
 * Spec options: --driver qemu|libvirt (qemu), --name N, --store DIR, --kernel, --initrd,
 * --cmdline, --console (STORE/console.log), --cpus (1), --memory MB (256), --accel tcg|kvm,
 * --machine pc|microvm, --net none|bridge|user, --bridge NAME, --mac MAC (vm_mac_for_name),
 * --forward HOST:GUEST (repeatable), --restrict, --share TAG:PATH (repeatable), --data-disk,
 * --config-disk, --uri URI.
 *
 * Failures print "berth-vm-drive: CODE: MESSAGE" on stderr (CODE: bt_err_code_name) and exit 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/vm/console.h"
#include "host/vm/disk.h"
#include "host/vm/driver.h"
#include "host/vm/network.h"
#include "host/vm/probe.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"

#define MAX_ITEMS 16

static int fail(bt_err *e)
{
    fprintf(stderr, "berth-vm-drive: %s: %s\n", bt_err_code_name(bt_err_code(e)), bt_err_msg(e));
    return 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: berth-vm-drive [SPEC OPTIONS] COMMAND [ARGS] (see vm-drive.c)\n");
    return 2;
}

static int misc_command(int argc, char **argv, bool *done)
{
    bt_autoerr bt_err *err = NULL;
    const char *cmd = argv[0];
    *done = true;
    if (strcmp(cmd, "console-wait") == 0 && argc == 4) {
        bt_autofree char *line = NULL;
        int r = vm_console_wait(argv[1], argv[2], atoi(argv[3]), &line, &err);
        if (line)
            printf("%s\n", line);
        return r < 0 ? fail(err) : 0;
    }
    if (strcmp(cmd, "tail") == 0 && argc == 3) {
        bt_autofree char *t = vm_console_tail(argv[1], (unsigned)atoi(argv[2]), &err);
        if (!t)
            return fail(err);
        printf("%s\n", t);
        return 0;
    }
    if (strcmp(cmd, "probe") == 0 && (argc == 4 || argc == 5)) {
        struct vm_probe_opts o = {.kernel = argv[1],
                                  .initrd = argv[2],
                                  .cache = argv[3],
                                  .timeout_ms = argc == 5 ? atoi(argv[4]) : 0};
        struct vm_probe_result r;
        if (vm_accel_probe(&o, &r, &err) < 0)
            return fail(err);
        printf("%s %s %.1f: %s\n", r.accel == VM_ACCEL_KVM ? "kvm" : "tcg",
               r.cached ? "cached" : "probed", r.seconds, r.reason);
        return 0;
    }
    if (strcmp(cmd, "bridge") == 0 && argc == 3)
        return vm_bridge_ensure(argv[1], argv[2], &err) < 0 ? fail(err) : 0;
    if (strcmp(cmd, "bridge-rm") == 0 && argc == 2)
        return vm_bridge_remove(argv[1], &err) < 0 ? fail(err) : 0;
    if (strcmp(cmd, "config-disk") == 0 && argc >= 2 && argc - 2 <= MAX_ITEMS) {
        struct vm_config_file files[MAX_ITEMS];
        struct bt_strbuf data[MAX_ITEMS];
        size_t n = 0;
        int r = 0;
        for (int i = 2; i < argc && r == 0; i++, n++) {
            char *eq = strchr(argv[i], '=');
            data[n] = (struct bt_strbuf)BT_STRBUF_INIT;
            if (!eq) {
                r = bt_err_set(&err, BT_E_INVALID, "config-disk: NAME=HOSTFILE, not \"%s\"",
                               argv[i]);
                break;
            }
            *eq = 0;
            r = bt_file_read(eq + 1, &data[n], 64 << 20, &err);
            files[n] = (struct vm_config_file){argv[i], data[n].buf, data[n].len, 0644};
        }
        if (r == 0)
            r = vm_config_disk_write(argv[1], files, n, &err);
        for (size_t i = 0; i < n; i++)
            bt_strbuf_free(&data[i]);
        return r < 0 ? fail(err) : 0;
    }
    if (strcmp(cmd, "data-disk") == 0 && argc == 3)
        return vm_data_disk_create(argv[1], strtoull(argv[2], NULL, 10), &err) < 0 ? fail(err) : 0;
    if (strcmp(cmd, "mac") == 0 && argc == 2) {
        char mac[VM_MAC_STR_SIZE];
        vm_mac_for_name(argv[1], mac);
        printf("%s\n", mac);
        return 0;
    }
    if (strcmp(cmd, "tap") == 0 && argc == 2) {
        char tap[VM_IFNAME_SIZE];
        vm_tap_name(argv[1], tap);
        printf("%s\n", tap);
        return 0;
    }
    *done = false;
    return 0;
}

static int driver_command(const char *driver, const struct vm_spec *s, int argc, char **argv)
{
    bt_autoerr bt_err *err = NULL;
    const struct vm_driver *d = vm_driver_find(driver, &err);
    if (!d)
        return fail(err);
    const char *cmd = argv[0];
    int r;
    if (strcmp(cmd, "create") == 0) {
        r = d->create(s, &err);
    } else if (strcmp(cmd, "start") == 0) {
        r = d->start(s, &err);
    } else if (strcmp(cmd, "stop") == 0) {
        int timeout = 30000;
        if (argc == 3 && strcmp(argv[1], "--timeout") == 0)
            timeout = atoi(argv[2]);
        bool forced = false;
        r = d->stop(s, timeout, &forced, &err);
        if (r == 0)
            printf("%s\n", forced ? "forced" : "stopped");
    } else if (strcmp(cmd, "kill") == 0) {
        r = d->kill(s, &err);
    } else if (strcmp(cmd, "state") == 0) {
        enum vm_state st;
        r = d->state(s, &st, &err);
        if (r == 0)
            printf("%s\n", vm_state_name(st));
    } else if (strcmp(cmd, "remove") == 0) {
        r = d->remove(s, &err);
    } else {
        return usage();
    }
    return r < 0 ? fail(err) : 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
            {"driver", required_argument, NULL, 'd'},
            {"name", required_argument, NULL, 'n'},
            {"store", required_argument, NULL, 's'},
            {"kernel", required_argument, NULL, 'k'},
            {"initrd", required_argument, NULL, 'i'},
            {"cmdline", required_argument, NULL, 'c'},
            {"console", required_argument, NULL, 'l'},
            {"cpus", required_argument, NULL, 'p'},
            {"memory", required_argument, NULL, 'm'},
            {"accel", required_argument, NULL, 'a'},
            {"machine", required_argument, NULL, 'M'},
            {"net", required_argument, NULL, 'N'},
            {"bridge", required_argument, NULL, 'b'},
            {"mac", required_argument, NULL, 'C'},
            {"forward", required_argument, NULL, 'f'},
            {"restrict", no_argument, NULL, 'R'},
            {"share", required_argument, NULL, 'S'},
            {"data-disk", required_argument, NULL, 'D'},
            {"config-disk", required_argument, NULL, 'G'},
            {"uri", required_argument, NULL, 'u'},
            {NULL, 0, NULL, 0},
    };
    struct vm_spec s = {.cpus = 1, .memory_mb = 256, .name = "test"};
    const char *driver = "qemu";
    struct vm_forward fw[MAX_ITEMS];
    struct vm_share sh[MAX_ITEMS];
    s.forwards = fw;
    s.shares = sh;
    int c;
    /* "+": options end at the command, whose own arguments may start with "-" */
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            driver = optarg;
            break;
        case 'n':
            s.name = optarg;
            break;
        case 's':
            s.store_dir = optarg;
            break;
        case 'k':
            s.kernel = optarg;
            break;
        case 'i':
            s.initrd = optarg;
            break;
        case 'c':
            s.cmdline = optarg;
            break;
        case 'l':
            s.console_log = optarg;
            break;
        case 'p':
            s.cpus = (unsigned)atoi(optarg);
            break;
        case 'm':
            s.memory_mb = (unsigned)atoi(optarg);
            break;
        case 'a':
            s.accel = strcmp(optarg, "kvm") == 0 ? VM_ACCEL_KVM : VM_ACCEL_TCG;
            break;
        case 'M':
            s.machine = strcmp(optarg, "microvm") == 0 ? VM_MACHINE_MICROVM : VM_MACHINE_PC;
            break;
        case 'N':
            s.net = strcmp(optarg, "bridge") == 0 ? VM_NET_BRIDGE
                    : strcmp(optarg, "user") == 0 ? VM_NET_USER
                                                  : VM_NET_NONE;
            break;
        case 'b':
            s.bridge = optarg;
            break;
        case 'C':
            s.mac = optarg;
            break;
        case 'f': {
            unsigned h, g;
            if (s.n_forwards == MAX_ITEMS || sscanf(optarg, "%u:%u", &h, &g) != 2)
                return usage();
            fw[s.n_forwards++] = (struct vm_forward){(uint16_t)h, (uint16_t)g};
            break;
        }
        case 'R':
            s.net_restrict = true;
            break;
        case 'S': {
            char *colon = strchr(optarg, ':');
            if (s.n_shares == MAX_ITEMS || !colon)
                return usage();
            *colon = 0;
            sh[s.n_shares++] = (struct vm_share){optarg, colon + 1};
            break;
        }
        case 'D':
            s.data_disk = optarg;
            break;
        case 'G':
            s.config_disk = optarg;
            break;
        case 'u':
            s.libvirt_uri = optarg;
            break;
        default:
            return usage();
        }
    }
    if (optind >= argc)
        return usage();
    bool done;
    int r = misc_command(argc - optind, argv + optind, &done);
    if (done)
        return r;
    char mac[VM_MAC_STR_SIZE];
    if (!s.mac) {
        vm_mac_for_name(s.name, mac);
        s.mac = mac;
    }
    bt_autofree char *console = NULL;
    if (!s.console_log && s.store_dir) {
        console = bt_xasprintf("%s/console.log", s.store_dir);
        s.console_log = console;
    }
    return driver_command(driver, &s, argc - optind, argv + optind);
}
