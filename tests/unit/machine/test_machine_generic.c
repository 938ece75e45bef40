/* SPDX-License-Identifier: Apache-2.0 */
/* What a generic host reports about itself (host/machine/generic-facts.c), and the service
 * definitions the generic driver writes there (host/vm/driver-generic.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "host/machine/generic.h"
#include "host/vm/driver.h"
#include "shared/base/cleanup.h"
#include "shared/base/err.h"

static void parse(const char *text, struct gen_facts *f)
{
    gen_facts_parse(text, strlen(text), f);
}

static void test_machine_generic_facts_parse(void **state)
{
    (void)state;
    struct gen_facts f;
    parse("arch=x86_64\nos_id=debian\nos_like=\nos_version=12\n"
          "os_name=Debian GNU/Linux 12 (bookworm)\nhostname=web1\nhome=/root\nuid=0\n"
          "apt=1\ndockerd=4242\nsha_berthd=abc\nsha_berth-init=def\n"
          "missing=libjansson4\nmissing=iproute2\r\nnoise without equals\n=novalue\nzzz=1\n",
          &f);
    assert_string_equal(f.arch, "x86_64");
    assert_string_equal(f.os_id, "debian");
    assert_string_equal(f.os_like, "");
    assert_string_equal(f.os_name, "Debian GNU/Linux 12 (bookworm)");
    assert_string_equal(f.hostname, "web1");
    assert_string_equal(f.home, "/root");
    assert_int_equal(f.uid, 0);
    assert_true(f.apt);
    assert_false(f.systemd);
    assert_int_equal(f.dockerd_pid, 4242);
    assert_string_equal(f.sha_berthd, "abc");
    assert_null(f.sha_monitor);
    assert_string_equal(f.sha_init, "def");
    assert_non_null(f.missing);
    assert_string_equal(f.missing[0], "libjansson4");
    assert_string_equal(f.missing[1], "iproute2"); /* CRLF taken as a line end */
    assert_null(f.missing[2]);
    gen_facts_clear(&f);

    /* nothing reported: nothing known, no crash */
    parse("", &f);
    assert_null(f.arch);
    assert_int_equal(f.uid, -1);
    assert_int_equal(f.dockerd_pid, 0);
    gen_facts_clear(&f);
    /* a uid that is not a number is unknown; a second value replaces the first */
    parse("uid=12a\narch=a\narch=b\ndockerd=-3\n", &f);
    assert_int_equal(f.uid, -1);
    assert_string_equal(f.arch, "b");
    assert_int_equal(f.dockerd_pid, 0);
    gen_facts_clear(&f);
}

static void expect_distro(const char *text, const char *msg)
{
    struct gen_facts f;
    parse(text, &f);
    bt_autoerr bt_err *err = NULL;
    int rc = gen_facts_check_distro(&f, &err);
    gen_facts_clear(&f);
    if (!msg) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, -1);
    assert_string_equal(bt_err_msg(err), msg);
}

static void test_machine_generic_distributions(void **state)
{
    (void)state;
    expect_distro("os_id=debian\napt=1\n", NULL);
    expect_distro("os_id=ubuntu\nos_like=debian\napt=1\n", NULL);
    expect_distro("os_id=linuxmint\nos_like=ubuntu debian\napt=1\n", NULL);
    expect_distro("os_id=fedora\nos_name=Fedora Linux 39\n",
                  "unsupported distribution \"Fedora Linux 39\": Berth installs berthd's "
                  "dependencies with apt (Debian, Ubuntu)");
    expect_distro("os_id=opensuse-tumbleweed\nos_like=opensuse suse\n",
                  "unsupported distribution \"opensuse-tumbleweed\": Berth installs berthd's "
                  "dependencies with apt (Debian, Ubuntu)");
    expect_distro("os_like=debianish\n",
                  "unsupported distribution \"unknown\": Berth installs berthd's dependencies "
                  "with apt (Debian, Ubuntu)");
    expect_distro("os_id=debian\nos_name=Debian GNU/Linux 12 (bookworm)\n",
                  "\"Debian GNU/Linux 12 (bookworm)\" has no apt-get and dpkg-query: Berth "
                  "installs berthd's dependencies with apt");
}

static void test_machine_generic_words(void **state)
{
    (void)state;
    assert_true(gen_word_ok("/home/alice"));
    assert_true(gen_word_ok("web-1.example.com"));
    assert_false(gen_word_ok(""));
    assert_false(gen_word_ok(NULL));
    assert_false(gen_word_ok("/home/o'brien"));
    assert_false(gen_word_ok("a\nb"));
    assert_false(gen_word_ok("a\\b"));
    /* names for certificates, URLs and `machine env`: RFC 1123 names and IPv4 addresses */
    assert_true(gen_hostname_ok("10.231.1.2"));
    assert_true(gen_hostname_ok("web-1.example.com"));
    assert_true(gen_hostname_ok("a"));
    assert_false(gen_hostname_ok("1.2.3.4,IP:9.9.9.9"));
    assert_false(gen_hostname_ok("host;reboot"));
    assert_false(gen_hostname_ok("$(id)"));
    assert_false(gen_hostname_ok("::1"));
    assert_false(gen_hostname_ok("a..b"));
    assert_false(gen_hostname_ok("-a"));
    assert_false(gen_hostname_ok("a-"));
    assert_false(gen_hostname_ok(".a"));
    assert_false(gen_hostname_ok(""));
    assert_false(gen_hostname_ok(NULL));
}

/* The service runs berthd with mutual TLS only on the engine port, keeps containers running
 * across a restart (systemd's KillMode=process), and names the machine. */
static void test_machine_generic_service_texts(void **state)
{
    (void)state;
    struct vm_remote r = {.host = "10.0.0.5", .ssh_port = 22, .engine_port = 2400};
    bt_autofree char *args = vm_remote_engine_args(&r);
    assert_string_equal(args, "-H unix:///run/berth.sock -H tcp://0.0.0.0:2400 --tlsverify "
                              "--tlscacert /etc/berth/tls/ca.pem --tlscert "
                              "/etc/berth/tls/server.pem --tlskey /etc/berth/tls/server-key.pem "
                              "--data-root /var/lib/berth --pidfile /run/berth.pid");
    bt_autofree char *unit = vm_remote_unit(&r, "web1");
    assert_non_null(strstr(unit, "for the machine \"web1\""));
    assert_non_null(strstr(unit, "\nExecStart=/usr/local/bin/berthd -H unix:///run/berth.sock "
                                 "-H tcp://0.0.0.0:2400 --tlsverify"));
    assert_non_null(strstr(unit, "\nKillMode=process\n"));
    assert_non_null(strstr(unit, "\nDelegate=yes\n"));
    assert_non_null(strstr(unit, "\nWantedBy=multi-user.target\n"));
    bt_autofree char *init = vm_remote_init_script(&r, "web1");
    assert_int_equal(strncmp(init, "#!/bin/sh\n### BEGIN INIT INFO\n", 30), 0);
    assert_non_null(strstr(init, "# Provides:          berthd\n"));
    assert_non_null(strstr(init, "ARGS=\"-H unix:///run/berth.sock -H tcp://0.0.0.0:2400 "));
    assert_non_null(strstr(init, "\nstart)\n"));
    assert_non_null(strstr(init, "\nstop)\n"));
    assert_non_null(strstr(init, "\nstatus)\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_machine_generic_facts_parse),
            cmocka_unit_test(test_machine_generic_distributions),
            cmocka_unit_test(test_machine_generic_words),
            cmocka_unit_test(test_machine_generic_service_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
