/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The changes of docker import/commit: every instruction in each form, with what dockerd
 * produces and dockerd's error messages; and the time parsers the store shares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "guest/engine/image/changes.h"
#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

/* Apply the changes to base (a JSON text, or NULL for {}); fail the test on error. */
static json_t *apply_to(const char *base, char *const *changes)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) cfg = base ? bt_json_parse_object(base, strlen(base), NULL) : json_object();
    json_t *out = image_changes_apply(cfg, changes, &err);
    if (!out)
        fail_msg("changes failed: %s", bt_err_msg(err));
    return out;
}

/* The compact JSON of one member of the result */
static char *member(const json_t *cfg, const char *key)
{
    return bt_json_dumps(json_object_get(cfg, key));
}

#define assert_member(cfg, key, text)                  \
    do {                                               \
        bt_autofree char *got_ = member((cfg), (key)); \
        assert_string_equal(got_, (text));             \
    } while (0)

/* The error of changes that must fail */
static char *error_of(const char *base, char *const *changes)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) cfg = base ? bt_json_parse_object(base, strlen(base), NULL) : json_object();
    bt_autoptr(json_t) out = image_changes_apply(cfg, changes, &err);
    if (out)
        fail_msg("changes should have failed: %s", bt_json_dumps(out));
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    return bt_xstrdup(bt_err_msg(err));
}

#define assert_error(base, text, ...)                   \
    do {                                                \
        char *ch_[] = {__VA_ARGS__, NULL};              \
        bt_autofree char *msg_ = error_of((base), ch_); \
        assert_string_equal(msg_, (text));              \
    } while (0)

#define APPLY(base, ...) apply_to((base), (char *[]){__VA_ARGS__, NULL})

static void test_image_changes_cmd_shell_and_exec_forms(void **state)
{
    bt_autoptr(json_t) a = APPLY(NULL, "CMD echo \"hello world\"");
    assert_member(a, "Cmd", "[\"/bin/sh\",\"-c\",\"echo \\\"hello world\\\"\"]");
    bt_autoptr(json_t) b = APPLY(NULL, "CMD [\"echo\", \"hi\"]");
    assert_member(b, "Cmd", "[\"echo\",\"hi\"]");
    /* not JSON after all: the whole text is a shell command */
    bt_autoptr(json_t) c = APPLY(NULL, "CMD [not json");
    assert_member(c, "Cmd", "[\"/bin/sh\",\"-c\",\"[not json\"]");
    /* lower case instructions are instructions too */
    bt_autoptr(json_t) d = APPLY(NULL, "cmd [\"x\"]");
    assert_member(d, "Cmd", "[\"x\"]");
    /* the config's Shell is the shell of the shell form */
    bt_autoptr(json_t) e = APPLY("{\"Shell\":[\"/bin/bash\",\"-lc\"]}", "CMD ls");
    assert_member(e, "Cmd", "[\"/bin/bash\",\"-lc\",\"ls\"]");
    bt_autoptr(json_t) f = APPLY(NULL, "CMD []");
    assert_member(f, "Cmd", "[]");
    assert_error(NULL, "when using JSON array syntax, arrays must be comprised of strings only",
                 "CMD [\"a\", 1]");
}

static void test_image_changes_entrypoint_resets_cmd(void **state)
{
    const char *base = "{\"Cmd\":[\"old\"]}";
    bt_autoptr(json_t) a = APPLY(base, "ENTRYPOINT [\"/app\"]");
    assert_member(a, "Entrypoint", "[\"/app\"]");
    assert_member(a, "Cmd", "null");
    /* a CMD given in the same changes stays */
    bt_autoptr(json_t) b = APPLY(base, "CMD [\"--help\"]", "ENTRYPOINT /app run");
    assert_member(b, "Entrypoint", "[\"/bin/sh\",\"-c\",\"/app run\"]");
    assert_member(b, "Cmd", "[\"--help\"]");
    bt_autoptr(json_t) c = APPLY("{\"Entrypoint\":[\"x\"]}", "ENTRYPOINT");
    assert_member(c, "Entrypoint", "null");
}

static void test_image_changes_env_both_forms(void **state)
{
    const char *base = "{\"Env\":[\"PATH=/usr/bin\",\"A=0\"]}";
    bt_autoptr(json_t) a = APPLY(base, "ENV MY_VAR hello   world", "ENV A=1 B=\"v 2\" C=x\\ y");
    assert_member(a, "Env",
                  "[\"PATH=/usr/bin\",\"A=1\",\"MY_VAR=hello   world\",\"B=v 2\",\"C=x y\"]");
    /* values expand against the environment as it was before the line */
    bt_autoptr(json_t) b = APPLY(base, "ENV P=$PATH:/x Q=${NOPE:-dflt} R=${PATH:+set} X=1 Y=$X",
                                 "ENV S='$PATH' E=\\$PATH");
    assert_member(b, "Env",
                  "[\"PATH=/usr/bin\",\"A=0\",\"P=/usr/bin:/x\",\"Q=dflt\",\"R=set\",\"X=1\","
                  "\"Y=\",\"S=$PATH\",\"E=$PATH\"]");
    bt_autoptr(json_t) c = APPLY(NULL, "ENV K \"quoted value\"");
    assert_member(c, "Env", "[\"K=quoted value\"]");
}

static void test_image_changes_env_errors(void **state)
{
    assert_error(NULL, "ENV requires at least one argument", "ENV");
    assert_error(NULL, "ENV must have two arguments", "ENV onlykey");
    assert_error(NULL, "Syntax error - can't find = in \"b\". Must be of the form: name=value",
                 "ENV a=1 b");
    assert_error(NULL, "ENV names can not be blank", "ENV =x");
    /* words split before expansion, as in dockerd: an unquoted blank ends the word */
    assert_error(NULL, "Syntax error - can't find = in \"be\". Must be of the form: name=value",
                 "ENV A=${B:?must be set}");
    assert_error(NULL, "B: must be set", "ENV A=\"${B:?must be set}\"");
    assert_error(NULL, "B: is not allowed to be unset", "ENV A=${B?}");
    assert_error(NULL, "syntax error: missing '}'", "ENV A=${B");
    assert_error(NULL, "syntax error: bad substitution", "ENV A=${}");
    assert_error(NULL, "unsupported modifier (#) in substitution", "ENV A=${B#x}");
    assert_error(NULL, "unexpected end of statement while looking for matching double-quote",
                 "ENV A=\"x");
    assert_error(NULL, "unknown flag: --foo", "ENV --foo=1 A=1");
}

static void test_image_changes_label(void **state)
{
    bt_autoptr(json_t) a = APPLY("{\"Labels\":{\"keep\":\"1\"}}", "LABEL version=1.0 \"my key\"=v",
                                 "LABEL description a long text");
    assert_member(a, "Labels",
                  "{\"keep\":\"1\",\"version\":\"1.0\",\"my key\":\"v\",\"description\":\"a long "
                  "text\"}");
    assert_error(NULL, "LABEL requires at least one argument", "LABEL");
    assert_error(NULL, "LABEL names can not be blank", "LABEL =v");
}

static void test_image_changes_expose(void **state)
{
    bt_autoptr(json_t) a = APPLY("{\"Env\":[\"PORTS=81 82/udp\"]}",
                                 "EXPOSE 80 443/udp 8000-8002 $PORTS 127.0.0.1:9000:90/TCP");
    assert_member(a, "ExposedPorts",
                  "{\"80/tcp\":{},\"443/udp\":{},\"8000/tcp\":{},\"8001/tcp\":{},\"8002/tcp\":{},"
                  "\"81/tcp\":{},\"82/udp\":{},\"90/tcp\":{}}");
    assert_error(NULL, "invalid containerPort: abc", "EXPOSE abc");
    assert_error(NULL, "invalid proto: xyz", "EXPOSE 80/xyz");
    assert_error(NULL, "invalid containerPort: 70000", "EXPOSE 70000");
    assert_error(NULL, "EXPOSE requires at least one argument", "EXPOSE");
}

static void test_image_changes_user_workdir_stopsignal(void **state)
{
    bt_autoptr(json_t) a =
            APPLY("{\"Env\":[\"HOME=/home/u\",\"U=app\"]}", "USER $U:nogroup", "WORKDIR $HOME",
                  "WORKDIR sub/dir", "WORKDIR ../x", "STOPSIGNAL SIGTERM");
    assert_member(a, "User", "\"app:nogroup\"");
    assert_member(a, "WorkingDir", "\"/home/u/sub/x\"");
    assert_member(a, "StopSignal", "\"SIGTERM\"");
    static const char *const good[] = {"KILL", "9", "sigusr1", "SIGRTMIN+3", "RTMAX-1"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        bt_autofree char *line = bt_xasprintf("STOPSIGNAL %s", good[i]);
        bt_autoptr(json_t) c = APPLY(NULL, line);
        assert_string_equal(bt_json_get_str(c, "StopSignal", ""), good[i]);
    }
    bt_autoptr(json_t) w = APPLY(NULL, "WORKDIR rel");
    assert_member(w, "WorkingDir", "\"/rel\"");
    assert_error(NULL, "invalid signal: FOO", "STOPSIGNAL FOO");
    assert_error(NULL, "invalid signal: 0", "STOPSIGNAL 0");
    assert_error(NULL, "invalid signal: SIGRTMIN+16", "STOPSIGNAL SIGRTMIN+16");
    assert_error(NULL, "USER requires exactly one argument", "USER");
    assert_error(NULL, "WORKDIR requires exactly one argument", "WORKDIR");
    assert_error(NULL, "STOPSIGNAL requires exactly one argument", "STOPSIGNAL");
    assert_error(NULL, "cannot normalize nothing", "WORKDIR $NOPE");
}

static void test_image_changes_volume(void **state)
{
    bt_autoptr(json_t) a = APPLY(NULL, "VOLUME /data /logs", "VOLUME [\"/a\", \"/b c\"]");
    assert_member(a, "Volumes", "{\"/data\":{},\"/logs\":{},\"/a\":{},\"/b c\":{}}");
    assert_error(NULL, "VOLUME requires at least one argument", "VOLUME []");
    assert_error(NULL, "VOLUME specified can not be an empty string", "VOLUME \"\"");
    assert_error(NULL, "when using JSON array syntax, arrays must be comprised of strings only",
                 "VOLUME [null]");
}

static void test_image_changes_onbuild(void **state)
{
    bt_autoptr(json_t) a = APPLY(NULL, "ONBUILD RUN echo \"hi\"", "  onbuild   COPY . /app");
    assert_member(a, "OnBuild", "[\"RUN echo \\\"hi\\\"\",\"COPY . /app\"]");
    assert_error(NULL, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                 "ONBUILD ONBUILD RUN x");
    assert_error(NULL, "FROM isn't allowed as an ONBUILD trigger", "ONBUILD FROM busybox");
    assert_error(NULL, "MAINTAINER isn't allowed as an ONBUILD trigger", "ONBUILD maintainer me");
    assert_error(NULL, "ONBUILD requires at least one argument", "ONBUILD");
    assert_error(NULL, "when using JSON array syntax, arrays must be comprised of strings only",
                 "ONBUILD CMD [1]");
}

static void test_image_changes_healthcheck(void **state)
{
    bt_autoptr(json_t) a = APPLY(
            NULL, "HEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD curl -f http://x/");
    assert_member(a, "Healthcheck",
                  "{\"Test\":[\"CMD-SHELL\",\"curl -f http://x/\"],\"Interval\":30000000000,"
                  "\"Timeout\":90000000000,\"Retries\":3}");
    bt_autoptr(json_t) b = APPLY(NULL, "HEALTHCHECK --start-period=1.5s CMD [\"/check\", \"-q\"]");
    assert_member(b, "Healthcheck",
                  "{\"Test\":[\"CMD\",\"/check\",\"-q\"],\"StartPeriod\":1500000000}");
    bt_autoptr(json_t) c = APPLY(NULL, "HEALTHCHECK NONE");
    assert_member(c, "Healthcheck", "{\"Test\":[\"NONE\"]}");
    assert_error(NULL, "Interval \"interval\" cannot be less than 1ms",
                 "HEALTHCHECK --interval=1us CMD x");
    assert_error(NULL, "unknown flag: --foo", "HEALTHCHECK --foo=1 CMD x");
    assert_error(NULL, "missing a value on flag: --timeout", "HEALTHCHECK --timeout CMD x");
    assert_error(NULL, "Unknown type \"FOO\" in HEALTHCHECK (try CMD)", "HEALTHCHECK FOO x");
    assert_error(NULL, "Missing command after HEALTHCHECK CMD", "HEALTHCHECK CMD");
    assert_error(NULL, "HEALTHCHECK NONE takes no arguments", "HEALTHCHECK NONE x");
    assert_error(NULL, "--retries cannot be negative (-1)", "HEALTHCHECK --retries=-1 CMD x");
    assert_error(NULL, "time: invalid duration \"abc\"", "HEALTHCHECK --interval=abc CMD x");
    assert_error(NULL, "HEALTHCHECK requires at least one argument", "HEALTHCHECK");
}

static void test_image_changes_invalid_instructions(void **state)
{
    assert_error(NULL, "RUN is not a valid change command", "RUN echo hi");
    assert_error(NULL, "run is not a valid change command", "run echo hi");
    assert_error(NULL, "FROM is not a valid change command", "FROM busybox");
    /* every instruction is checked before any is applied: a bad later line fails them all */
    assert_error(NULL, "COPY is not a valid change command", "ENV A=1", "COPY a b");
}

static void test_image_changes_lines_continuations_and_comments(void **state)
{
    bt_autoptr(json_t) a = APPLY(NULL, "# a comment\nENV A=1 \\\n  B=2", "", "USER x \\", "   ");
    assert_member(a, "Env", "[\"A=1\",\"B=2\"]");
    assert_member(a, "User", "\"x\"");
    bt_autoptr(json_t) none = APPLY(NULL, "");
    assert_int_equal(json_object_size(none), 0);
    /* the input config is not touched */
    bt_autoptr(json_t) base = json_pack("{s:[s]}", "Env", "A=0");
    bt_autoptr(json_t) out = image_changes_apply(base, (char *[]){"ENV A=1", NULL}, NULL);
    assert_member(base, "Env", "[\"A=0\"]");
    assert_member(out, "Env", "[\"A=1\"]");
}

/* ---- time parsing ---- */

static void test_image_parse_duration(void **state)
{
    int64_t ns;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(image_parse_duration("1h2m3.5s", &ns, &err), 0);
    assert_true(ns == 3723500000000LL);
    assert_int_equal(image_parse_duration("1.5ms", &ns, &err), 0);
    assert_true(ns == 1500000LL);
    assert_int_equal(image_parse_duration("-1s", &ns, &err), 0);
    assert_true(ns == -1000000000LL);
    assert_int_equal(image_parse_duration("0", &ns, &err), 0);
    assert_true(ns == 0);
    assert_int_equal(image_parse_duration("10us", &ns, &err), 0);
    assert_true(ns == 10000);
    assert_int_equal(image_parse_duration("5", &ns, &err), -1);
    assert_string_equal(bt_err_msg(err), "time: missing unit in duration \"5\"");
    bt_err_clear(&err);
    assert_int_equal(image_parse_duration("5x", &ns, &err), -1);
    assert_string_equal(bt_err_msg(err), "time: unknown unit \"x\" in duration \"5x\"");
    bt_err_clear(&err);
    assert_int_equal(image_parse_duration("", &ns, &err), -1);
    assert_string_equal(bt_err_msg(err), "time: invalid duration \"\"");
}

static void test_image_parse_timestamps(void **state)
{
    int64_t t;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(image_parse_timestamp("2024-01-02T03:04:05Z", 0, &t, &err), 0);
    assert_true(t == 1704164645);
    assert_int_equal(image_parse_timestamp("2024-01-02T03:04:05.999+01:00", 0, &t, &err), 0);
    assert_true(t == 1704164645 - 3600);
    assert_int_equal(image_parse_timestamp("1704164645", 0, &t, &err), 0);
    assert_true(t == 1704164645);
    assert_int_equal(image_parse_timestamp("1704164645.5", 0, &t, &err), 0);
    assert_true(t == 1704164645);
    assert_int_equal(image_parse_timestamp("10m", 10000, &t, &err), 0);
    assert_true(t == 10000 - 600);
    assert_int_equal(image_parse_timestamp("2024-13-02", 0, &t, &err), -1);
    bt_err_clear(&err);
    assert_int_equal(image_parse_timestamp("  ", 0, &t, &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "failed to parse value as time or duration: value is empty");
    bt_err_clear(&err);
    assert_int_equal(image_parse_timestamp("yesterday", 0, &t, &err), -1);
    int64_t sec;
    assert_int_equal(image_parse_rfc3339("2024-01-02T03:04:05.123456789Z", &sec, NULL), 0);
    assert_true(sec == 1704164645);
    bt_autofree char *now = image_time_now_rfc3339();
    assert_int_equal(image_parse_rfc3339(now, &sec, NULL), 0);
    assert_true(llabs(sec - (int64_t)time(NULL)) < 5);
    assert_true(now[strlen(now) - 1] == 'Z');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_image_changes_cmd_shell_and_exec_forms),
            cmocka_unit_test(test_image_changes_entrypoint_resets_cmd),
            cmocka_unit_test(test_image_changes_env_both_forms),
            cmocka_unit_test(test_image_changes_env_errors),
            cmocka_unit_test(test_image_changes_label),
            cmocka_unit_test(test_image_changes_expose),
            cmocka_unit_test(test_image_changes_user_workdir_stopsignal),
            cmocka_unit_test(test_image_changes_volume),
            cmocka_unit_test(test_image_changes_onbuild),
            cmocka_unit_test(test_image_changes_healthcheck),
            cmocka_unit_test(test_image_changes_invalid_instructions),
            cmocka_unit_test(test_image_changes_lines_continuations_and_comments),
            cmocka_unit_test(test_image_parse_duration),
            cmocka_unit_test(test_image_parse_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
