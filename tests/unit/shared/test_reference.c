/* SPDX-License-Identifier: Apache-2.0 */
/* Table-driven: tests/data/reference/normalize.tsv holds the cases and their expected output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/reference/reference.h"

static char *field(char **line)
{
    char *start = *line;
    if (!start)
        return NULL;
    char *tab = strchr(start, '\t');
    if (tab) {
        *tab = '\0';
        *line = tab + 1;
    } else {
        *line = NULL;
    }
    return start;
}

static void test_reference_normalize_table(void **state)
{
    FILE *f = fopen(BERTH_TEST_DATA "/reference/normalize.tsv", "r");
    assert_non_null(f);
    char buf[2048];
    int cases = 0;
    while (fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\n")] = '\0';
        if (buf[0] == '#')
            continue;
        char *rest = buf;
        const char *in = field(&rest);
        const char *want = field(&rest);
        const char *familiar = field(&rest);
        const char *domain = field(&rest);
        const char *path = field(&rest);
        assert_non_null(want);
        cases++;
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(bt_ref) r = bt_ref_parse(in, &err);
        if (want[0] == '!') {
            if (r)
                fail_msg("\"%s\" parsed, want error \"%s\"", in, want + 1);
            if (strcmp(bt_err_msg(err), want + 1) != 0)
                fail_msg("\"%s\": error \"%s\", want \"%s\"", in, bt_err_msg(err), want + 1);
            assert_int_equal(bt_err_code(err), BT_E_INVALID);
            continue;
        }
        if (!r)
            fail_msg("\"%s\": %s", in, bt_err_msg(err));
        bt_autofree char *full = bt_ref_string(r);
        bt_autofree char *fam = bt_ref_familiar_string(r);
        if (strcmp(full, want) != 0)
            fail_msg("\"%s\" = \"%s\", want \"%s\"", in, full, want);
        if (strcmp(fam, familiar) != 0)
            fail_msg("familiar \"%s\" = \"%s\", want \"%s\"", in, fam, familiar);
        assert_string_equal(r->domain, domain);
        assert_string_equal(r->path, path);
    }
    fclose(f);
    assert_true(cases > 50);
}

static void test_reference_docker_ref_adds_latest_and_drops_tag_with_digest(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(bt_ref) a = bt_ref_parse_docker("busybox", &err);
    bt_autofree char *as = bt_ref_string(a);
    assert_string_equal(as, "docker.io/library/busybox:latest");
    const char *d = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
    bt_autofree char *in = bt_xasprintf("busybox:1.36@%s", d);
    bt_autoptr(bt_ref) b = bt_ref_parse_docker(in, &err);
    assert_null(b->tag);
    assert_string_equal(b->digest, d);
    bt_autofree char *name = bt_ref_name(b);
    assert_string_equal(name, "docker.io/library/busybox");
}

static void test_reference_tags(void **state)
{
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_ref_validate_tag("v1.2_rc-3", &err), 0);
    assert_int_equal(bt_ref_validate_tag(".hidden", &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid tag format");
    bt_err_clear(&err);
    char longtag[130];
    memset(longtag, 'a', 129);
    longtag[129] = '\0';
    assert_int_equal(bt_ref_validate_tag(longtag, &err), -1);
    bt_err_clear(&err);
    longtag[128] = '\0';
    assert_int_equal(bt_ref_validate_tag(longtag, &err), 0);

    bt_autoptr(bt_ref) r = bt_ref_parse("localhost:5000/app", &err);
    assert_int_equal(bt_ref_set_tag(r, "v2", &err), 0);
    bt_autofree char *s = bt_ref_familiar_string(r);
    assert_string_equal(s, "localhost:5000/app:v2");
    assert_int_equal(bt_ref_set_tag(r, "bad tag", &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reference_normalize_table),
            cmocka_unit_test(test_reference_docker_ref_adds_latest_and_drops_tag_with_digest),
            cmocka_unit_test(test_reference_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
