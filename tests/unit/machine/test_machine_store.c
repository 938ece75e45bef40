/* SPDX-License-Identifier: Apache-2.0 */
/* The machine store: names, records, list order, removal, locks, addresses, create. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/machine/machine.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

struct fixture {
    char *dir;
    struct machine_store store;
};

static int setup(void **state)
{
    struct fixture *f = bt_xzalloc(sizeof(*f));
    f->dir = bt_xstrdup("/tmp/mch-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    machine_store_init(&f->store, f->dir);
    setenv("BERTH_LIB_DIR", MACHINE_CRYPTO_DIR, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    bt_rm_rf(f->dir, NULL);
    machine_store_clear(&f->store);
    free(f->dir);
    free(f);
    return 0;
}

/* A record as a user (or an older berth) could have left it. */
static void write_machine(struct fixture *f, const char *name, const char *json)
{
    bt_autofree char *dir = bt_xasprintf("%s/%s", f->store.machines_dir, name);
    assert_int_equal(bt_mkdir_p(dir, 0700, NULL), 0);
    bt_autofree char *path = bt_xasprintf("%s/config.json", dir);
    assert_int_equal(bt_file_write_atomic(path, json, strlen(json), 0600, NULL), 0);
}

static void test_machine_store_names_follow_docker_machine(void **state)
{
    const char *good[] = {"default", "a", "A1", "dev-1", "my.vm", "9", "x--y..z", NULL};
    const char *bad[] = {"", "-a", ".a", "a_b", "a b", "a/b", "..", "é", "a:b", NULL};
    for (const char **n = good; *n; n++)
        assert_int_equal(machine_validate_name(*n, NULL), 0);
    for (const char **n = bad; *n; n++) {
        bt_autoerr bt_err *err = NULL;
        assert_int_equal(machine_validate_name(*n, &err), -1);
        assert_string_equal(bt_err_msg(err), "Invalid hostname specified. Allowed hostname "
                                             "chars are: 0-9a-zA-Z . -");
    }
}

static void test_machine_store_load_missing_in_docker_machine_words(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    assert_null(machine_load(&f->store, "foo", &err));
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
    assert_string_equal(bt_err_msg(err),
                        "Berth machine \"foo\" does not exist. Use \"berth machine ls\" to list "
                        "machines. Use \"berth machine create\" to add a new one.");
    bt_err_clear(&err);
    /* a name that could walk out of the store is simply not there */
    assert_null(machine_load(&f->store, "../certs", &err));
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
}

static void test_machine_store_save_keeps_unknown_members(void **state)
{
    struct fixture *f = *state;
    write_machine(f, "m1",
                  "{\"Name\": \"m1\", \"DriverName\": \"libvirt\", \"Driver\": {\"URI\": "
                  "\"qemu:///system\", \"X\": [1]}, \"CPUs\": 2, \"IPAddress\": "
                  "\"192.168.99.100\", \"Future\": {\"a\": true}}");
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(machine) m = machine_load(&f->store, "m1", &err);
    assert_non_null(m);
    assert_string_equal(m->driver_name, "libvirt");
    assert_int_equal(m->cpus, 2);
    assert_int_equal(m->memory_mb, MACHINE_DEFAULT_MEMORY_MB);
    assert_int_equal(m->engine_port, 2376);
    assert_string_equal(m->network, MACHINE_NET_HOSTONLY);
    bt_autofree char *url = machine_url(m);
    assert_string_equal(url, "tcp://192.168.99.100:2376");
    m->cpus = 4;
    bt_json_set_str(machine_driver_config(m), "Domain", "berth-m1");
    assert_int_equal(machine_save(m, &err), 0);

    bt_autofree char *path = bt_xasprintf("%s/config.json", m->dir);
    bt_autoptr(json_t) doc = bt_json_load_file(path, &err);
    assert_non_null(doc);
    assert_true(bt_json_get_bool(bt_json_get_obj(doc, "Future"), "a", false));
    json_t *drv = bt_json_get_obj(doc, "Driver");
    assert_string_equal(bt_json_get_str(drv, "URI", ""), "qemu:///system");
    assert_string_equal(bt_json_get_str(drv, "Domain", ""), "berth-m1");
    assert_non_null(bt_json_get_arr(drv, "X"));
    assert_int_equal(bt_json_get_int(doc, "CPUs", 0), 4);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_machine_store_list_natural_order_and_errors(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"m10", "M2", "a", "m1", "default", NULL};
    for (const char **n = names; *n; n++) {
        bt_autofree char *json = bt_xasprintf("{\"Name\": \"%s\"}", *n);
        write_machine(f, *n, json);
    }
    write_machine(f, "broken", "{\"Name\": ");
    write_machine(f, "wrongname", "{\"Name\": \"other\"}");
    /* not machines: a hidden file, a name docker-machine would refuse */
    bt_autofree char *junk = bt_xasprintf("%s/_junk", f->store.machines_dir);
    assert_int_equal(bt_mkdir_p(junk, 0700, NULL), 0);
    struct machine_entry *list = NULL;
    size_t n = 0;
    assert_int_equal(machine_list(&f->store, &list, &n, NULL), 0);
    const char *want[] = {"a", "broken", "default", "m1", "M2", "m10", "wrongname"};
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(list[i].name, want[i]);
    assert_null(list[1].machine);
    assert_non_null(strstr(list[1].error, "invalid JSON"));
    assert_null(list[6].machine);
    assert_non_null(strstr(list[6].error, "its Name is not \"wrongname\""));
    assert_non_null(list[3].machine);
    machine_list_free(list, n);
    assert_true(machine_name_cmp("m9", "m10") < 0);
    assert_true(machine_name_cmp("m010", "m9") > 0);
    assert_true(machine_name_cmp("B", "a") > 0);
}

static void test_machine_store_remove_takes_everything(void **state)
{
    struct fixture *f = *state;
    write_machine(f, "gone", "{\"Name\": \"gone\"}");
    bt_autofree char *extra = bt_xasprintf("%s/gone/disk.qcow2", f->store.machines_dir);
    assert_int_equal(bt_file_write_atomic(extra, "x", 1, 0600, NULL), 0);
    assert_true(machine_exists(&f->store, "gone"));
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(machine_remove(&f->store, "gone", &err), 0);
    assert_false(machine_exists(&f->store, "gone"));
    bt_autofree char *dir = bt_xasprintf("%s/gone", f->store.machines_dir);
    assert_false(bt_path_exists(dir));
    assert_int_equal(machine_remove(&f->store, "gone", &err), -1);
    assert_string_equal(bt_err_msg(err), "gone does not exist.");
}

static void test_machine_store_lock_excludes_and_sees_removal(void **state)
{
    struct fixture *f = *state;
    write_machine(f, "locked", "{\"Name\": \"locked\"}");
    bt_autoerr bt_err *err = NULL;
    int fd = machine_lock(&f->store, "locked", false, &err);
    assert_true(fd >= 0);
    /* a second command (another open file description) is refused while it is held */
    pid_t pid = fork();
    if (pid == 0) {
        close(fd); /* the parent's lock, inherited: not this command's */
        bt_err *e = NULL;
        int fd2 = machine_lock(&f->store, "locked", false, &e);
        _exit(fd2 < 0 && bt_err_code(e) == BT_E_CONFLICT &&
                              strcmp(bt_err_msg(e), "machine \"locked\" is in use by another "
                                                    "berth command") == 0
                      ? 0
                      : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
    /* a waiter that gets the lock after the machine was removed finds it gone */
    pid = fork();
    if (pid == 0) {
        close(fd);
        bt_err *e = NULL;
        int fd2 = machine_lock(&f->store, "locked", true, &e);
        _exit(fd2 < 0 && bt_err_is(e, BT_E_NOT_FOUND) ? 0 : 1);
    }
    usleep(100 * 1000);
    assert_int_equal(machine_remove(&f->store, "locked", &err), 0);
    machine_unlock(fd);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(machine_lock(&f->store, "locked", true, &err), -1);
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
}

static void test_machine_store_ip_lowest_free_from_100(void **state)
{
    struct machine_cidr net;
    assert_int_equal(machine_cidr_parse("192.168.99.1/24", &net, NULL), 0);
    bt_autofree char *a = machine_ip_allocate(&net, NULL, NULL);
    assert_string_equal(a, "192.168.99.100");
    const char *used[] = {"192.168.99.100", "192.168.99.102", "10.0.0.101", "junk", NULL};
    bt_autofree char *b = machine_ip_allocate(&net, used, NULL);
    assert_string_equal(b, "192.168.99.101");
    /* the host's own address is never handed out */
    assert_int_equal(machine_cidr_parse("10.1.2.101/24", &net, NULL), 0);
    const char *used2[] = {"10.1.2.100", NULL};
    bt_autofree char *c = machine_ip_allocate(&net, used2, NULL);
    assert_string_equal(c, "10.1.2.102");
    /* a small network starts at its first host */
    assert_int_equal(machine_cidr_parse("172.16.0.1/29", &net, NULL), 0);
    bt_autofree char *d = machine_ip_allocate(&net, NULL, NULL);
    assert_string_equal(d, "172.16.0.2");
    const char *full[] = {"172.16.0.2", "172.16.0.3", "172.16.0.4",
                          "172.16.0.5", "172.16.0.6", NULL};
    bt_autoerr bt_err *err = NULL;
    assert_null(machine_ip_allocate(&net, full, &err));
    assert_string_equal(bt_err_msg(err), "no free address left in 172.16.0.1/29 for a new "
                                         "machine");
}

static void test_machine_store_cidr_errors(void **state)
{
    struct machine_cidr net;
    const char *bad[][2] = {
            {"192.168.99.1", "want an address and a prefix length"},
            {"192.168.99.0/24", "192.168.99.0 is the network's own address"},
            {"192.168.99.255/24", "is the network's broadcast address"},
            {"192.168.99.1/31", "the prefix length must be 8 to 30"},
            {"192.168.99.1/x", "the prefix length must be 8 to 30"},
            {"fe80::1/64", "is no IPv4 address"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        assert_int_equal(machine_cidr_parse(bad[i][0], &net, &err), -1);
        assert_non_null(strstr(bt_err_msg(err), bad[i][1]));
    }
}

static void test_machine_store_create_makes_everything(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    const char *shares[] = {"/tmp:/hosttmp", NULL};
    struct machine_create_opts o = {.name = "dev",
                                    .network = MACHINE_NET_HOSTONLY,
                                    .cpus = 2,
                                    .shares = shares,
                                    .libvirt_uri = "qemu:///session",
                                    .user = "tester"};
    bt_autoptr(machine) m = machine_create(&f->store, &o, &err);
    if (!m)
        fail_msg("%s", bt_err_msg(err));
    assert_string_equal(m->ip_address, "192.168.99.100");
    assert_string_equal(m->driver_name, "libvirt");
    assert_int_equal(m->nshares, 1);
    assert_string_equal(m->shares[0].tag, "berth0");
    assert_string_equal(m->shares[0].guest_path, "/hosttmp");
    assert_int_equal(strncmp(m->mac_address, "52:54:00:", 9), 0);
    const char *files[] = {"config.json", "ca.pem",         "cert.pem",
                           "key.pem",     "server.pem",     "server-key.pem",
                           "id_ed25519",  "id_ed25519.pub", NULL};
    for (const char **p = files; *p; p++) {
        bt_autofree char *path = bt_xasprintf("%s/%s", m->dir, *p);
        assert_true(bt_path_exists(path));
    }
    /* the second machine gets the next address and keeps the first one's */
    o.name = "dev2";
    o.shares = NULL;
    o.no_share = true;
    bt_autoptr(machine) m2 = machine_create(&f->store, &o, &err);
    assert_non_null(m2);
    assert_string_equal(m2->ip_address, "192.168.99.101");
    assert_int_equal(m2->nshares, 0);
    assert_string_not_equal(m->mac_address, m2->mac_address);
    /* the same name again is refused, and leaves the first alone */
    o.name = "dev";
    assert_null(machine_create(&f->store, &o, &err));
    assert_string_equal(bt_err_msg(err), "Berth machine \"dev\" already exists");
    bt_err_clear(&err);
    bt_autoptr(machine) again = machine_load(&f->store, "dev", &err);
    assert_non_null(again);
    assert_string_equal(again->ip_address, "192.168.99.100");
    assert_string_equal(bt_json_get_str(machine_driver_config(again), "URI", ""),
                        "qemu:///session");
    /* removing the first frees its address for the next machine */
    assert_int_equal(machine_remove(&f->store, "dev", &err), 0);
    o.name = "dev3";
    bt_autoptr(machine) m3 = machine_create(&f->store, &o, &err);
    assert_non_null(m3);
    assert_string_equal(m3->ip_address, "192.168.99.100");
}

static void test_machine_store_create_checks_options(void **state)
{
    struct fixture *f = *state;
    struct {
        struct machine_create_opts o;
        const char *msg;
    } cases[] = {
            {{.name = "_x"},
             "Error creating machine: Invalid hostname specified. Allowed hostname chars are: "
             "0-9a-zA-Z . -"},
            {{.name = "x", .driver = "virtualbox"},
             "Driver \"virtualbox\" not found. Berth has the drivers \"libvirt\", \"qemu\" and "
             "\"generic\""},
            {{.name = "x", .memory_mb = 64}, "invalid --memory 64: want at least 128 (MB)"},
            {{.name = "x", .hostonly_cidr = "1.2.3.4"},
             "invalid --hostonly-cidr \"1.2.3.4\": want an address and a prefix length "
             "(192.168.99.1/24)"},
            {{.name = "x", .shares = (const char *const[]){"rel:/x", NULL}},
             "invalid --share \"rel:/x\": want HOST:GUEST, both absolute paths"},
            {{.name = "x", .driver = "generic"},
             "Error creating machine: generic driver requires the --generic-ip-address option"},
            {{.name = "x",
              .driver = "generic",
              .generic_ip = "10.0.0.1",
              .generic_ssh_port = 70000},
             "invalid --generic-ssh-port 70000: want 1 to 65535"},
            {{.name = "x", .driver = "generic", .generic_ip = "a b"},
             "invalid --generic-ip-address \"a b\": want an IPv4 address or a DNS name"},
            {{.name = "x",
              .driver = "generic",
              .generic_ip = "10.0.0.1",
              .generic_ssh_user = "a'b"},
             "invalid --generic-ssh-user \"a'b\""},
            {{.name = "x",
              .driver = "generic",
              .generic_ip = "10.0.0.1",
              .generic_ssh_key = "/nonexistent/key"},
             "Error creating machine: SSH key does not exist: \"/nonexistent/key\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        assert_null(machine_create(&f->store, &cases[i].o, &err));
        assert_string_equal(bt_err_msg(err), cases[i].msg);
    }
    assert_false(machine_exists(&f->store, "x"));
}

/* A generic host: its address and ports as given, the key copied, no VM members; a create that
 * touched the host and failed is resumed for the same host only. */
static void test_machine_store_generic_record_and_resume(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *key = bt_xasprintf("%s/user_key", f->dir);
    assert_int_equal(bt_file_write_atomic(key, "KEY", 3, 0600, NULL), 0);
    struct machine_create_opts o = {.name = "g1",
                                    .driver = "generic",
                                    .generic_ip = "10.231.1.2",
                                    .generic_ssh_port = 2222,
                                    .generic_ssh_key = key,
                                    .user = "t"};
    bt_autoptr(machine) m = machine_create(&f->store, &o, &err);
    if (!m)
        fail_msg("%s", bt_err_msg(err));
    assert_string_equal(m->ip_address, "10.231.1.2");
    assert_int_equal(m->ssh_port, 2222);
    assert_int_equal(m->engine_port, 2376);
    assert_string_equal(m->ssh_user, "root");
    assert_string_equal(m->network, MACHINE_NET_REMOTE);
    bt_autofree char *copy = bt_xasprintf("%s/ssh_key", m->dir);
    assert_string_equal(bt_json_get_str(machine_driver_config(m), "SSHKeyPath", ""), copy);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(copy, &sb, 100, NULL), 0);
    assert_string_equal(bt_strbuf_str(&sb), "KEY");
    bt_autofree char *url = machine_url(m);
    assert_string_equal(url, "tcp://10.231.1.2:2376");
    /* not touched yet: a second create is refused, as for any existing name */
    assert_false(machine_resumable(m));
    assert_null(machine_create_resume(&f->store, &o, &err));
    assert_string_equal(bt_err_msg(err), "Berth machine \"g1\" already exists");
    bt_err_clear(&err);
    json_object_set_new(machine_driver_config(m), "Touched", json_true());
    assert_int_equal(machine_save(m, NULL), 0);
    bt_autoptr(machine) again = machine_create_resume(&f->store, &o, &err);
    assert_non_null(again);
    assert_true(machine_resumable(again));
    o.generic_ip = "10.231.9.9"; /* another host under that name: refused */
    assert_null(machine_create_resume(&f->store, &o, &err));
    assert_string_equal(bt_err_msg(err), "Berth machine \"g1\" already exists");
    bt_err_clear(&err);
    o.name = "fresh"; /* no such machine: nothing to resume, no error */
    assert_null(machine_create_resume(&f->store, &o, &err));
    assert_null(err);
}

static void test_machine_store_user_mode_forwards(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    struct machine_create_opts o = {
            .name = "u1", .network = MACHINE_NET_USER, .no_share = true, .user = "t"};
    bt_autoptr(machine) a = machine_create(&f->store, &o, &err);
    assert_non_null(a);
    o.name = "u2";
    bt_autoptr(machine) b = machine_create(&f->store, &o, &err);
    assert_non_null(b);
    assert_string_equal(a->ip_address, "127.0.0.1");
    assert_true(a->engine_port >= 12376 && a->ssh_port >= 12222);
    assert_int_not_equal(a->engine_port, b->engine_port);
    assert_int_not_equal(a->ssh_port, b->ssh_port);
    bt_autofree char *url = machine_url(b);
    bt_autofree char *want = bt_xasprintf("tcp://127.0.0.1:%d", b->engine_port);
    assert_string_equal(url, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_machine_store_names_follow_docker_machine),
            cmocka_unit_test_setup_teardown(test_machine_store_load_missing_in_docker_machine_words,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_machine_store_save_keeps_unknown_members, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_machine_store_list_natural_order_and_errors, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_machine_store_remove_takes_everything, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_machine_store_lock_excludes_and_sees_removal,
                                            setup, teardown),
            cmocka_unit_test(test_machine_store_ip_lowest_free_from_100),
            cmocka_unit_test(test_machine_store_cidr_errors),
            cmocka_unit_test_setup_teardown(test_machine_store_create_makes_everything, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_machine_store_create_checks_options, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_machine_store_generic_record_and_resume, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_machine_store_user_mode_forwards, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
