/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/network/ipam.h"
#include "guest/engine/network/nat.h"
#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

/* The golden files are rewritten from the code's output with BERTH_UPDATE_GOLDEN=1 (then read
 * the diff before committing it). */
static void expect_golden(const struct net_nat_state *st, const char *name)
{
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *got = net_nat_script(st, &err);
    assert_non_null(got);
    bt_autofree char *path = bt_xasprintf("%s/network/%s", BERTH_TEST_DATA, name);
    if (getenv("BERTH_UPDATE_GOLDEN")) {
        assert_int_equal(bt_file_write_atomic(path, got, strlen(got), 0644, &err), 0);
        return;
    }
    bt_autostrbuf struct bt_strbuf want = BT_STRBUF_INIT;
    if (bt_file_read(path, &want, 0, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_string_equal(got, bt_strbuf_str(&want));
}

static uint32_t ip(const char *s)
{
    uint32_t a = 0;
    assert_int_equal(net_ip_parse(s, &a, NULL), 0);
    return a;
}

static void test_nat_one_bridge_one_port(void **state)
{
    struct net_nat_bridge b = {"berth0", ip("172.17.0.0"), 16, true, true};
    struct net_nat_port p = {"tcp", 0, 8080, ip("172.17.0.2"), 80, "berth0"};
    struct net_nat_state st = {&b, 1, &p, 1};
    expect_golden(&st, "one-bridge.nft");
}

/* Three bridges (isolation between each pair), one without masquerade and with icc off; ports
 * on every address, on 127.0.0.1 and on one address, tcp and udp. */
static const struct net_nat_bridge three_bridges[] = {
        {"berth0", 0xac110000, 16, true, true},            /* 172.17.0.0/16 */
        {"br-0123456789ab", 0xac120000, 16, false, false}, /* 172.18.0.0/16 */
        {"br-fedcba987654", 0x0a0a0000, 24, true, true},   /* 10.10.0.0/24 */
};
static const struct net_nat_port three_ports[] = {
        {"tcp", 0, 8080, 0xac110002, 80, "berth0"},                    /* 172.17.0.2 */
        {"udp", 0x7f000001, 5353, 0xac120003, 53, "br-0123456789ab"},  /* 127.0.0.1 */
        {"tcp", 0x0a000005, 443, 0x0a0a0002, 8443, "br-fedcba987654"}, /* 10.0.0.5 */
};

static void test_nat_three_bridges(void **state)
{
    struct net_nat_state st = {three_bridges, 3, three_ports, 3};
    expect_golden(&st, "three-bridges.nft");
}

static void test_nat_empty(void **state)
{
    struct net_nat_state st = {NULL, 0, NULL, 0};
    expect_golden(&st, "empty.nft");
}

static void test_nat_refuses_what_would_break_the_script(void **state)
{
    bt_autoerr bt_err *err = NULL;
    struct net_nat_bridge b = {"br\" accept", 0xac110000, 16, true, true};
    struct net_nat_state st = {&b, 1, NULL, 0};
    assert_null(net_nat_script(&st, &err));
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), "invalid bridge name \"br\" accept\"");
    bt_err_clear(&err);
    b.bridge = "berth0";
    struct net_nat_port p = {"sctp", 0, 99, 0xac110002, 99, "berth0"};
    st.ports = &p;
    st.n_ports = 1;
    assert_null(net_nat_script(&st, &err));
    assert_string_equal(bt_err_msg(err), "invalid protocol \"sctp\" of port 99");
}

/* What `nft list table ip berth` prints, or NULL. */
static char *list_table(void)
{
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    char *out = NULL;
    if (nft_run_cmd_from_buffer(ctx, "list table ip berth") == 0)
        out = bt_xstrdup(nft_ctx_get_output_buffer(ctx));
    nft_ctx_free(ctx);
    return out;
}

static int check(bool ok, const char *what, bt_err *err)
{
    if (!ok)
        fprintf(stderr, "%s: %s\n", what, err ? bt_err_msg(err) : "wrong");
    return ok ? 0 : 1;
}

/* In a network namespace of its own: apply twice (the second replaces the first), read the
 * table back, flush twice (the second finds nothing to delete). */
static int kernel_round_trip(void)
{
    bt_autoerr bt_err *err = NULL;
    struct net_nat_state st = {three_bridges, 3, three_ports, 3};
    if (check(net_nat_apply(&st, &err) == 0, "first apply", err) ||
        check(net_nat_apply(&st, &err) == 0, "second apply", err))
        return 1;
    bt_autofree char *listed = list_table();
    if (check(listed && strstr(listed, "dnat to 172.17.0.2:80") &&
                      strstr(listed, "ct status dnat masquerade"),
              "list", NULL))
        return 1;
    struct net_nat_state none = {NULL, 0, NULL, 0};
    if (check(net_nat_apply(&none, &err) == 0, "apply empty", err) ||
        check(net_nat_flush(&err) == 0, "first flush", err) ||
        check(net_nat_flush(&err) == 0, "second flush", err))
        return 1;
    bt_autofree char *gone = list_table();
    return check(gone == NULL, "table gone", NULL);
}

static void test_nat_kernel_takes_the_script(void **state)
{
    /* root only; never in the machine's own namespace: the child makes one */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) < 0)
            _exit(77);
        _exit(kernel_round_trip());
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_nat_one_bridge_one_port),
            cmocka_unit_test(test_nat_three_bridges),
            cmocka_unit_test(test_nat_empty),
            cmocka_unit_test(test_nat_refuses_what_would_break_the_script),
            cmocka_unit_test(test_nat_kernel_takes_the_script),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
