/* SPDX-License-Identifier: Apache-2.0 */
/* The libvirt domain XML of a spec (host/vm/domain-xml.c) and the XML writer's escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "spec-fixture.h"

static char *xml_of(const struct vm_spec *s, const struct vm_domain_opts *o)
{
    bt_autoerr bt_err *err = NULL;
    char *xml = vm_domain_xml(s, o, &err);
    if (!xml)
        fail_msg("vm_domain_xml: %s", bt_err_msg(err));
    return xml;
}

static void assert_has(const char *xml, const char *want)
{
    if (!strstr(xml, want))
        fail_msg("missing %s in:\n%s", want, xml);
}

static void assert_lacks(const char *xml, const char *unwanted)
{
    if (strstr(xml, unwanted))
        fail_msg("unexpected %s in:\n%s", unwanted, xml);
}

static void test_domain_xml_direct_kernel_boot(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<domain type='qemu'>");
    assert_has(xml, "<name>berth-dev</name>");
    assert_has(xml, "<title>dev</title>");
    assert_has(xml, "<memory unit='MiB'>1024</memory>");
    assert_has(xml, "<vcpu>2</vcpu>");
    assert_has(xml, "<type arch='x86_64' machine='pc'>hvm</type>");
    assert_has(xml, "<kernel>/var/cache/berth/vm/vmlinuz</kernel>");
    assert_has(xml, "<initrd>/var/cache/berth/vm/initrd.img</initrd>");
    assert_has(xml, "<cmdline>console=ttyS0 panic=-1 quiet</cmdline>");
    /* without <acpi/> a guest's poweroff leaves the domain running, and there is no button */
    assert_has(xml, "<features>\n    <acpi/>\n  </features>");
    assert_lacks(xml, "<uuid>");
    assert_lacks(xml, "host-passthrough");
    assert_lacks(xml, "<interface");
    assert_lacks(xml, "<disk");
    assert_lacks(xml, "qemu:commandline");
    assert_lacks(xml, "<seclabel");
}

static void test_domain_xml_no_initrd_and_kvm(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.initrd = NULL;
    s.accel = VM_ACCEL_KVM;
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<domain type='kvm'>");
    assert_has(xml, "<cpu mode='host-passthrough'/>");
    assert_lacks(xml, "<initrd>");
}

static void test_domain_xml_reboot_and_crash_end_the_domain(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<on_poweroff>destroy</on_poweroff>");
    assert_has(xml, "<on_reboot>destroy</on_reboot>");
    assert_has(xml, "<on_crash>destroy</on_crash>");
}

static void test_domain_xml_serial_console_to_file(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<serial type='file'>\n"
                    "      <source path='/home/u/.berth/machines/dev/console.log' append='off'/>\n"
                    "      <target port='0'/>\n"
                    "    </serial>");
}

static void test_domain_xml_disks(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.data_disk = "/m/disk.qcow2";
    s.config_disk = "/m/config.img";
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<disk type='file' device='disk'>\n"
                    "      <driver name='qemu' type='qcow2'/>\n"
                    "      <source file='/m/disk.qcow2'/>\n"
                    "      <target dev='vda' bus='virtio'/>\n"
                    "    </disk>");
    assert_has(xml, "<disk type='file' device='disk'>\n"
                    "      <driver name='qemu' type='raw'/>\n"
                    "      <source file='/m/config.img'/>\n"
                    "      <target dev='vdb' bus='virtio'/>\n"
                    "      <readonly/>\n"
                    "    </disk>");
    /* the data disk comes first: the guest's /dev/vda */
    assert_true(strstr(xml, "disk.qcow2") < strstr(xml, "config.img"));
}

static void test_domain_xml_bridge_interface(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.net = VM_NET_BRIDGE;
    s.bridge = "berth0";
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<interface type='bridge'>\n"
                    "      <source bridge='berth0'/>\n"
                    "      <mac address='02:11:22:33:44:55'/>\n"
                    "      <model type='virtio'/>\n"
                    "      <target dev='bt-dev'/>\n"
                    "    </interface>");
    assert_lacks(xml, "xmlns:qemu");
}

static void test_domain_xml_user_network_forwards(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    struct vm_forward fw[] = {{2222, 22}, {12376, 2376}};
    s.net = VM_NET_USER;
    s.forwards = fw;
    s.n_forwards = 2;
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<domain type='qemu' "
                    "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>");
    assert_has(xml, "<qemu:arg value='user,id=berthnet0,hostfwd=tcp:127.0.0.1:2222-:22,"
                    "hostfwd=tcp:127.0.0.1:12376-:2376'/>");
    assert_has(
            xml,
            "<qemu:arg value='virtio-net-pci,netdev=berthnet0,mac=02:11:22:33:44:55,addr=0x1f'/>");
    assert_lacks(xml, "<interface");
}

static void test_domain_xml_9p_shares(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    struct vm_share sh[] = {{"home", "/home/u"}, {"data.1", "/srv/d"}};
    s.shares = sh;
    s.n_shares = 2;
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<filesystem type='mount' accessmode='passthrough'>\n"
                    "      <source dir='/home/u'/>\n"
                    "      <target dir='home'/>\n"
                    "    </filesystem>");
    assert_has(xml, "<source dir='/srv/d'/>\n      <target dir='data.1'/>");
}

static void test_domain_xml_uuid_and_run_as(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    struct vm_domain_opts o = {
            .uuid = "6695eb01-f6a4-8304-79aa-97f2502e193f", .run_as = true, .uid = 0, .gid = 7};
    bt_autofree char *xml = xml_of(&s, &o);
    assert_has(xml, "<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>");
    assert_has(xml, "<seclabel type='static' model='dac' relabel='no'>\n"
                    "    <label>+0:+7</label>\n"
                    "  </seclabel>");
}

static void test_domain_xml_escapes_values(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.kernel = "/tmp/a&b<c>'d\"e/vmlinuz";
    s.cmdline = "console=ttyS0 berth.msg=\"x<y\" x='1'&";
    s.console_log = "/tmp/it's/console.log";
    bt_autofree char *xml = xml_of(&s, NULL);
    assert_has(xml, "<kernel>/tmp/a&amp;b&lt;c&gt;&apos;d&quot;e/vmlinuz</kernel>");
    assert_has(xml, "<cmdline>console=ttyS0 berth.msg=&quot;x&lt;y&quot; x=&apos;1&apos;&amp;"
                    "</cmdline>");
    assert_has(xml, "<source path='/tmp/it&apos;s/console.log' append='off'/>");
    /* UTF-8 passes as it is */
    s.kernel = "/home/j\xc3\xb6rg/vmlinuz";
    bt_autofree char *xml2 = xml_of(&s, NULL);
    assert_has(xml2, "<kernel>/home/j\xc3\xb6rg/vmlinuz</kernel>");
}

static void test_domain_xml_refuses_what_xml_cannot_hold(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.cmdline = "console=ttyS0\x01quiet";
    bt_autoerr bt_err *err = NULL;
    assert_null(vm_domain_xml(&s, NULL, &err));
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), "cmdline \"console=ttyS0?quiet\" cannot be written in "
                                         "XML (control characters or invalid UTF-8)");
    bt_err_clear(&err);
    s = fixture_spec();
    s.kernel = "/tmp/\xff\xfe";
    assert_null(vm_domain_xml(&s, NULL, &err));
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    /* a surrogate and an overlong form are not UTF-8 either */
    assert_false(vm_text_ok("\xed\xa0\x80"));
    assert_false(vm_text_ok("\xc0\xaf"));
    assert_false(vm_text_ok("tab\there"));
    assert_true(vm_text_ok("\xf0\x9f\x90\xb3 whale"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_domain_xml_direct_kernel_boot),
            cmocka_unit_test(test_domain_xml_no_initrd_and_kvm),
            cmocka_unit_test(test_domain_xml_reboot_and_crash_end_the_domain),
            cmocka_unit_test(test_domain_xml_serial_console_to_file),
            cmocka_unit_test(test_domain_xml_disks),
            cmocka_unit_test(test_domain_xml_bridge_interface),
            cmocka_unit_test(test_domain_xml_user_network_forwards),
            cmocka_unit_test(test_domain_xml_9p_shares),
            cmocka_unit_test(test_domain_xml_uuid_and_run_as),
            cmocka_unit_test(test_domain_xml_escapes_values),
            cmocka_unit_test(test_domain_xml_refuses_what_xml_cannot_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
