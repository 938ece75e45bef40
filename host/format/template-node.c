/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parse tree nodes: freeing them and printing them as Go's Node.String() does, since Go's
 * errors quote nodes ("executing \"\" at <.Foo>", "unexpected {{end}}"). Also the UTF-8 and
 * quoting helpers the lexer, parser and printers share.
 */
#include <stdlib.h>
#include <string.h>

#include "host/format/template-internal.h"
#include "shared/base/mem.h"

static void free_strv_n(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void tpl_node_free(struct node *n)
{
    if (!n)
        return;
    free(n->str);
    free(n->quoted);
    for (size_t i = 0; i < n->nkid; i++)
        tpl_node_free(n->kid[i]);
    free(n->kid);
    free_strv_n(n->ident, n->nident);
    free_strv_n(n->decl, n->ndecl);
    tpl_node_free(n->base);
    tpl_node_free(n->pipe);
    tpl_node_free(n->list);
    tpl_node_free(n->else_list);
    free(n);
}

static void join_idents(struct bt_strbuf *out, char **v, size_t n, bool leading_dot)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 || leading_dot)
            bt_strbuf_append_c(out, '.');
        bt_strbuf_append(out, v[i]);
    }
}

static void control_string(const struct node *n, const char *word, struct bt_strbuf *out)
{
    bt_strbuf_appendf(out, "{{%s ", word);
    tpl_node_string(n->pipe, out);
    bt_strbuf_append(out, "}}");
    tpl_node_string(n->list, out);
    if (n->else_list) {
        bt_strbuf_append(out, "{{else}}");
        tpl_node_string(n->else_list, out);
    }
    bt_strbuf_append(out, "{{end}}");
}

static void pipe_string(const struct node *n, struct bt_strbuf *out)
{
    for (size_t i = 0; i < n->ndecl; i++) {
        if (i > 0)
            bt_strbuf_append(out, ", ");
        bt_strbuf_append(out, n->decl[i]);
    }
    if (n->ndecl)
        bt_strbuf_append(out, n->is_assign ? " = " : " := ");
    for (size_t i = 0; i < n->nkid; i++) {
        if (i > 0)
            bt_strbuf_append(out, " | ");
        tpl_node_string(n->kid[i], out);
    }
}

static void command_string(const struct node *n, struct bt_strbuf *out)
{
    for (size_t i = 0; i < n->nkid; i++) {
        if (i > 0)
            bt_strbuf_append_c(out, ' ');
        if (n->kid[i]->type == NODE_PIPE) {
            bt_strbuf_append_c(out, '(');
            tpl_node_string(n->kid[i], out);
            bt_strbuf_append_c(out, ')');
        } else {
            tpl_node_string(n->kid[i], out);
        }
    }
}

void tpl_node_string(const struct node *n, struct bt_strbuf *out)
{
    switch (n->type) {
    case NODE_TEXT:
        bt_strbuf_append_n(out, n->str, n->len);
        break;
    case NODE_ACTION:
        bt_strbuf_append(out, "{{");
        tpl_node_string(n->pipe, out);
        bt_strbuf_append(out, "}}");
        break;
    case NODE_BOOL:
        bt_strbuf_append(out, n->bval ? "true" : "false");
        break;
    case NODE_BREAK:
        bt_strbuf_append(out, "{{break}}");
        break;
    case NODE_CONTINUE:
        bt_strbuf_append(out, "{{continue}}");
        break;
    case NODE_CHAIN:
        if (n->base->type == NODE_PIPE) {
            bt_strbuf_append_c(out, '(');
            tpl_node_string(n->base, out);
            bt_strbuf_append_c(out, ')');
        } else {
            tpl_node_string(n->base, out);
        }
        join_idents(out, n->ident, n->nident, true);
        break;
    case NODE_COMMAND:
        command_string(n, out);
        break;
    case NODE_DOT:
        bt_strbuf_append_c(out, '.');
        break;
    case NODE_ELSE:
        bt_strbuf_append(out, "{{else}}");
        break;
    case NODE_END:
        bt_strbuf_append(out, "{{end}}");
        break;
    case NODE_FIELD:
        join_idents(out, n->ident, n->nident, true);
        break;
    case NODE_IDENTIFIER:
    case NODE_NUMBER:
        bt_strbuf_append(out, n->str);
        break;
    case NODE_IF:
        control_string(n, "if", out);
        break;
    case NODE_RANGE:
        control_string(n, "range", out);
        break;
    case NODE_WITH:
        control_string(n, "with", out);
        break;
    case NODE_LIST:
        for (size_t i = 0; i < n->nkid; i++)
            tpl_node_string(n->kid[i], out);
        break;
    case NODE_NIL:
        bt_strbuf_append(out, "nil");
        break;
    case NODE_PIPE:
        pipe_string(n, out);
        break;
    case NODE_STRING:
        bt_strbuf_append(out, n->quoted);
        break;
    case NODE_VARIABLE:
        join_idents(out, n->ident, n->nident, false);
        break;
    }
}

char *tpl_node_string_dup(const struct node *n)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    tpl_node_string(n, &sb);
    return bt_strbuf_steal(&sb);
}

uint32_t tpl_utf8_decode(const char *s, size_t len, int *width)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t c = p[0];
    int n;
    uint32_t min;
    *width = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 1, c &= 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2, c &= 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3, c &= 0x07, min = 0x10000;
    } else {
        return 0xfffd;
    }
    if ((size_t)n >= len)
        return 0xfffd;
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0xfffd;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0xfffd;
    *width = n + 1;
    return c;
}

void tpl_utf8_append(struct bt_strbuf *out, uint32_t cp)
{
    char b[4];
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        bt_strbuf_append_c(out, (char)cp);
        return;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        bt_strbuf_append_n(out, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        bt_strbuf_append_n(out, b, 3);
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        bt_strbuf_append_n(out, b, 4);
    }
}

/* Go's strconv.IsPrint, approximated past Latin-1: everything but controls, the soft hyphen,
 * surrogates, unassigned planes' ends and the line/paragraph separators. */
static bool is_print_cp(uint32_t r)
{
    if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xad)
        return false;
    if (r == 0x2028 || r == 0x2029 || r == 0xfeff || (r & 0xfffe) == 0xfffe)
        return false;
    return true;
}

void tpl_go_quote(struct bt_strbuf *out, const char *s, size_t len)
{
    bt_strbuf_append_c(out, '"');
    for (size_t i = 0; i < len;) {
        int w;
        uint32_t r = tpl_utf8_decode(s + i, len - i, &w);
        if (r == 0xfffd && w == 1) {
            bt_strbuf_appendf(out, "\\x%02x", (unsigned char)s[i]);
            i++;
            continue;
        }
        i += w;
        switch (r) {
        case '"':
            bt_strbuf_append(out, "\\\"");
            continue;
        case '\\':
            bt_strbuf_append(out, "\\\\");
            continue;
        case '\a':
            bt_strbuf_append(out, "\\a");
            continue;
        case '\b':
            bt_strbuf_append(out, "\\b");
            continue;
        case '\f':
            bt_strbuf_append(out, "\\f");
            continue;
        case '\n':
            bt_strbuf_append(out, "\\n");
            continue;
        case '\r':
            bt_strbuf_append(out, "\\r");
            continue;
        case '\t':
            bt_strbuf_append(out, "\\t");
            continue;
        case '\v':
            bt_strbuf_append(out, "\\v");
            continue;
        default:
            break;
        }
        if (is_print_cp(r))
            tpl_utf8_append(out, r);
        else if (r < 0x20 || r == 0x7f)
            bt_strbuf_appendf(out, "\\x%02x", r);
        else if (r < 0x10000)
            bt_strbuf_appendf(out, "\\u%04x", r);
        else
            bt_strbuf_appendf(out, "\\U%08x", r);
    }
    bt_strbuf_append_c(out, '"');
}
