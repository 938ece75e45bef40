/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Internals of the template engine shared by template-*.c: the tokens of the lexer, the parse
 * tree, the values execution passes around, and the Go value printing they need. Nothing here
 * is part of the module's interface (see template.h).
 *
 * The parse tree mirrors Go's text/template/parse so that every error names the node Go would
 * name: node_string() prints a node as Go's Node.String() does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "host/format/template.h"
#include "shared/base/err.h"
#include "shared/base/strbuf.h"

/* Deepest nesting of controls and parentheses accepted: a fuzzer finds deep nesting, and C
 * recursion is bounded by the stack. Go allows 10000 parentheses; no real format nests 200. */
#define TPL_MAX_DEPTH 200

enum tok_type {
    TOK_ERROR,
    TOK_BOOL,
    TOK_CHAR,
    TOK_CHAR_CONSTANT,
    TOK_COMPLEX,
    TOK_ASSIGN,
    TOK_DECLARE,
    TOK_EOF,
    TOK_FIELD,
    TOK_IDENTIFIER,
    TOK_LEFT_DELIM,
    TOK_LEFT_PAREN,
    TOK_NUMBER,
    TOK_PIPE,
    TOK_RAW_STRING,
    TOK_RIGHT_DELIM,
    TOK_RIGHT_PAREN,
    TOK_SPACE,
    TOK_STRING,
    TOK_TEXT,
    TOK_VARIABLE,
    TOK_KEYWORD, /* keywords follow; Go prints them as <word> */
    TOK_BLOCK,
    TOK_BREAK,
    TOK_CONTINUE,
    TOK_DOT,
    TOK_DEFINE,
    TOK_ELSE,
    TOK_END,
    TOK_IF,
    TOK_NIL,
    TOK_RANGE,
    TOK_TEMPLATE,
    TOK_WITH,
};

struct tok {
    enum tok_type type;
    size_t pos; /* byte offset of the token in the text */
    size_t len; /* its length in the text */
    int line;   /* line of its first byte, from 1 */
    char *msg;  /* TOK_ERROR: the lexer's message (owned by the token list) */
};

struct tok_list {
    struct tok *v;
    size_t n;
    size_t cap;
};

/* Split text into tokens as Go's lexer does, trim markers applied. The list always ends with
 * TOK_EOF or TOK_ERROR. */
void tpl_lex(const char *text, size_t len, struct tok_list *out);
void tpl_tok_list_free(struct tok_list *l);

enum node_type {
    NODE_TEXT,
    NODE_ACTION,
    NODE_BOOL,
    NODE_BREAK,
    NODE_CHAIN,
    NODE_COMMAND,
    NODE_CONTINUE,
    NODE_DOT,
    NODE_ELSE, /* parse time only */
    NODE_END,  /* parse time only */
    NODE_FIELD,
    NODE_IDENTIFIER,
    NODE_IF,
    NODE_LIST,
    NODE_NIL,
    NODE_NUMBER,
    NODE_PIPE,
    NODE_RANGE,
    NODE_STRING,
    NODE_VARIABLE,
    NODE_WITH,
};

struct node {
    enum node_type type;
    size_t pos;
    int line;
    char *str;         /* TEXT: text; STRING: value; NUMBER: as written; IDENTIFIER: name */
    size_t len;        /* length of str (TEXT and STRING may hold NULs) */
    char *quoted;      /* STRING: the literal as written, quotes included */
    struct node **kid; /* LIST: nodes; PIPE: commands; COMMAND: arguments */
    size_t nkid;
    char **ident; /* FIELD: names without dots; VARIABLE: "$x" then fields; CHAIN: fields */
    size_t nident;
    struct node *base;      /* CHAIN: the term the fields apply to */
    struct node *pipe;      /* ACTION, IF, RANGE, WITH */
    struct node *list;      /* IF, RANGE, WITH */
    struct node *else_list; /* IF, RANGE, WITH: NULL without else */
    char **decl;            /* PIPE: declared or assigned variables */
    size_t ndecl;
    bool is_assign;                          /* PIPE: "=" rather than ":=" */
    bool bval;                               /* BOOL */
    bool is_int, is_uint, is_float, is_char; /* NUMBER, as Go's NumberNode */
    int64_t ival;
    uint64_t uval;
    double fval;
};

struct fmt_template {
    char *text;
    size_t len;
    struct node *root;
};

/* Go's strconv.Unquote of a "..." or `...` literal; false on bad syntax. */
bool tpl_unquote(const char *s, size_t len, struct bt_strbuf *out);
/* Fill a NUMBER node from a number, character or complex literal as Go's newNumber does;
 * -1 with Go's message in *msg (the caller frees). */
int tpl_parse_number(struct node *n, const char *text, size_t len, enum tok_type type, char **msg);

void tpl_node_free(struct node *n);
/* Append Go's Node.String() of n. */
void tpl_node_string(const struct node *n, struct bt_strbuf *out);
/* The same as a new string the caller frees. */
char *tpl_node_string_dup(const struct node *n);

/* Go's strconv.Quote of s (quotes included), appended to out. */
void tpl_go_quote(struct bt_strbuf *out, const char *s, size_t len);
/* Decode one UTF-8 sequence at s (len > 0): the code point, or 0xFFFD with *width 1 when the
 * bytes are not valid UTF-8, as Go's utf8.DecodeRune does. */
uint32_t tpl_utf8_decode(const char *s, size_t len, int *width);
/* Append the UTF-8 encoding of cp. */
void tpl_utf8_append(struct bt_strbuf *out, uint32_t cp);

/*
 * Values during execution. A value is a JSON value (owned reference) or nothing: j == NULL is
 * Go's invalid reflect.Value, printed "<no value>". `path` says where in the data the value
 * came from ("Config.Labels", "Mounts.[]"), so the caller's type table can tell maps from
 * structs and name Go types; values made by functions have none. `type` overrides the Go type
 * name for values whose JSON kind cannot say it (uint8 from indexing a string, []string).
 */
struct xv {
    json_t *j;
    char *path;
    const char *type;
    bool iface; /* held in an interface{} (a member of map[string]interface {}, ...) */
};

#define XV_NONE \
    {           \
        NULL    \
    }

void xv_clear(struct xv *v);
struct xv xv_copy(const struct xv *v);
/* A value taking ownership of a new json reference. */
struct xv xv_new(json_t *j, const char *type);

/* How values are typed: the caller's table of Go types and the default for objects. */
struct typing {
    const struct fmt_type *types;
    bool objects_are_maps;
};

/* The Go type name of a value, as %T and Go's errors print it. */
const char *xv_type_name(const struct typing *ty, const struct xv *v);
/* Is the object value a Go map (else a struct)? */
bool xv_is_map(const struct typing *ty, const struct xv *v);
/* Are the members or elements of this map or array held as interface{}? Go digs a nil one
 * to "no value". */
bool xv_elems_are_iface(const struct typing *ty, const struct xv *container);
/* Path of a member or an element, for typing; NULL when there is no table. */
char *xv_child_path(const struct typing *ty, const char *parent, const char *member);

/* Go's fmt %v of a value (fmt.Sprint of one operand), appended. `top` is true when the value
 * is printed by an action, where a missing value prints "<no value>". */
void xv_print(const struct typing *ty, const struct xv *v, bool top, struct bt_strbuf *out);
/* Go's %v of a float64: the shortest digits that read back, as %e from 1e6 up and below
 * 1e-4 ("1.5", "1e+06"). */
void tpl_format_float_v(double f, struct bt_strbuf *out);
/* Go's strconv.FormatFloat(f, fmt, prec, 64) for fmt in e E f g G, prec -1 = shortest. */
void tpl_format_float(double f, char fmt, int prec, struct bt_strbuf *out);
/* An object's keys, sorted when `sorted`; the caller frees the array, not the keys. */
const char **tpl_object_keys(const json_t *obj, bool sorted, size_t *n);
/* docker's json function: encoding/json without HTML escaping, no trailing newline. */
void xv_json(const struct typing *ty, const struct xv *v, struct bt_strbuf *out);

/* Go's truth of a value (isTrue): false for zero values, empty containers and no value. */
bool xv_truth(const struct typing *ty, const struct xv *v);

/* Go's fmt.Sprintf over values: the subset of verbs documented in docs/internals/format.md. */
void tpl_sprintf(const struct typing *ty, const char *format, size_t flen, const struct xv *args,
                 size_t nargs, struct bt_strbuf *out);

/* The execution state functions see. */
struct exec;

/* Builtin and docker functions. */
struct func_def;
const struct func_def *tpl_func_find(const char *name);
/* Call a function on evaluated arguments (funcs with eager arguments only). Returns 0 and sets
 * *res, or -1 with the error text in *msg (owned by the caller) for Go's "error calling". */
int tpl_func_call(const struct func_def *f, const struct typing *ty, bool header,
                  const struct xv *args, size_t nargs, size_t max_len, struct xv *res, char **msg);
/* Parameter kinds, so the executor can type-check arguments as Go's evalArg does. */
enum param_kind {
    PARAM_ANY,
    PARAM_STRING,
    PARAM_INT,
};
/* Number of fixed parameters, whether the rest are variadic (of kind `variadic_kind`), and the
 * kind of parameter i. */
int tpl_func_nparams(const struct func_def *f, bool *variadic);
enum param_kind tpl_func_param(const struct func_def *f, int i, bool header);
/* and, or: arguments evaluated lazily by the executor. */
bool tpl_func_is_shortcircuit(const struct func_def *f, bool *is_or);
const char *tpl_func_name(const struct func_def *f);
