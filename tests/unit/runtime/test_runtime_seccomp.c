/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker's default seccomp profile as the runtime generates it: the entries moby keeps or
 * drops for a given capability set, and a profile the runtime's own parser accepts.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

/* The action the profile gives name with no argument condition, or NULL when none does. */
static const char *plain_action(const json_t *profile, const char *name)
{
    size_t i, k;
    json_t *rule, *n;
    json_array_foreach (json_object_get(profile, "syscalls"), i, rule) {
        if (json_object_get(rule, "args"))
            continue;
        json_array_foreach (json_object_get(rule, "names"), k, n) {
            if (strcmp(json_string_value(n), name) == 0)
                return bt_json_get_str(rule, "action", NULL);
        }
    }
    return NULL;
}

/* The rule for name that has an argument condition, or NULL. */
static json_t *conditional(const json_t *profile, const char *name)
{
    size_t i, k;
    json_t *rule, *n;
    json_array_foreach (json_object_get(profile, "syscalls"), i, rule) {
        if (!json_object_get(rule, "args"))
            continue;
        json_array_foreach (json_object_get(rule, "names"), k, n) {
            if (strcmp(json_string_value(n), name) == 0)
                return rule;
        }
    }
    return NULL;
}

static void test_runtime_seccomp_docker_default_for_default_caps(void **state)
{
    bt_autoptr(json_t) p = rt_docker_default_seccomp(rt_docker_default_caps);
    assert_string_equal(bt_json_get_str(p, "defaultAction", ""), "SCMP_ACT_ERRNO");
    assert_int_equal(bt_json_get_int(p, "defaultErrnoRet", 0), 1);
#if defined(__x86_64__)
    json_t *arches = json_object_get(p, "architectures");
    assert_int_equal(json_array_size(arches), 3);
    assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
    assert_string_equal(plain_action(p, "arch_prctl"), "SCMP_ACT_ALLOW");
#endif
    /* everyone's */
    assert_string_equal(plain_action(p, "read"), "SCMP_ACT_ALLOW");
    assert_string_equal(plain_action(p, "execve"), "SCMP_ACT_ALLOW");
    assert_string_equal(plain_action(p, "ptrace"), "SCMP_ACT_ALLOW"); /* minKernel 4.8 */
    /* CAP_SYS_CHROOT is a default capability */
    assert_string_equal(plain_action(p, "chroot"), "SCMP_ACT_ALLOW");
    /* what only CAP_SYS_ADMIN would bring */
    assert_null(plain_action(p, "mount"));
    assert_null(plain_action(p, "unshare"));
    assert_null(plain_action(p, "setns"));
    assert_null(plain_action(p, "bpf"));
    assert_null(plain_action(p, "keyctl"));
    assert_null(plain_action(p, "swapon"));
    assert_null(plain_action(p, "reboot"));
    assert_null(plain_action(p, "kcmp"));
    /* clone only without namespace flags; clone3 answers ENOSYS so libc falls back to clone */
    json_t *clone = conditional(p, "clone");
    assert_non_null(clone);
    json_t *arg = json_array_get(json_object_get(clone, "args"), 0);
    assert_string_equal(bt_json_get_str(arg, "op", ""), "SCMP_CMP_MASKED_EQ");
    assert_int_equal(bt_json_get_int(arg, "value", 0), 2114060288);
    assert_string_equal(plain_action(p, "clone3"), "SCMP_ACT_ERRNO");
    /* socket: every family but AF_VSOCK (40) */
    assert_non_null(conditional(p, "socket"));
    assert_null(plain_action(p, "socket"));
}

static void test_runtime_seccomp_docker_default_follows_caps(void **state)
{
    static const char *const admin[] = {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_TIME", NULL};
    bt_autoptr(json_t) p = rt_docker_default_seccomp(admin);
    assert_string_equal(plain_action(p, "mount"), "SCMP_ACT_ALLOW");
    assert_string_equal(plain_action(p, "unshare"), "SCMP_ACT_ALLOW");
    assert_string_equal(plain_action(p, "clone"), "SCMP_ACT_ALLOW");
    assert_string_equal(plain_action(p, "clone3"), "SCMP_ACT_ALLOW");
    assert_null(conditional(p, "clone")); /* the masked clone is excluded with SYS_ADMIN */
    assert_string_equal(plain_action(p, "kcmp"), "SCMP_ACT_ALLOW");
    assert_string_equal(plain_action(p, "settimeofday"), "SCMP_ACT_ALLOW");
    assert_null(plain_action(p, "chroot")); /* SYS_CHROOT is not in this set */
    assert_null(plain_action(p, "reboot"));

    static const char *const none[] = {NULL};
    bt_autoptr(json_t) bare = rt_docker_default_seccomp(none);
    assert_null(plain_action(bare, "chroot"));
    assert_string_equal(plain_action(bare, "read"), "SCMP_ACT_ALLOW");
}

static void test_runtime_seccomp_profile_parses(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) p = rt_docker_default_seccomp(rt_docker_default_caps);
    bt_autoptr(rt_seccomp) s = rt_seccomp_parse(p, "linux.seccomp", &err);
    assert_null(err);
    assert_non_null(s);
    assert_int_equal(s->default_action, RT_SCMP_ERRNO);
    assert_int_equal(s->default_errno, 1);
    assert_int_equal(s->nrules, json_array_size(json_object_get(p, "syscalls")));
    assert_true(bt_strv_len(s->rules[0].names) > 300);
    /* a rule's errnoRet defaults to EPERM, not to the profile's default */
    bool found = false;
    for (size_t i = 0; i < s->nrules; i++) {
        if (strcmp(s->rules[i].names[0], "clone3") == 0 && s->rules[i].action == RT_SCMP_ERRNO) {
            assert_int_equal(s->rules[i].errno_ret, 38);
            found = true;
        }
    }
    assert_true(found);

    const char *text = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":38,"
                       "\"syscalls\":[{\"names\":[\"swapon\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
    bt_autoptr(json_t) j = bt_json_parse(text, strlen(text), NULL);
    bt_autoptr(rt_seccomp) t = rt_seccomp_parse(j, "linux.seccomp", &err);
    assert_non_null(t);
    assert_int_equal(t->default_errno, 38);
    assert_int_equal(t->rules[0].errno_ret, 1); /* EPERM */
}

/* The program in a memfd from rt_seccomp_compile(); closes it. */
static void take_program(int fd, struct bt_strbuf *out)
{
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(bt_fd_read_all(fd, out, 0, NULL), 0);
    close(fd);
    assert_true(out->len > 0 && out->len % 8 == 0); /* struct sock_filter[] */
}

/* The one entry in dir. */
static char *only_entry(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *found = NULL;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        free(found);
        found = bt_xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    assert_int_equal(n, 1);
    return found;
}

static void test_runtime_seccomp_cache_hits_only_the_same_profile(void **state)
{
    bt_autoerr bt_err *err = NULL;
    char base[] = "/tmp/berth-test-scmp-XXXXXX";
    assert_non_null(mkdtemp(base));
    bt_autofree char *dir = bt_xasprintf("%s/cache", base);

    /* a directory others may write to would let them choose our filters */
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(rt_seccomp_cache_init(dir, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_FORBIDDEN);
    bt_err_clear(&err);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(rt_seccomp_cache_init(dir, &err), 0); /* made, 0700 */

    bt_autoptr(json_t) p = rt_docker_default_seccomp(rt_docker_default_caps);
    bt_autoptr(rt_seccomp) s = rt_seccomp_parse(p, "linux.seccomp", &err);
    bt_autostrbuf struct bt_strbuf first = BT_STRBUF_INIT;
    take_program(rt_seccomp_compile(s, &err), &first);
    bt_autofree char *entry = only_entry(dir);

    /* a hit gives the same program */
    bt_autostrbuf struct bt_strbuf second = BT_STRBUF_INIT;
    take_program(rt_seccomp_compile(s, &err), &second);
    assert_int_equal(second.len, first.len);
    assert_memory_equal(second.buf, first.buf, first.len);

    /* an entry under the same name but for another key is a miss, and is replaced */
    const char *fake = "berth-seccomp-cache 1\nsome other profile";
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append_n(&sb, fake, strlen(fake) + 1);
    bt_strbuf_append_n(&sb, "\x06\0\0\0\0\0\xff\x7f", 8); /* "return ALLOW" */
    assert_int_equal(bt_file_write_atomic(entry, sb.buf, sb.len, 0600, &err), 0);
    bt_autostrbuf struct bt_strbuf third = BT_STRBUF_INIT;
    take_program(rt_seccomp_compile(s, &err), &third);
    assert_int_equal(third.len, first.len);
    assert_memory_equal(third.buf, first.buf, first.len);
    bt_autostrbuf struct bt_strbuf stored = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(entry, &stored, 0, &err), 0);
    assert_true(stored.len > first.len);
    assert_memory_equal(stored.buf + stored.len - first.len, first.buf, first.len);

    /* a different profile has an entry of its own */
    static const char *const admin[] = {"CAP_SYS_ADMIN", NULL};
    bt_autoptr(json_t) p2 = rt_docker_default_seccomp(admin);
    bt_autoptr(rt_seccomp) s2 = rt_seccomp_parse(p2, "linux.seccomp", &err);
    bt_autostrbuf struct bt_strbuf other = BT_STRBUF_INIT;
    take_program(rt_seccomp_compile(s2, &err), &other);
    assert_true(other.len != first.len || memcmp(other.buf, first.buf, first.len) != 0);

    assert_int_equal(bt_rm_rf(base, &err), 0);
}

/* A profile in Docker's format, as --security-opt seccomp=FILE sends it. */
static json_t *rules_named(const json_t *profile, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get(profile, "syscalls"), i, r) {
        size_t j;
        json_t *n;
        json_array_foreach (json_object_get(r, "names"), j, n) {
            if (strcmp(json_string_value(n), name) == 0)
                return r;
        }
    }
    return NULL;
}

static void test_runtime_seccomp_docker_profile_resolves_filters(void **state)
{
    (void)state;
    const char *text =
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1,"
            " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\","
            "   \"subArchitectures\": [\"SCMP_ARCH_X86\"]},"
            "  {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": []}],"
            " \"syscalls\": ["
            "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
            "  {\"name\": \"rmdir\", \"action\": \"SCMP_ACT_ERRNO\"},"
            "  {\"names\": [\"chmod\"], \"action\": \"SCMP_ACT_ERRNO\","
            "   \"excludes\": {\"caps\": [\"CAP_FOWNER\"]}},"
            "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\","
            "   \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
            "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
            "   \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}],"
            "   \"includes\": {\"minKernel\": \"2.6\"}},"
            "  {\"names\": [\"ioperm\"], \"action\": \"SCMP_ACT_ALLOW\","
            "   \"includes\": {\"minKernel\": \"99.0\"}}]}";
    const char *fowner[] = {"CAP_FOWNER", NULL};
    const char *admin[] = {"CAP_SYS_ADMIN", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) p = rt_docker_seccomp_profile(text, fowner, &err);
    assert_non_null(p);
    assert_string_equal(bt_json_get_str(p, "defaultAction", ""), "SCMP_ACT_ALLOW");
    assert_int_equal(bt_json_get_int(p, "defaultErrnoRet", 0), 1);
    json_t *arches = json_object_get(p, "architectures");
#if defined(__x86_64__)
    assert_int_equal(json_array_size(arches), 2);
    assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
#endif
    assert_int_equal(bt_json_get_int(rules_named(p, "mkdir"), "errnoRet", 0), 13);
    assert_non_null(rules_named(p, "rmdir")); /* the older "name" */
    assert_null(rules_named(p, "chmod"));     /* excluded: the container holds CAP_FOWNER */
    assert_null(rules_named(p, "mount"));     /* included only with CAP_SYS_ADMIN */
    assert_null(rules_named(p, "ioperm"));    /* needs a kernel 99.0 */
    json_t *pers = rules_named(p, "personality");
    assert_non_null(pers);
    assert_int_equal(json_array_size(json_object_get(pers, "args")), 1);
    /* the runtime takes what comes out */
    bt_autoptr(rt_seccomp) parsed = rt_seccomp_parse(p, "linux.seccomp", &err);
    assert_non_null(parsed);

    bt_autoptr(json_t) q = rt_docker_seccomp_profile(text, admin, &err);
    assert_non_null(q);
    assert_non_null(rules_named(q, "chmod"));
    assert_non_null(rules_named(q, "mount"));
}

static void test_runtime_seccomp_docker_profile_errors_in_dockerds_words(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
            {"{\"defaultAction\":", "Decoding seccomp profile failed: "},
            {"[]", "Decoding seccomp profile failed: not a JSON object"},
            {"{\"syscalls\": []}", "Decoding seccomp profile failed: a profile needs"},
            {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"],"
             " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]}",
             "both 'architectures' and 'archMap' are specified in the seccomp profile, use either "
             "'architectures' or 'archMap'"},
            {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"a\","
             " \"names\": [\"b\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
             "use either 'name' or 'names'"},
            {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [1],"
             " \"action\": \"SCMP_ACT_ALLOW\"}]}",
             "Decoding seccomp profile failed: bad syscall rule"},
            {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"x\"],"
             " \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": \"CAP_X\"}}]}",
             "Decoding seccomp profile failed: bad \"includes\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(json_t) p = rt_docker_seccomp_profile(cases[i].text, NULL, &err);
        assert_null(p);
        assert_non_null(err);
        if (strncmp(bt_err_msg(err), cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: \"%s\", want \"%s...\"", i, bt_err_msg(err), cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_runtime_seccomp_docker_default_for_default_caps),
            cmocka_unit_test(test_runtime_seccomp_docker_default_follows_caps),
            cmocka_unit_test(test_runtime_seccomp_profile_parses),
            cmocka_unit_test(test_runtime_seccomp_cache_hits_only_the_same_profile),
            cmocka_unit_test(test_runtime_seccomp_docker_profile_resolves_filters),
            cmocka_unit_test(test_runtime_seccomp_docker_profile_errors_in_dockerds_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
