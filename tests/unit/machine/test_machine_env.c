/* SPDX-License-Identifier: Apache-2.0 */
/* `machine env`: docker-machine's output for every shell, set and unset, and --no-proxy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/machine/env.h"
#include "shared/base/cleanup.h"

static char *argv_set[] = {"berth", "machine", "env", "dev", NULL};

static const struct machine_env env = {
        .docker_host = "tcp://192.168.99.100:2376",
        .cert_path = "/home/u/.berth/machines/dev",
        .machine_name = "dev",
        .argv = argv_set,
};

static void check(enum machine_shell sh, bool unset, const struct machine_env *e, const char *want)
{
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    machine_env_render(sh, unset, e, &out);
    assert_string_equal(bt_strbuf_str(&out), want);
}

static void test_machine_env_every_shell(void **state)
{
    check(MACHINE_SHELL_POSIX, false, &env,
          "export DOCKER_TLS_VERIFY=\"1\"\n"
          "export DOCKER_HOST=\"tcp://192.168.99.100:2376\"\n"
          "export DOCKER_CERT_PATH=\"/home/u/.berth/machines/dev\"\n"
          "export DOCKER_MACHINE_NAME=\"dev\"\n"
          "# Run this command to configure your shell: \n"
          "# eval $(berth machine env dev)\n");
    check(MACHINE_SHELL_FISH, false, &env,
          "set -gx DOCKER_TLS_VERIFY \"1\";\n"
          "set -gx DOCKER_HOST \"tcp://192.168.99.100:2376\";\n"
          "set -gx DOCKER_CERT_PATH \"/home/u/.berth/machines/dev\";\n"
          "set -gx DOCKER_MACHINE_NAME \"dev\";\n"
          "# Run this command to configure your shell: \n"
          "# eval (berth machine env dev)\n");
    check(MACHINE_SHELL_POWERSHELL, false, &env,
          "$Env:DOCKER_TLS_VERIFY = \"1\"\n"
          "$Env:DOCKER_HOST = \"tcp://192.168.99.100:2376\"\n"
          "$Env:DOCKER_CERT_PATH = \"/home/u/.berth/machines/dev\"\n"
          "$Env:DOCKER_MACHINE_NAME = \"dev\"\n"
          "# Run this command to configure your shell: \n"
          "# & berth machine env dev | Invoke-Expression\n");
    check(MACHINE_SHELL_CMD, false, &env,
          "SET DOCKER_TLS_VERIFY=1\n"
          "SET DOCKER_HOST=tcp://192.168.99.100:2376\n"
          "SET DOCKER_CERT_PATH=/home/u/.berth/machines/dev\n"
          "SET DOCKER_MACHINE_NAME=dev\n"
          "REM Run this command to configure your shell: \n"
          "REM \t@FOR /f \"tokens=*\" %i IN ('berth machine env dev') DO @%i\n");
    check(MACHINE_SHELL_TCSH, false, &env,
          "setenv DOCKER_TLS_VERIFY \"1\";\n"
          "setenv DOCKER_HOST \"tcp://192.168.99.100:2376\";\n"
          "setenv DOCKER_CERT_PATH \"/home/u/.berth/machines/dev\";\n"
          "setenv DOCKER_MACHINE_NAME \"dev\";\n"
          ": Run this command to configure your shell: \n"
          ": eval `berth machine env dev`\n");
    check(MACHINE_SHELL_EMACS, false, &env,
          "(setenv \"DOCKER_TLS_VERIFY\" \"1\")\n"
          "(setenv \"DOCKER_HOST\" \"tcp://192.168.99.100:2376\")\n"
          "(setenv \"DOCKER_CERT_PATH\" \"/home/u/.berth/machines/dev\")\n"
          "(setenv \"DOCKER_MACHINE_NAME\" \"dev\")\n"
          ";; Run this command to configure your shell: \n"
          ";; (with-temp-buffer (shell-command \"berth machine env dev\" (current-buffer)) "
          "(eval-buffer))\n");
}

static void test_machine_env_unset(void **state)
{
    char *argv[] = {"berth", "machine", "env", "-u", NULL};
    struct machine_env e = {.argv = argv};
    check(MACHINE_SHELL_POSIX, true, &e,
          "unset DOCKER_TLS_VERIFY\nunset DOCKER_HOST\nunset DOCKER_CERT_PATH\n"
          "unset DOCKER_MACHINE_NAME\n"
          "# Run this command to configure your shell: \n# eval $(berth machine env -u)\n");
    check(MACHINE_SHELL_FISH, true, &e,
          "set -e DOCKER_TLS_VERIFY;\nset -e DOCKER_HOST;\nset -e DOCKER_CERT_PATH;\n"
          "set -e DOCKER_MACHINE_NAME;\n"
          "# Run this command to configure your shell: \n# eval (berth machine env -u)\n");
    check(MACHINE_SHELL_POWERSHELL, true, &e,
          "Remove-Item Env:\\\\DOCKER_TLS_VERIFY\nRemove-Item Env:\\\\DOCKER_HOST\n"
          "Remove-Item Env:\\\\DOCKER_CERT_PATH\nRemove-Item Env:\\\\DOCKER_MACHINE_NAME\n"
          "# Run this command to configure your shell: \n"
          "# & berth machine env -u | Invoke-Expression\n");
    check(MACHINE_SHELL_CMD, true, &e,
          "SET DOCKER_TLS_VERIFY=\nSET DOCKER_HOST=\nSET DOCKER_CERT_PATH=\n"
          "SET DOCKER_MACHINE_NAME=\n"
          "REM Run this command to configure your shell: \n"
          "REM \t@FOR /f \"tokens=*\" %i IN ('berth machine env -u') DO @%i\n");
    check(MACHINE_SHELL_TCSH, true, &e,
          "unsetenv DOCKER_TLS_VERIFY;\nunsetenv DOCKER_HOST;\nunsetenv DOCKER_CERT_PATH;\n"
          "unsetenv DOCKER_MACHINE_NAME;\n"
          ": Run this command to configure your shell: \n: eval `berth machine env -u`\n");
    check(MACHINE_SHELL_EMACS, true, &e,
          "(setenv \"DOCKER_TLS_VERIFY\" nil)\n(setenv \"DOCKER_HOST\" nil)\n"
          "(setenv \"DOCKER_CERT_PATH\" nil)\n(setenv \"DOCKER_MACHINE_NAME\" nil)\n"
          ";; Run this command to configure your shell: \n"
          ";; (with-temp-buffer (shell-command \"berth machine env -u\" (current-buffer)) "
          "(eval-buffer))\n");
}

static void test_machine_env_shell_names_and_program_quoting(void **state)
{
    assert_int_equal(machine_shell_from_name("/usr/bin/fish"), MACHINE_SHELL_FISH);
    assert_int_equal(machine_shell_from_name("/bin/bash"), MACHINE_SHELL_POSIX);
    assert_int_equal(machine_shell_from_name("zsh"), MACHINE_SHELL_POSIX);
    assert_int_equal(machine_shell_from_name("/bin/tcsh"), MACHINE_SHELL_TCSH);
    assert_int_equal(machine_shell_from_name("/bin/csh"), MACHINE_SHELL_TCSH);
    assert_int_equal(machine_shell_from_name("powershell"), MACHINE_SHELL_POWERSHELL);
    assert_int_equal(machine_shell_from_name("cmd"), MACHINE_SHELL_CMD);
    assert_int_equal(machine_shell_from_name("emacs"), MACHINE_SHELL_EMACS);
    assert_int_equal(machine_shell_from_name("nonsense"), MACHINE_SHELL_POSIX);
    assert_int_equal(machine_shell_from_name(NULL), MACHINE_SHELL_POSIX);
    /* docker-machine quotes the program when its path has a space or a backslash */
    char *argv[] = {"/opt/my tools/berth", "machine", "env", NULL};
    struct machine_env e = env;
    e.argv = argv;
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    machine_env_render(MACHINE_SHELL_POSIX, false, &e, &out);
    assert_non_null(strstr(bt_strbuf_str(&out), "# eval $(\"/opt/my tools/berth\" machine env)\n"));
}

static void test_machine_env_no_proxy(void **state)
{
    const char *var;
    char *value;
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    machine_env_no_proxy("192.168.99.100", &var, &value);
    assert_string_equal(var, "NO_PROXY");
    assert_string_equal(value, "192.168.99.100");
    free(value);
    setenv("NO_PROXY", "localhost", 1);
    machine_env_no_proxy("192.168.99.100", &var, &value);
    assert_string_equal(value, "localhost,192.168.99.100");
    free(value);
    setenv("no_proxy", "a,192.168.99.100", 1);
    machine_env_no_proxy("192.168.99.100", &var, &value);
    assert_string_equal(var, "no_proxy");
    assert_string_equal(value, "a,192.168.99.100");

    struct machine_env e = env;
    e.no_proxy_var = var;
    e.no_proxy_value = value;
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    machine_env_render(MACHINE_SHELL_CMD, false, &e, &out);
    assert_non_null(strstr(bt_strbuf_str(&out), "SET DOCKER_MACHINE_NAME=dev\n"
                                                "SET no_proxy=a,192.168.99.100\nREM Run"));
    free(value);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_machine_env_every_shell),
            cmocka_unit_test(test_machine_env_unset),
            cmocka_unit_test(test_machine_env_shell_names_and_program_quoting),
            cmocka_unit_test(test_machine_env_no_proxy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
