/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/flags/flags.h"

struct opts {
    bool detach, interactive, tty;
    const char *name;
    const char **env;
    int64_t time;
    const char *memory;
};

static int set_memory(void *value, const char *arg, bt_err **err)
{
    if (!strchr("0123456789", arg[0]))
        return bt_err_set(err, BT_E_INVALID, "invalid size: '%s'", arg);
    *(const char **)value = arg;
    return 0;
}

static struct bt_flag *table(struct opts *o)
{
    static struct bt_flag f[8];
    struct bt_flag t[] = {
            {.name = "detach",
             .shorthand = 'd',
             .type = BT_FLAG_BOOL,
             .value = &o->detach,
             .usage = "Run container in background and print container ID"},
            {.name = "interactive",
             .shorthand = 'i',
             .type = BT_FLAG_BOOL,
             .value = &o->interactive,
             .usage = "Keep STDIN open even if not attached"},
            {.name = "tty",
             .shorthand = 't',
             .type = BT_FLAG_BOOL,
             .value = &o->tty,
             .usage = "Allocate a pseudo-TTY"},
            {.name = "name",
             .type = BT_FLAG_STRING,
             .value = &o->name,
             .usage = "Assign a name to the container"},
            {.name = "env",
             .shorthand = 'e',
             .type = BT_FLAG_STRINGS,
             .value = &o->env,
             .usage = "Set environment variables"},
            {.name = "time",
             .type = BT_FLAG_INT,
             .value = &o->time,
             .usage = "Seconds to wait",
             .def_text = "10"},
            {.name = "memory",
             .shorthand = 'm',
             .type = BT_FLAG_FUNC,
             .value = &o->memory,
             .set = set_memory,
             .metavar = "bytes",
             .usage = "Memory limit"},
            {0},
    };
    memcpy(f, t, sizeof(t));
    return f;
}

static int parse(struct opts *o, bool interspersed, char ***pos, bt_err **err, ...)
{
    char *args[32];
    int n = 0;
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *));)
        args[n++] = a;
    va_end(ap);
    memset(o, 0, sizeof(*o));
    struct bt_flagset fs = {.usage = "x", .flags = table(o), .interspersed = interspersed};
    return bt_flags_parse(&fs, n, args, pos, err);
}

static void test_flags_grouped_shorthands_and_values(void **state)
{
    struct opts o;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char **pos = NULL;
    assert_int_equal(parse(&o, false, &pos, &err, "-dit", "--name=web", "-e", "A=1", "-eB=2",
                           "-e=C=3", "--env", "D=4", "-m", "512m", "--time", "5", "busybox", "sh",
                           "-c", "--name=x", NULL),
                     0);
    assert_true(o.detach && o.interactive && o.tty);
    assert_string_equal(o.name, "web");
    assert_string_equal(o.env[0], "A=1");
    assert_string_equal(o.env[1], "B=2");
    assert_string_equal(o.env[2], "C=3");
    assert_string_equal(o.env[3], "D=4");
    assert_null(o.env[4]);
    assert_int_equal(o.time, 5);
    assert_string_equal(o.memory, "512m");
    /* not interspersed: everything after the image is the command's */
    assert_string_equal(pos[0], "busybox");
    assert_string_equal(pos[3], "--name=x");
    assert_null(pos[4]);
    free(o.env);
}

static void test_flags_interspersed_and_double_dash(void **state)
{
    struct opts o;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char **pos = NULL;
    assert_int_equal(parse(&o, true, &pos, &err, "a", "-d", "b", "--", "-t", NULL), 0);
    assert_true(o.detach);
    assert_false(o.tty);
    assert_string_equal(pos[0], "a");
    assert_string_equal(pos[1], "b");
    assert_string_equal(pos[2], "-t");
}

static void test_flags_bool_values(void **state)
{
    struct opts o;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char **pos = NULL;
    assert_int_equal(parse(&o, true, &pos, &err, "--detach=false", "-t=true", "false", NULL), 0);
    assert_false(o.detach);
    assert_true(o.tty);
    assert_string_equal(pos[0], "false"); /* a bool never eats the next argument */
}

static void expect_error(const char *want, ...)
{
    char *args[8];
    int n = 0;
    va_list ap;
    va_start(ap, want);
    for (char *a; (a = va_arg(ap, char *));)
        args[n++] = a;
    va_end(ap);
    struct opts o = {0};
    struct bt_flagset fs = {.usage = "x", .flags = table(&o), .interspersed = true};
    bt_autoerr bt_err *err = NULL;
    char **pos = NULL;
    assert_int_equal(bt_flags_parse(&fs, n, args, &pos, &err), -1);
    if (strcmp(bt_err_msg(err), want) != 0)
        fail_msg("got \"%s\", want \"%s\"", bt_err_msg(err), want);
    free(o.env);
}

static void test_flags_errors_in_pflag_words(void **state)
{
    expect_error("unknown flag: --bogus", "--bogus", NULL);
    expect_error("unknown flag: --bogus", "--bogus=1", NULL);
    expect_error("unknown shorthand flag: 'z' in -dz", "-dz", NULL);
    expect_error("flag needs an argument: --name", "--name", NULL);
    expect_error("flag needs an argument: 'e' in -e", "-e", NULL);
    expect_error("invalid argument \"soon\" for \"--time\" flag: strconv.ParseInt: parsing "
                 "\"soon\": invalid syntax",
                 "--time", "soon", NULL);
    expect_error("invalid argument \"maybe\" for \"-d, --detach\" flag: strconv.ParseBool: "
                 "parsing \"maybe\": invalid syntax",
                 "--detach=maybe", NULL);
    expect_error("invalid argument \"lots\" for \"-m, --memory\" flag: invalid size: 'lots'", "-m",
                 "lots", NULL);
    expect_error("bad flag syntax: ---x", "---x", NULL);
}

static void test_flags_help(void **state)
{
    struct opts o;
    bt_autoerr bt_err *err = NULL;
    char **pos = NULL;
    assert_int_equal(parse(&o, true, &pos, &err, "-d", "--help", NULL), BT_FLAGS_HELP);
    assert_int_equal(parse(&o, true, &pos, &err, "-h", NULL), BT_FLAGS_HELP);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    struct bt_flagset fs = {.usage = "berth run [OPTIONS] IMAGE [COMMAND] [ARG...]",
                            .description = "Create and run a new container from an image",
                            .flags = table(&o)};
    bt_flags_print_help(&fs, out);
    fclose(out);
    const char *want = "Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
                       "\n"
                       "Create and run a new container from an image\n"
                       "\n"
                       "Options:\n"
                       "  -d, --detach         Run container in background and print "
                       "container ID\n"
                       "  -e, --env list       Set environment variables\n"
                       "  -i, --interactive    Keep STDIN open even if not attached\n"
                       "  -m, --memory bytes   Memory limit\n"
                       "      --name string    Assign a name to the container\n"
                       "      --time int       Seconds to wait (default 10)\n"
                       "  -t, --tty            Allocate a pseudo-TTY\n";
    assert_string_equal(text, want);
    free(text);
}

static int set_any(void *value, const char *arg, bt_err **err)
{
    return 0;
}

/* pflag's FlagUsagesWrapped(79), as `docker network create --help` printed it */
static void test_flags_help_wrapped(void **state)
{
    bool b = false;
    void *v = NULL;
    struct bt_flag flags[] = {
            {.name = "attachable",
             .type = BT_FLAG_BOOL,
             .value = &b,
             .usage = "Enable manual container attachment"},
            {.name = "aux-address",
             .type = BT_FLAG_FUNC,
             .value = &v,
             .set = set_any,
             .metavar = "map",
             .def_text = "map[]",
             .usage = "Auxiliary IPv4 or IPv6 addresses used by Network driver"},
            {.name = "config-from",
             .type = BT_FLAG_STRING,
             .value = &v,
             .usage = "The network from which to copy the configuration"},
            {.name = "ipv4",
             .type = BT_FLAG_BOOL,
             .value = &b,
             .def_text = "true",
             .usage = "Enable or disable IPv4 address assignment"},
            {.name = "format",
             .type = BT_FLAG_STRING,
             .value = &v,
             .usage = "Format output using a custom template:\n'table':            Print "
                      "output in table format with column headers (default)\n'json':        "
                      "     Print in JSON format"},
            {0},
    };
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    struct bt_flagset fs = {.usage = "x", .flags = flags, .wrap = 79};
    bt_flags_print_options(&fs, out);
    fclose(out);
    assert_string_equal(text,
                        "      --attachable           Enable manual container attachment\n"
                        "      --aux-address map      Auxiliary IPv4 or IPv6 addresses used by\n"
                        "                             Network driver (default map[])\n"
                        "      --config-from string   The network from which to copy the "
                        "configuration\n"
                        "      --format string        Format output using a custom template:\n"
                        "                             'table':            Print output in table\n"
                        "                             format with column headers (default)\n"
                        "                             'json':             Print in JSON format\n"
                        "      --ipv4                 Enable or disable IPv4 address assignment\n"
                        "                             (default true)\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_flags_grouped_shorthands_and_values),
            cmocka_unit_test(test_flags_interspersed_and_double_dash),
            cmocka_unit_test(test_flags_bool_values),
            cmocka_unit_test(test_flags_errors_in_pflag_words),
            cmocka_unit_test(test_flags_help),
            cmocka_unit_test(test_flags_help_wrapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
