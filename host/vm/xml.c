/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small XML writer for libvirt's domain documents. libvirt's C API has no builder and takes
 * XML text; values come from the user (paths under a home directory, a kernel command line), so
 * every one is escaped here, in one place.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host/vm/vm-internal.h"
#include "shared/base/utf8.h"
#include "shared/base/mem.h"

/* The length of the valid UTF-8 sequence at s that XML can hold (libxml2 refuses U+FFFE and
 * U+FFFF), else 0. */
static size_t xml_char_len(const unsigned char *s)
{
    uint32_t cp;
    size_t n = bt_utf8_decode(s, strnlen((const char *)s, 4), &cp);
    return n && cp != 0xfffe && cp != 0xffff ? n : 0;
}

bool vm_text_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
        size_t n = xml_char_len(p);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

bool vm_xml_escape(struct bt_strbuf *sb, const char *s)
{
    if (!vm_text_ok(s))
        return false;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            bt_strbuf_append(sb, "&amp;");
            break;
        case '<':
            bt_strbuf_append(sb, "&lt;");
            break;
        case '>':
            bt_strbuf_append(sb, "&gt;");
            break;
        case '\'':
            bt_strbuf_append(sb, "&apos;");
            break;
        case '"':
            bt_strbuf_append(sb, "&quot;");
            break;
        default:
            bt_strbuf_append_c(sb, *p);
        }
    }
    return true;
}

static void mark_bad(struct vm_xml *x, const char *what, const char *value)
{
    if (x->bad)
        return;
    /* the message must not carry the control characters it complains about */
    char *shown = bt_xstrdup(value);
    for (unsigned char *p = (unsigned char *)shown; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
    x->bad = bt_xasprintf("%s \"%s\"", what, shown);
    free(shown);
}

static void indent(struct vm_xml *x)
{
    for (int i = 0; i < x->depth; i++)
        bt_strbuf_append(&x->sb, "  ");
}

static void start_tag(struct vm_xml *x, const char *tag, va_list ap)
{
    indent(x);
    bt_strbuf_appendf(&x->sb, "<%s", tag);
    const char *name;
    while ((name = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);
        if (!value)
            continue;
        bt_strbuf_appendf(&x->sb, " %s='", name);
        if (!vm_xml_escape(&x->sb, value))
            mark_bad(x, name, value);
        bt_strbuf_append_c(&x->sb, '\'');
    }
}

void vm_xml_open(struct vm_xml *x, const char *tag, ...)
{
    va_list ap;
    va_start(ap, tag);
    start_tag(x, tag, ap);
    va_end(ap);
    bt_strbuf_append(&x->sb, ">\n");
    if (x->depth < (int)(sizeof(x->stack) / sizeof(x->stack[0])))
        x->stack[x->depth] = tag;
    else
        mark_bad(x, "nesting", tag);
    x->depth++;
}

void vm_xml_empty(struct vm_xml *x, const char *tag, ...)
{
    va_list ap;
    va_start(ap, tag);
    start_tag(x, tag, ap);
    va_end(ap);
    bt_strbuf_append(&x->sb, "/>\n");
}

void vm_xml_leaf(struct vm_xml *x, const char *tag, const char *text, ...)
{
    va_list ap;
    va_start(ap, text);
    start_tag(x, tag, ap);
    va_end(ap);
    bt_strbuf_append_c(&x->sb, '>');
    if (!vm_xml_escape(&x->sb, text))
        mark_bad(x, tag, text);
    bt_strbuf_appendf(&x->sb, "</%s>\n", tag);
}

void vm_xml_close(struct vm_xml *x)
{
    if (x->depth <= 0) {
        mark_bad(x, "close", "(nothing open)");
        return;
    }
    x->depth--;
    indent(x);
    const char *tag =
            x->depth < (int)(sizeof(x->stack) / sizeof(x->stack[0])) ? x->stack[x->depth] : "?";
    bt_strbuf_appendf(&x->sb, "</%s>\n", tag);
}

char *vm_xml_finish(struct vm_xml *x, bt_err **err)
{
    char *doc = NULL;
    if (x->bad)
        bt_err_set(err, BT_E_INVALID,
                   "%s cannot be written in XML (control characters or invalid UTF-8)", x->bad);
    else if (x->depth != 0)
        bt_err_set(err, BT_E_INTERNAL, "XML document left %d elements open", x->depth);
    else
        doc = bt_strbuf_steal(&x->sb);
    bt_strbuf_free(&x->sb);
    free(x->bad);
    x->bad = NULL;
    return doc;
}
