/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of containers: request checks, names, users, environment, capabilities and
 * the OCI spec built from a Docker configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/mounts.h"
#include "guest/engine/container/oci.h"
#include "shared/base/cleanup.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static json_t *parse(const char *text)
{
    json_t *v = bt_json_parse_object(text, strlen(text), NULL);
    assert_non_null(v);
    return v;
}

static void expect_request_error(const char *body, const char *msg)
{
    bt_autoptr(json_t) b = parse(body);
    json_t *cfg = NULL, *hc = NULL;
    bt_autostrv char **warnings = bt_xzalloc(sizeof(char *));
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(ctr_config_from_request(b, &cfg, &hc, &warnings, &err), -1);
    if (!strstr(bt_err_msg(err), msg))
        fail_msg("%s: got \"%s\", want \"%s\"", body, bt_err_msg(err), msg);
}

static void test_request_checks_in_dockerd_words(void **state)
{
    expect_request_error("{}", "No image specified");
    expect_request_error("{\"Image\":\"x\",\"WorkingDir\":\"rel\"}",
                         "the working directory 'rel' is invalid, it needs to be an absolute path");
    expect_request_error("{\"Image\":\"x\",\"HostConfig\":{\"Memory\":1000}}",
                         "Minimum memory limit allowed is 6MB");
    expect_request_error("{\"Image\":\"x\",\"HostConfig\":{\"Memory\":10000000,"
                         "\"MemorySwap\":9000000}}",
                         "Minimum memoryswap limit should be larger than memory limit");
    expect_request_error("{\"Image\":\"x\",\"HostConfig\":{\"NanoCpus\":1000,\"CpuPeriod\":5}}",
                         "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    expect_request_error("{\"Image\":\"x\",\"HostConfig\":{\"CapAdd\":[\"CAP_NOPE\"]}}",
                         "unknown capability: \"CAP_NOPE\"");
    expect_request_error("{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"container:\"}}",
                         "invalid container format container:<name|id>");
    expect_request_error("{\"Image\":\"x\",\"Cmd\":\"not an array\"}", "invalid Cmd");
    expect_request_error("{\"Image\":\"x\",\"HostConfig\":[1]}", "invalid HostConfig");
    expect_request_error("{\"Image\":\"x\",\"HostConfig\":{\"LogConfig\":{\"Type\":\"syslog\"}}}",
                         "logging driver \"syslog\" is not supported");
}

static void test_request_defaults(void **state)
{
    bt_autoptr(json_t) b = parse("{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"Bogus\":1}");
    bt_autoptr(json_t) cfg = NULL;
    bt_autoptr(json_t) hc = NULL;
    bt_autostrv char **warnings = bt_xzalloc(sizeof(char *));
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(ctr_config_from_request(b, &cfg, &hc, &warnings, &err), 0);
    assert_string_equal(bt_json_get_str(cfg, "Image", ""), "busybox");
    assert_null(json_object_get(cfg, "Bogus"));
    assert_string_equal(bt_json_get_str(hc, "NetworkMode", ""), "default");
    assert_string_equal(bt_json_get_str(bt_json_get_obj(hc, "LogConfig"), "Type", ""), "json-file");
    assert_string_equal(bt_json_get_str(bt_json_get_obj(hc, "RestartPolicy"), "Name", ""), "no");
}

static void test_container_names(void **state)
{
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(ctr_validate_name("web_1.x-y", &err), 0);
    assert_int_equal(ctr_validate_name("/web", &err), 0);
    assert_int_equal(ctr_validate_name("a", &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    bt_err_clear(&err);
    assert_int_equal(ctr_validate_name("_x", &err), -1);
    bt_err_clear(&err);
    assert_int_equal(ctr_validate_name("bad name", &err), -1);
    bt_autofree char *r = ctr_random_name();
    assert_int_equal(ctr_validate_name(r, NULL), 0);
    assert_non_null(strchr(r, '_'));
}

static void test_detach_keys(void **state)
{
    char out[40];
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(ctr_detach_keys_hex("ctrl-p,ctrl-q", out, sizeof(out), &err), 0);
    assert_string_equal(out, "1011");
    assert_int_equal(ctr_detach_keys_hex("ctrl-a,x,ctrl-@,ctrl-\\", out, sizeof(out), &err), 0);
    assert_string_equal(out, "0178001c");
    assert_int_equal(ctr_detach_keys_hex("ctrl-", out, sizeof(out), &err), -1);
    assert_string_equal(bt_err_msg(err), "Invalid detach keys (ctrl-) provided");
}

/* ---- users, in a little rootfs made here ---- */

static int make_rootfs(void **state)
{
    char *dir = bt_xstrdup("/tmp/berth-test-user-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    bt_autofree char *etc = bt_xasprintf("%s/etc", dir);
    bt_autofree char *pw = bt_xasprintf("%s/etc/passwd", dir);
    bt_autofree char *gr = bt_xasprintf("%s/etc/group", dir);
    bt_mkdir_p(etc, 0755, NULL);
    const char *p =
            "root:x:0:0:root:/root:/bin/sh\n# a comment\napp:x:1000:1000::/home/app:/bin/sh\n";
    const char *g = "root:x:0:\nwheel:x:10:root,app\napp:x:1000:\nstaff:x:50:app\n";
    bt_file_write_atomic(pw, p, strlen(p), 0644, NULL);
    bt_file_write_atomic(gr, g, strlen(g), 0644, NULL);
    *state = dir;
    return 0;
}

static int remove_rootfs(void **state)
{
    bt_rm_rf(*state, NULL);
    free(*state);
    return 0;
}

static char *user_text(const struct ctr_user *u)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_appendf(&sb, "%u:%u:%s:", u->uid, u->gid, u->home);
    for (size_t i = 0; i < u->ngroups; i++)
        bt_strbuf_appendf(&sb, "%s%u", i ? "," : "", u->groups[i]);
    return bt_strbuf_steal(&sb);
}

static void expect_user(int rootfd, const char *spec, char *const *add, const char *want)
{
    struct ctr_user u;
    bt_autoerr bt_err *err = NULL;
    if (ctr_resolve_user(rootfd, spec, add, &u, &err) < 0)
        fail_msg("\"%s\": %s", spec, bt_err_msg(err));
    bt_autofree char *got = user_text(&u);
    ctr_user_free(&u);
    if (strcmp(got, want) != 0)
        fail_msg("\"%s\" = %s, want %s", spec, got, want);
}

static void test_users_as_runc_resolves_them(void **state)
{
    bt_autoclose int rootfd = open(*state, O_PATH | O_DIRECTORY | O_CLOEXEC);
    expect_user(rootfd, "", NULL, "0:0:/root:0,10");
    expect_user(rootfd, "root", NULL, "0:0:/root:0,10");
    expect_user(rootfd, "root:root", NULL, "0:0:/root:0");
    expect_user(rootfd, "app", NULL, "1000:1000:/home/app:1000,10,50");
    expect_user(rootfd, "1000", NULL, "1000:1000:/home/app:1000,10,50");
    expect_user(rootfd, "1000:staff", NULL, "1000:50:/home/app:50");
    expect_user(rootfd, "4242", NULL, "4242:0:/:0");
    expect_user(rootfd, "4242:4343", NULL, "4242:4343:/:4343");
    char *add[] = {"staff", "77", NULL};
    expect_user(rootfd, "root:root", add, "0:0:/root:0,50,77");
    struct ctr_user u;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(ctr_resolve_user(rootfd, "ghost", NULL, &u, &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "unable to find user ghost: no matching entries in passwd file");
    bt_err_clear(&err);
    assert_int_equal(ctr_resolve_user(rootfd, "app:ghosts", NULL, &u, &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "unable to find group ghosts: no matching entries in group file");
}

/* ---- environment, capabilities, the OCI spec ---- */

static void test_process_env(void **state)
{
    bt_autoptr(json_t) cfg = parse("{\"Env\":[\"PATH=/custom\",\"A=1\",\"HOSTNAME=override\"]}");
    bt_autostrv char **env = oci_process_env(cfg, "h1", true, "/root");
    assert_string_equal(env[0], "PATH=/custom");
    assert_string_equal(env[1], "HOSTNAME=override");
    assert_string_equal(env[2], "TERM=xterm");
    assert_string_equal(env[3], "A=1");
    assert_string_equal(env[4], "HOME=/root");
    assert_null(env[5]);
    oci_env_set(&env, "A");
    oci_env_set(&env, "B=2");
    assert_string_equal(env[3], "HOME=/root");
    assert_string_equal(env[4], "B=2");
}

static bool has(char **caps, const char *name)
{
    for (size_t i = 0; caps[i]; i++)
        if (strcmp(caps[i], name) == 0)
            return true;
    return false;
}

static void test_capabilities(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) none = parse("{}");
    bt_autostrv char **def = NULL;
    assert_int_equal(oci_capabilities(none, &def, &err), 0);
    assert_int_equal(bt_strv_len(def), 14);
    assert_true(has(def, "CAP_NET_RAW") && !has(def, "CAP_SYS_ADMIN"));
    bt_autoptr(json_t) tweak = parse("{\"CapAdd\":[\"sys_admin\"],\"CapDrop\":[\"CAP_NET_RAW\"]}");
    bt_autostrv char **t = NULL;
    assert_int_equal(oci_capabilities(tweak, &t, &err), 0);
    assert_true(has(t, "CAP_SYS_ADMIN") && !has(t, "CAP_NET_RAW"));
    bt_autoptr(json_t) only = parse("{\"CapDrop\":[\"ALL\"],\"CapAdd\":[\"CHOWN\"]}");
    bt_autostrv char **o = NULL;
    assert_int_equal(oci_capabilities(only, &o, &err), 0);
    assert_int_equal(bt_strv_len(o), 1);
    assert_string_equal(o[0], "CAP_CHOWN");
}

static json_t *find_mount(json_t *spec, const char *dest)
{
    size_t i;
    json_t *m;
    json_array_foreach (bt_json_get_arr(spec, "mounts"), i, m) {
        if (strcmp(bt_json_get_str(m, "destination", ""), dest) == 0)
            return m;
    }
    return NULL;
}

static bool has_ns(json_t *spec, const char *type)
{
    size_t i;
    json_t *n;
    json_array_foreach (bt_json_get_arr(bt_json_get_obj(spec, "linux"), "namespaces"), i, n) {
        if (strcmp(bt_json_get_str(n, "type", ""), type) == 0)
            return true;
    }
    return false;
}

static json_t *build(const char *config, const char *host_config, uid_t uid)
{
    bt_autoptr(json_t) cfg = parse(config);
    bt_autoptr(json_t) hc = parse(host_config);
    gid_t groups[1] = {0};
    struct ctr_user u = {.uid = uid, .gid = 0, .groups = groups, .ngroups = 1, .home = "/"};
    char *args[] = {"sh", "-c", "true", NULL};
    char *env[] = {"PATH=/bin", NULL};
    struct oci_input in = {.dir = "/var/lib/berth/containers/abc",
                           .id = "abc",
                           .config = cfg,
                           .host_config = hc,
                           .args = args,
                           .env = env,
                           .user = &u,
                           .hostname = "abc",
                           .rootfs = "/rootfs"};
    json_t *spec = NULL;
    bt_autoerr bt_err *err = NULL;
    if (oci_build(&in, &spec, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    return spec;
}

static void test_oci_spec_defaults(void **state)
{
    bt_autoptr(json_t) s = build("{\"Tty\":true,\"WorkingDir\":\"/srv\"}",
                                 "{\"Memory\":67108864,\"PidsLimit\":20,\"NanoCpus\":500000000,"
                                 "\"ReadonlyRootfs\":true,"
                                 "\"ConsoleSize\":[24,80]}",
                                 0);
    json_t *p = bt_json_get_obj(s, "process");
    assert_true(bt_json_get_bool(p, "terminal", false));
    assert_string_equal(bt_json_get_str(p, "cwd", ""), "/srv");
    assert_int_equal(bt_json_get_int(bt_json_get_obj(p, "consoleSize"), "width", 0), 80);
    assert_int_equal(json_array_size(bt_json_get_path(p, "capabilities.effective")), 14);
    assert_true(bt_json_get_bool(bt_json_get_obj(s, "root"), "readonly", false));
    json_t *sys = find_mount(s, "/sys");
    assert_non_null(sys);
    bt_autofree char *opts = bt_json_dumps(bt_json_get_arr(sys, "options"));
    assert_non_null(strstr(opts, "\"ro\""));
    json_t *hosts = find_mount(s, "/etc/hosts");
    assert_string_equal(bt_json_get_str(hosts, "source", ""),
                        "/var/lib/berth/containers/abc/hosts");
    assert_true(has_ns(s, "pid") && has_ns(s, "network") && has_ns(s, "cgroup"));
    json_t *res = bt_json_get_path(s, "linux.resources");
    assert_int_equal(bt_json_get_int(bt_json_get_obj(res, "memory"), "limit", 0), 67108864);
    assert_int_equal(bt_json_get_int(bt_json_get_obj(res, "memory"), "swap", 0), 2 * 67108864);
    assert_int_equal(bt_json_get_int(bt_json_get_obj(res, "cpu"), "quota", 0), 50000);
    assert_int_equal(bt_json_get_int(bt_json_get_obj(res, "pids"), "limit", 0), 20);
    assert_string_equal(bt_json_get_str(bt_json_get_obj(s, "linux"), "cgroupsPath", ""),
                        "/berth/abc");
    assert_non_null(bt_json_get_path(s, "linux.seccomp"));
    assert_true(json_array_size(bt_json_get_path(s, "linux.maskedPaths")) > 5);
}

/* Binds and Mounts naming volumes: dockerd's kinds, modes and errors. */
static void test_volume_specs(void **state)
{
    bt_autoptr(json_t) hc =
            parse("{\"Binds\":[\"/anon\",\"named:/n:ro\",\"nc:/nc:nocopy\",\"/h:/h:rw,z\"],"
                  "\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/m\",\"VolumeOptions\":"
                  "{\"NoCopy\":true,\"Labels\":{\"a\":\"b\"}}}]}");
    struct ctr_mount *l = NULL;
    size_t n = 0;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(ctr_mounts_of(hc, &l, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(l[0].type, "volume");
    assert_string_equal(l[0].name, "");
    assert_true(l[0].anonymous && l[0].copy && l[0].rw);
    assert_string_equal(l[1].name, "named");
    assert_false(l[1].rw || l[1].anonymous);
    assert_string_equal(l[1].mode, "ro");
    assert_false(l[2].copy);
    assert_string_equal(l[3].type, "bind");
    assert_string_equal(l[3].propagation, "rprivate");
    assert_string_equal(l[4].mode, "z"); /* dockerd's mode for local volumes */
    assert_false(l[4].copy);
    assert_string_equal(bt_json_get_str(l[4].labels, "a", ""), "b");
    /* a stored mount point reads back the same */
    bt_autoptr(json_t) j = ctr_mount_to_json(&l[1]);
    struct ctr_mount back;
    assert_int_equal(ctr_mount_from_json(j, &back, &err), 0);
    assert_string_equal(back.name, "named");
    assert_string_equal(back.destination, "/n");
    assert_false(back.rw);
    ctr_mount_clear(&back);
    ctr_mounts_free(l, n);

    static const struct {
        const char *hc, *msg;
    } bad[] = {
            {"{\"Binds\":[\"/data:ro\"]}", "invalid volume specification: '/data:ro'"},
            {"{\"Binds\":[\"v:/d:shared\"]}",
             "invalid volume specification: 'v:/d:shared': invalid mount config for type "
             "\"volume\": field BindOptions must not be specified"},
            {"{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/d\",\"ReadOnly\":true}]}",
             "invalid mount config for type \"volume\": must not set ReadOnly mode when using "
             "anonymous volumes"},
            {"{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/d\",\"VolumeOptions\":"
             "{\"DriverConfig\":{\"Name\":\"nfs\"}}}]}",
             "error looking up volume plugin nfs: plugin \"nfs\" not found"},
            {"{\"Binds\":[\"v:/d\",\"/h:/d\"]}", "Duplicate mount point: /d"},
            {"{\"Binds\":[\"v:rel\"]}",
             "invalid volume specification: 'v:rel': invalid mount config for type \"volume\": "
             "invalid mount path: 'rel' mount path must be absolute"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bt_autoptr(json_t) h = parse(bad[i].hc);
        bt_autoerr bt_err *e = NULL;
        assert_int_equal(ctr_mounts_of(h, &l, &n, &e), -1);
        assert_string_equal(bt_err_msg(e), bad[i].msg);
    }
}

/* The user's mounts and the network files are mounted parents first: a volume on /etc goes
 * under /etc/hosts, and a bind on /etc/hosts replaces Berth's. */
static void test_oci_mount_order(void **state)
{
    bt_autoptr(json_t) s = build("{}", "{\"Binds\":[\"/x/a:/srv/a\",\"/x/etc:/etc\"]}", 0);
    ssize_t at_etc = -1, at_hosts = -1;
    size_t i;
    json_t *m;
    json_array_foreach (bt_json_get_arr(s, "mounts"), i, m) {
        const char *d = bt_json_get_str(m, "destination", "");
        if (strcmp(d, "/etc") == 0)
            at_etc = (ssize_t)i;
        if (strcmp(d, "/etc/hosts") == 0)
            at_hosts = (ssize_t)i;
    }
    assert_true(at_etc >= 0 && at_hosts > at_etc);
    bt_autoptr(json_t) s2 = build("{}", "{\"Binds\":[\"/x/hosts:/etc/hosts:ro\"]}", 0);
    json_t *hosts = find_mount(s2, "/etc/hosts");
    assert_string_equal(bt_json_get_str(hosts, "source", ""), "/x/hosts");
    size_t count = 0;
    json_array_foreach (bt_json_get_arr(s2, "mounts"), i, m)
        count += strcmp(bt_json_get_str(m, "destination", ""), "/etc/hosts") == 0;
    assert_int_equal(count, 1);
}

static void test_oci_spec_privileged_host_network_non_root(void **state)
{
    bt_autoptr(json_t) s = build("{}", "{\"Privileged\":true,\"NetworkMode\":\"host\"}", 0);
    assert_null(bt_json_get_path(s, "linux.seccomp"));
    assert_null(bt_json_get_path(s, "linux.maskedPaths"));
    assert_false(has_ns(s, "network"));
    json_t *rule = json_array_get(bt_json_get_path(s, "linux.resources.devices"), 0);
    assert_true(bt_json_get_bool(rule, "allow", false));
    bt_autoptr(json_t) u = build("{}", "{}", 1000);
    json_t *caps = bt_json_get_path(u, "process.capabilities");
    assert_int_equal(json_array_size(bt_json_get_arr(caps, "bounding")), 14);
    assert_null(json_object_get(caps, "effective"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_request_checks_in_dockerd_words),
            cmocka_unit_test(test_request_defaults),
            cmocka_unit_test(test_container_names),
            cmocka_unit_test(test_detach_keys),
            cmocka_unit_test_setup_teardown(test_users_as_runc_resolves_them, make_rootfs,
                                            remove_rootfs),
            cmocka_unit_test(test_process_env),
            cmocka_unit_test(test_capabilities),
            cmocka_unit_test(test_oci_spec_defaults),
            cmocka_unit_test(test_oci_spec_privileged_host_network_non_root),
            cmocka_unit_test(test_volume_specs),
            cmocka_unit_test(test_oci_mount_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
