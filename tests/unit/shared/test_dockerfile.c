/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Dockerfile parser on cases of our own (buildkit's conformance data is in
 * test_dockerfile_corpus.c): heredocs, the escape directive, continuations, ENV forms, JSON
 * forms, flags, error wording, stages and --target, expansion, the lexer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/instructions.h"
#include "shared/dockerfile/parser.h"
#include "shared/dockerfile/shell.h"

/* ---- our own cases ---- */

static struct bt_df_ast *ast_of(const char *text)
{
    bt_autoerr bt_err *err = NULL;
    struct bt_df_ast *ast = bt_df_parse_ast(text, strlen(text), &err);
    if (!ast)
        fail_msg("parse failed: %s", bt_err_msg(err));
    return ast;
}

static struct bt_df_file *file_of(const char *text)
{
    bt_autoerr bt_err *err = NULL;
    struct bt_df_file *f = bt_df_parse(text, strlen(text), &err);
    if (!f)
        fail_msg("parse failed: %s", bt_err_msg(err));
    return f;
}

static void assert_dump(const char *text, const char *want)
{
    bt_autoptr(bt_df_ast) ast = ast_of(text);
    bt_autofree char *dump = bt_df_ast_dump(ast);
    assert_string_equal(dump, want);
}

static void test_dockerfile_heredocs(void **state)
{
    bt_autoptr(bt_df_ast) ast = ast_of("FROM alpine\n"
                                       "RUN <<EOF\n"
                                       "echo $HOME\n"
                                       "# not a comment here\n"
                                       "EOF\n"
                                       "RUN 3<<-'SCRIPT' python3\n"
                                       "\tprint('hi')\n"
                                       "\tSCRIPT\n"
                                       "COPY <<A <<\"B\" /dst/\n"
                                       "a\n"
                                       "A\n"
                                       "b\n"
                                       "B\n"
                                       "RUN [\"<<EOF\"]\n"
                                       "ONBUILD RUN <<X\n"
                                       "x\n"
                                       "X\n");
    assert_int_equal(ast->n, 6);
    const struct bt_df_node *run = &ast->nodes[1];
    assert_int_equal(run->nheredocs, 1);
    assert_string_equal(run->heredocs[0].name, "EOF");
    assert_true(run->heredocs[0].expand);
    assert_false(run->heredocs[0].chomp);
    assert_string_equal(run->heredocs[0].content, "echo $HOME\n# not a comment here\n");
    assert_int_equal(run->start_line, 2);
    assert_int_equal(run->end_line, 5);

    const struct bt_df_node *py = &ast->nodes[2];
    assert_int_equal(py->nheredocs, 1);
    assert_string_equal(py->heredocs[0].name, "SCRIPT");
    assert_int_equal(py->heredocs[0].fd, 3);
    assert_false(py->heredocs[0].expand);
    assert_true(py->heredocs[0].chomp);
    assert_string_equal(py->heredocs[0].content, "\tprint('hi')\n");
    bt_autofree char *body = bt_df_heredoc_body(&py->heredocs[0]);
    assert_string_equal(body, "print('hi')\n");
    assert_string_equal(py->args[0], "3<<-'SCRIPT' python3");

    const struct bt_df_node *copy = &ast->nodes[3];
    assert_int_equal(copy->nheredocs, 2);
    assert_string_equal(copy->heredocs[0].content, "a\n");
    assert_string_equal(copy->heredocs[1].name, "B");
    assert_false(copy->heredocs[1].expand);
    assert_int_equal(copy->end_line, 13);

    assert_int_equal(ast->nodes[4].nheredocs, 0); /* exec form: no heredocs */
    assert_true(ast->nodes[4].json);
    assert_int_equal(ast->nodes[5].nheredocs, 1); /* ONBUILD's trigger */
    assert_string_equal(ast->nodes[5].heredocs[0].content, "x\n");

    /* the instruction layer: COPY's heredoc sources become contents, ONBUILD keeps them */
    bt_autoptr(bt_df_file) f = file_of("FROM alpine\n"
                                       "COPY <<-A x <<'B' /dst/\n"
                                       "\t\tone $V\n"
                                       "A\n"
                                       "two $V\n"
                                       "B\n"
                                       "ONBUILD RUN <<X\n"
                                       "x\n"
                                       "X\n");
    const struct bt_df_inst *c = &f->stages[0].insts[0];
    assert_int_equal(c->nsrcs, 1);
    assert_string_equal(c->srcs[0], "x");
    assert_string_equal(c->dest, "/dst/");
    assert_int_equal(c->ncontents, 2);
    assert_string_equal(c->contents[0].path, "A");
    assert_string_equal(c->contents[0].data, "one $V\n");
    assert_true(c->contents[0].expand);
    assert_string_equal(c->contents[1].data, "two $V\n");
    assert_false(c->contents[1].expand);
    char *env[] = {"V=5", NULL};
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    bt_autoptr(bt_df_inst) x = bt_df_inst_expand(c, &e, NULL);
    assert_non_null(x);
    assert_string_equal(x->contents[0].data, "one 5\n");
    assert_string_equal(x->contents[1].data, "two $V\n");
    assert_string_equal(f->stages[0].insts[1].onbuild, "RUN <<X\nx\nX");
}

static void test_dockerfile_heredoc_errors(void **state)
{
    bt_autoerr bt_err *err = NULL;
    const char *text = "FROM a\nRUN <<EOF\necho\n";
    assert_null(bt_df_parse_ast(text, strlen(text), &err));
    assert_string_equal(bt_err_msg(err), "dockerfile parse error on line 2: unterminated heredoc");
}

static void test_dockerfile_escape_directive(void **state)
{
    /* backtick escape: \ is an ordinary character, ` continues lines */
    assert_dump("# escape=`\n"
                "FROM windows\n"
                "RUN dir c:\\ `\n"
                "  && echo done\n"
                "COPY `\"a b`\" c:\\dst\n",
                "(from \"windows\")\n"
                "(run \"dir c:\\\\   && echo done\")\n"
                "(copy \"`\\\"a\" \"b`\\\"\" \"c:\\\\dst\")");
    /* a directive after a comment, a blank line or an instruction is a comment */
    assert_dump("# hello\n# escape=`\nFROM a\nRUN x \\\n y\n", "(from \"a\")\n(run \"x  y\")");
    assert_dump("\n# escape=`\nFROM a\n", "(from \"a\")");
    /* syntax is kept; BOM and CRLF line endings are fine */
    bt_autoptr(bt_df_ast) ast = ast_of("\xEF\xBB\xBF# syntax=docker/dockerfile:1.7\r\n"
                                       "# escape=`\r\n"
                                       "FROM a\r\n"
                                       "RUN b `\r\n"
                                       "  c\r\n");
    assert_string_equal(ast->syntax, "docker/dockerfile:1.7");
    assert_int_equal(ast->escape, '`');
    bt_autofree char *dump = bt_df_ast_dump(ast);
    assert_string_equal(dump, "(from \"a\")\n(run \"b   c\")");
}

static void test_dockerfile_continuations(void **state)
{
    bt_autoptr(bt_df_ast) ast = ast_of("FROM a\n"
                                       "RUN one \\\n"
                                       "# comment inside\n"
                                       "\n"
                                       "    two \\\n"
                                       "    three\n"
                                       "RUN \\\n"
                                       "\n"
                                       "last\n");
    bt_autofree char *dump = bt_df_ast_dump(ast);
    assert_string_equal(dump, "(from \"a\")\n(run \"one     two     three\")\n(run \"last\")");
    assert_int_equal(ast->nodes[1].start_line, 2);
    assert_int_equal(ast->nodes[1].end_line, 6);
    /* empty continuation lines are allowed with a warning, as in Docker */
    assert_int_equal(bt_strv_len(ast->warnings), 2);
    assert_string_equal(ast->warnings[0],
                        "Empty continuation line found in: RUN one     two     three");
    assert_int_equal(ast->warning_line[0], 6);
}

static void test_dockerfile_env_forms(void **state)
{
    bt_autoptr(bt_df_file) f = file_of("FROM a\n"
                                       "ENV PATH /usr/local/bin:$PATH\n"
                                       "ENV A=1 B=\"two words\" C=three\\ words D='$A' E=\"$A\"\n"
                                       "ENV F=\"a\\\"b\" G=\n"
                                       "LABEL \"com.x\"=\"v\" version=1.0\n"
                                       "ARG NAME GREETING=\"hello there\" EMPTY=\n");
    char *env[] = {"PATH=/bin", "A=x", NULL};
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    const struct bt_df_stage *s = &f->stages[0];
    bt_autoptr(bt_df_inst) path = bt_df_inst_expand(&s->insts[0], &e, NULL);
    assert_int_equal(path->nkvs, 1);
    assert_string_equal(path->kvs[0].key, "PATH");
    assert_string_equal(path->kvs[0].value, "/usr/local/bin:/bin");
    assert_true(path->kvs[0].no_delim);
    bt_autoptr(bt_df_inst) kv = bt_df_inst_expand(&s->insts[1], &e, NULL);
    const char *want[][2] = {
            {"A", "1"}, {"B", "two words"}, {"C", "three words"}, {"D", "$A"}, {"E", "x"}};
    assert_int_equal(kv->nkvs, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(kv->kvs[i].key, want[i][0]);
        assert_string_equal(kv->kvs[i].value, want[i][1]);
        assert_false(kv->kvs[i].no_delim);
    }
    bt_autoptr(bt_df_inst) q = bt_df_inst_expand(&s->insts[2], &e, NULL);
    assert_string_equal(q->kvs[0].value, "a\"b");
    assert_string_equal(q->kvs[1].value, "");
    bt_autoptr(bt_df_inst) label = bt_df_inst_expand(&s->insts[3], &e, NULL);
    assert_string_equal(label->kvs[0].key, "com.x");
    assert_string_equal(label->kvs[1].value, "1.0");
    bt_autoptr(bt_df_inst) arg = bt_df_inst_expand(&s->insts[4], &e, NULL);
    assert_int_equal(arg->nkvs, 3);
    assert_string_equal(arg->kvs[0].key, "NAME");
    assert_null(arg->kvs[0].value);
    assert_string_equal(arg->kvs[1].key, "GREETING");
    assert_string_equal(arg->kvs[1].value, "hello there");
    assert_string_equal(arg->kvs[2].value, "");
}

static void test_dockerfile_json_forms(void **state)
{
    assert_dump("CMD [\"a\", \"b\\u0000c\"]\n"
                "RUN [\"a\" , \"b\"] trailing\n"
                "ENTRYPOINT [\"\\ud83d\\ude00\", \"\\ud800\"]\n"
                "CMD [1, \"a\"\n",
                "(cmd \"a\" \"b\\x00c\")\n"
                "(run \"[\\\"a\\\" , \\\"b\\\"] trailing\")\n"
                "(entrypoint \"\xF0\x9F\x98\x80\" \"\xEF\xBF\xBD\")\n"
                "(cmd \"[1, \\\"a\\\"\")");
    bt_autoptr(bt_df_ast) ast = ast_of("CMD [\"a\", \"b\\u0000c\"]\n");
    assert_int_equal(ast->nodes[0].arg_len[1], 3);
    /* valid JSON that is not an array of strings is an error, not the shell form */
    const char *bad[] = {"CMD [\"a\", 1]\n", "COPY [\"a\", null]\n", "RUN [[]]\n",
                         "VOLUME [{\"a\": \"b\"}]\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        assert_null(bt_df_parse_ast(bad[i], strlen(bad[i]), &err));
        assert_string_equal(bt_err_msg(err), "dockerfile parse error on line 1: when using JSON "
                                             "array syntax, arrays must be comprised of "
                                             "strings only");
    }
    /* exec vs shell form in the instruction layer */
    bt_autoptr(bt_df_file) f = file_of("FROM a\nRUN [\"echo\", \"hi\"]\nRUN echo  hi\n"
                                       "ENTRYPOINT []\nSHELL [\"/bin/bash\", \"-c\"]\n");
    const struct bt_df_stage *s = &f->stages[0];
    assert_true(s->insts[0].json);
    assert_int_equal(s->insts[0].nargs, 2);
    assert_false(s->insts[1].json);
    assert_int_equal(s->insts[1].nargs, 1);
    assert_string_equal(s->insts[1].args[0], "echo  hi");
    assert_true(s->insts[2].json);
    assert_int_equal(s->insts[2].nargs, 0);
    assert_string_equal(s->insts[3].args[1], "-c");
}

static void test_dockerfile_flags(void **state)
{
    bt_autoptr(bt_df_file) f =
            file_of("FROM --platform=linux/arm64 golang AS build\n"
                    "COPY --from=build --chown=1000:1000 --chmod=0755 --link --exclude=*.md "
                    "--exclude=x \"a b\" c /dst\n"
                    "ADD --checksum=sha256:abc --keep-git-dir=false https://x/y.tgz /y\n"
                    "RUN --mount=type=cache,target=/root/.cache --network=none go build\n"
                    "HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --retries=4 "
                    "CMD [\"true\"]\n");
    const struct bt_df_stage *s = &f->stages[0];
    assert_string_equal(s->name, "build");
    assert_string_equal(s->platform, "linux/arm64");
    const struct bt_df_inst *copy = &s->insts[0];
    assert_string_equal(bt_df_flag(copy, "from"), "build");
    assert_string_equal(bt_df_flag(copy, "chown"), "1000:1000");
    assert_string_equal(bt_df_flag(copy, "chmod"), "0755");
    assert_true(bt_df_flag_bool(copy, "link"));
    assert_false(bt_df_flag_bool(copy, "parents"));
    assert_null(bt_df_flag(copy, "parents"));
    bt_autostrv char **ex = bt_df_flag_all(copy, "exclude");
    assert_int_equal(bt_strv_len(ex), 2);
    assert_string_equal(ex[0], "*.md");
    assert_int_equal(copy->nsrcs, 3); /* the shell form splits on white space only */
    assert_string_equal(copy->srcs[0], "\"a");
    const struct bt_df_inst *add = &s->insts[1];
    assert_string_equal(bt_df_flag(add, "checksum"), "sha256:abc");
    assert_string_equal(bt_df_flag(add, "keep-git-dir"), "false");
    const struct bt_df_inst *run = &s->insts[2];
    assert_string_equal(bt_df_flag(run, "network"), "none");
    assert_string_equal(bt_df_flag(run, "mount"), "type=cache,target=/root/.cache");
    assert_string_equal(run->args[0], "go build");
    const struct bt_df_health *h = s->insts[3].health;
    assert_non_null(h);
    assert_string_equal(h->test[0], "CMD");
    assert_string_equal(h->test[1], "true");
    assert_int_equal(h->interval_ns, 90LL * 1000000000LL);
    assert_int_equal(h->timeout_ns, 500LL * 1000000LL);
    assert_int_equal(h->start_period_ns, 2LL * 1000000000LL);
    assert_int_equal(h->retries, 4);
}

struct error_case {
    const char *text;
    const char *msg;
};

static void test_dockerfile_errors(void **state)
{
    static const struct error_case cases[] = {
            {"FROM a\nRUN x\nNOINSTRUCTION foo\n",
             "dockerfile parse error on line 3: unknown instruction: NOINSTRUCTION"},
            {"FROM a\nRUNN x\n",
             "dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)"},
            {"FROM a\ncopyy a b\n",
             "dockerfile parse error on line 2: unknown instruction: copyy (did you mean copy?)"},
            {"FROM a\nCOPY --form=x a b\n",
             "dockerfile parse error on line 2: unknown flag: --form (did you mean from?)"},
            {"FROM a\nRUN --chown=1 x\n",
             "dockerfile parse error on line 2: unknown flag: --chown"},
            {"FROM a\nCOPY --chown a b\n",
             "dockerfile parse error on line 2: missing a value on flag: --chown"},
            {"FROM a\nCOPY --link=maybe a b\n",
             "dockerfile parse error on line 2: expecting boolean value for flag --link, not: "
             "maybe"},
            {"FROM a\nCOPY --from=x --from=y a b\n",
             "dockerfile parse error on line 2: duplicate flag specified: --from"},
            {"FROM a\nCOPY a\n",
             "dockerfile parse error on line 2: COPY requires at least two arguments, but only "
             "one was provided. Destination could not be determined"},
            {"FROM a\nADD a <<EOF\nEOF\n",
             "dockerfile parse error on line 2: ADD cannot accept a heredoc as a destination"},
            {"RUN x\n", "dockerfile parse error on line 1: no build stage in current context"},
            {"FROM a AS 1x\n",
             "dockerfile parse error on line 1: invalid name for build stage: \"1x\", name can't "
             "start with a number or contain symbols"},
            {"FROM a b\n",
             "dockerfile parse error on line 1: FROM requires either one or three arguments"},
            {"FROM a\n\n\nENV PATH\n",
             "dockerfile parse error on line 4: ENV must have two arguments"},
            {"FROM a\nLABEL a=b c\n",
             "dockerfile parse error on line 2: Syntax error - can't find = in \"c\". Must be of "
             "the form: name=value"},
            {"FROM a\nENV =b\n", "dockerfile parse error on line 2: ENV names can not be blank"},
            {"FROM a\nARG =b\n", "dockerfile parse error on line 2: ARG names can not be blank"},
            {"FROM a\nEXPOSE\n", "dockerfile parse error on line 2: EXPOSE requires at least one "
                                 "argument"},
            {"FROM a\nWORKDIR\n",
             "dockerfile parse error on line 2: WORKDIR requires exactly one argument"},
            {"FROM a\nHEALTHCHECK CONNECT TCP 7000\n",
             "dockerfile parse error on line 2: Unknown type \"CONNECT\" in HEALTHCHECK (try "
             "CMD)"},
            {"FROM a\nHEALTHCHECK CMD\n",
             "dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD"},
            {"FROM a\nHEALTHCHECK NONE x\n",
             "dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments"},
            {"FROM a\nHEALTHCHECK --interval=5 CMD x\n",
             "dockerfile parse error on line 2: time: missing unit in duration \"5\""},
            {"FROM a\nHEALTHCHECK --timeout=2 CMD x\n",
             "dockerfile parse error on line 2: time: missing unit in duration \"2\""},
            {"FROM a\nHEALTHCHECK --interval=50us CMD x\n",
             "dockerfile parse error on line 2: Interval \"interval\" cannot be less than 1ms"},
            {"FROM a\nHEALTHCHECK --retries=-1 CMD x\n",
             "dockerfile parse error on line 2: --retries cannot be negative (-1)"},
            {"FROM a\nHEALTHCHECK --retries=x CMD x\n",
             "dockerfile parse error on line 2: strconv.ParseInt: parsing \"x\": invalid syntax"},
            {"FROM a\nONBUILD ONBUILD RUN x\n",
             "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't "
             "allowed"},
            {"FROM a\nONBUILD MAINTAINER x\n",
             "dockerfile parse error on line 2: MAINTAINER isn't allowed as an ONBUILD trigger"},
            {"FROM a\nSHELL /bin/sh -c\n",
             "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form"},
            {"FROM a\nVOLUME [\" \"]\n",
             "dockerfile parse error on line 2: VOLUME specified can not be an empty string"},
            {"# escape=x\nFROM a\n",
             "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\"},
            {"# escape=`\n# escape=`\nFROM a\n",
             "dockerfile parse error on line 2: only one escape parser directive can be used"},
            {"", "dockerfile parse error: file with no instructions"},
            {"# only\n\n", "dockerfile parse error: file with no instructions"},
            {"FROM a\nRUN a\0b\n", "dockerfile parse error on line 2: NUL byte in the file"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        size_t len = strlen(cases[i].text);
        if (strstr(cases[i].msg, "NUL"))
            len = 13;
        bt_autoptr(bt_df_file) f = bt_df_parse(cases[i].text, len, &err);
        assert_null(f);
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
        assert_string_equal(bt_err_msg(err), cases[i].msg);
    }
}

static void test_dockerfile_long_line(void **state)
{
    size_t n = 65536 + 20;
    bt_autofree char *text = bt_xmalloc(n + 1);
    memcpy(text, "FROM a\nLABEL x=", 15);
    memset(text + 15, 'a', n - 16);
    text[n - 1] = '\n';
    text[n] = '\0';
    bt_autoerr bt_err *err = NULL;
    assert_null(bt_df_parse_ast(text, n, &err));
    assert_string_equal(bt_err_msg(err), "dockerfile parse error on line 2: dockerfile line "
                                         "greater than max allowed size of 65535");
    /* just under the limit is fine */
    text[7 + 65535] = '\n';
    text[7 + 65536] = '\0';
    bt_autoptr(bt_df_ast) ast = bt_df_parse_ast(text, 7 + 65536, NULL);
    assert_non_null(ast);
}

static void test_dockerfile_stages(void **state)
{
    bt_autoptr(bt_df_file) f = file_of("ARG GO=1.22\n"
                                       "ARG BASE\n"
                                       "FROM golang:${GO} AS Build\n"
                                       "RUN go build\n"
                                       "FROM build AS test\n"
                                       "RUN go test\n"
                                       "RUN echo ok\n"
                                       "FROM scratch\n"
                                       "COPY --from=build /app /app\n");
    assert_int_equal(f->nmeta, 2);
    assert_int_equal(f->nstages, 3);
    assert_string_equal(f->stages[0].name, "build");
    assert_null(f->stages[2].name);
    assert_string_equal(f->stages[0].from.code, "FROM golang:${GO} AS Build");
    assert_int_equal(bt_df_stage_index(f, "BUILD"), 0);
    assert_int_equal(bt_df_stage_index(f, "test"), 1);
    assert_int_equal(bt_df_stage_index(f, "nope"), -1);
    long last = -1;
    assert_int_equal(bt_df_target(f, "Test", &last, NULL), 0);
    assert_int_equal(last, 1);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_df_target(f, "prod", &last, &err), -1);
    assert_string_equal(bt_err_msg(err), "target stage \"prod\" could not be found");
    /* Step N/M counts the meta ARGs, each FROM and each instruction up to the target */
    assert_int_equal(bt_df_steps(f, 1), 2 + 2 + 3);
    assert_int_equal(bt_df_steps(f, 2), 2 + 2 + 3 + 2);
    /* FROM expands with the meta ARGs */
    char *meta[] = {"GO=1.21", NULL};
    struct bt_shlex_env e = {bt_shlex_strv_get, meta};
    bt_autoptr(bt_df_inst) from = bt_df_inst_expand(&f->stages[0].from, &e, NULL);
    assert_string_equal(from->args[0], "golang:1.21");
    assert_int_equal(f->stages[1].insts[1].start_line, 7);
    assert_string_equal(f->stages[1].insts[1].code, "RUN echo ok");
}

static void test_dockerfile_expand(void **state)
{
    bt_autoptr(bt_df_file) f = file_of("FROM a\n"
                                       "EXPOSE $PORTS 9000/udp\n"
                                       "COPY --chown=${U}:${G:-staff} --from=$U src/${F} $D/\n"
                                       "WORKDIR /app/${SUB:+$SUB/}x\n"
                                       "USER $U\n"
                                       "VOLUME $D /data\n"
                                       "RUN echo $U\n"
                                       "CMD [\"$U\"]\n"
                                       "STOPSIGNAL ${SIG}\n"
                                       "WORKDIR ${MISSING:?need it}\n"
                                       "ENV X=\"${X:-\n");
    char *env[] = {"PORTS=80 443/tcp", "U=app",      "F=main.go", "D=/srv",
                   "SUB=sub",          "SIG=SIGINT", NULL};
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    const struct bt_df_stage *s = &f->stages[0];
    bt_autoptr(bt_df_inst) expose = bt_df_inst_expand(&s->insts[0], &e, NULL);
    assert_int_equal(expose->nargs, 3);
    assert_string_equal(expose->args[0], "80");
    assert_string_equal(expose->args[1], "443/tcp");
    assert_string_equal(expose->args[2], "9000/udp");
    bt_autoptr(bt_df_inst) copy = bt_df_inst_expand(&s->insts[1], &e, NULL);
    assert_string_equal(bt_df_flag(copy, "chown"), "app:staff");
    assert_string_equal(bt_df_flag(copy, "from"), "$U"); /* not expanded, as in Docker */
    assert_string_equal(copy->srcs[0], "src/main.go");
    assert_string_equal(copy->dest, "/srv/");
    bt_autoptr(bt_df_inst) wd = bt_df_inst_expand(&s->insts[2], &e, NULL);
    assert_string_equal(wd->args[0], "/app/sub/x");
    bt_autoptr(bt_df_inst) user = bt_df_inst_expand(&s->insts[3], &e, NULL);
    assert_string_equal(user->args[0], "app");
    bt_autoptr(bt_df_inst) vol = bt_df_inst_expand(&s->insts[4], &e, NULL);
    assert_string_equal(vol->args[0], "/srv");
    bt_autoptr(bt_df_inst) run = bt_df_inst_expand(&s->insts[5], &e, NULL);
    assert_string_equal(run->args[0], "echo $U"); /* the shell expands RUN */
    bt_autoptr(bt_df_inst) cmd = bt_df_inst_expand(&s->insts[6], &e, NULL);
    assert_string_equal(cmd->args[0], "$U");
    bt_autoptr(bt_df_inst) sig = bt_df_inst_expand(&s->insts[7], &e, NULL);
    assert_string_equal(sig->args[0], "SIGINT");
    /* the original is left alone */
    assert_string_equal(s->insts[3].args[0], "$U");
    bt_autoerr bt_err *err = NULL;
    assert_null(bt_df_inst_expand(&s->insts[8], &e, &err));
    assert_string_equal(bt_err_msg(err),
                        "failed to process \"${MISSING:?need it}\": MISSING: need it");
    bt_err_clear(&err);
    assert_null(bt_df_inst_expand(&s->insts[9], &e, &err));
    assert_string_equal(bt_err_msg(err),
                        "failed to process \"\\\"${X:-\": syntax error: missing '}'");
}

static void test_dockerfile_parse_instruction(void **state)
{
    /* an ONBUILD trigger as the image stores it, heredoc included */
    bt_autoptr(bt_df_file) f = file_of("FROM a\nONBUILD COPY <<X /x\n$HOME\nX\n");
    bt_autoptr(bt_df_inst) in = bt_df_parse_instruction(f->stages[0].insts[0].onbuild, '\\', NULL);
    assert_non_null(in);
    assert_int_equal(in->cmd, BT_DF_COPY);
    assert_int_equal(in->ncontents, 1);
    assert_string_equal(in->contents[0].data, "$HOME\n");
    assert_string_equal(in->dest, "/x");
    assert_string_equal(in->code, "COPY <<X /x");
    bt_autoptr(bt_df_inst) copy = bt_df_parse_instruction("COPY --chown=$U a /b", '\\', NULL);
    assert_non_null(copy);
    char *env[] = {"U=u", NULL};
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    bt_autoptr(bt_df_inst) x = bt_df_inst_expand(copy, &e, NULL);
    bt_df_inst_free(bt_steal_ptr(&copy)); /* the copy owns its node */
    assert_string_equal(bt_df_flag(x, "chown"), "u");
    assert_string_equal(x->node->keyword, "COPY");
    bt_autoerr bt_err *err = NULL;
    assert_null(bt_df_parse_instruction("BOGUS x", '\\', &err));
    assert_string_equal(bt_err_msg(err), "dockerfile parse error on line 1: unknown instruction: "
                                         "BOGUS");
    bt_err_clear(&err);
    assert_null(bt_df_parse_instruction("RUN a\nRUN b", '\\', &err));
    assert_string_equal(bt_err_msg(err), "onbuild trigger should be a single expression");
}

static char *word(const struct bt_shlex *lx, const char *in, char **env)
{
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    bt_autoerr bt_err *err = NULL;
    char *out = bt_shlex_word(lx, in, &e, &err);
    return out ? out : bt_xasprintf("error: %s", bt_err_msg(err));
}

static void test_dockerfile_shell_lexer(void **state)
{
    char *env[] = {"F=file.tar.gz", "P=/usr/local/bin", "E=", "S=a b", "V=abcabc", NULL};
    struct bt_shlex lx = BT_SHLEX_INIT;
    const char *cases[][2] = {
            {"${F#*.}", "tar.gz"},
            {"${F##*.}", "gz"},
            {"${F%.*}", "file.tar"},
            {"${F%%.*}", "file"},
            {"${P/local/opt}", "/usr/opt/bin"},
            {"${P//\\//_}", "_usr_local_bin"},
            {"${F/#/x}", "file.tar.gz"},
            {"${V/b*c/X}", "aX"},
            {"${V//b?/X}", "aXaX"},
            {"${V//?/.}", "......"},
            {"${V//*/Y}", "Y"},
            {"${V//x*/Y}", "abcabc"},
            {"${V/*/}", ""},
            {"${E-unset}${E:-empty}", "empty"},
            {"${E+set}${E:+nonempty}", "set"},
            {"${U?}", "error: failed to process \"${U?}\": U: is not allowed to be unset"},
            {"${E:?}", "error: failed to process \"${E:?}\": E: is not allowed to be empty"},
            {"${F:#x}", "error: failed to process \"${F:#x}\": unsupported modifier (:#) in "
                        "substitution"},
            {"${F#\\x}", "error: failed to process \"${F#\\\\x}\": invalid pattern (\\x) in "
                         "substitution: invalid escape '\\x'"},
            {"'$F'\"$F\"\\$F", "$Ffile.tar.gz$F"},
            {"\"a\\tb\\\"c\"", "a\\tb\"c"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autofree char *got = word(&lx, cases[i][0], env);
        assert_string_equal(got, cases[i][1]);
    }
    /* the backtick escape: \ is literal */
    struct bt_shlex tick = {.escape = '`'};
    bt_autofree char *w1 = word(&tick, "c:\\dir `$F", env);
    assert_string_equal(w1, "c:\\dir $F");
    /* raw modes and unset variables left alone (heredoc detection) */
    struct bt_shlex raw = {
            .escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true};
    bt_autofree char *w2 = word(&raw, "'a'\\b $X ${Y:-z} $F", env);
    assert_string_equal(w2, "'a'\\b $X ${Y:-z} file.tar.gz");
    /* words: unquoted white space from a variable splits, quoted does not */
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    bt_autostrv char **v = bt_shlex_words(&lx, "x$S \"$S\" ''", &e, NULL);
    assert_int_equal(bt_strv_len(v), 3);
    assert_string_equal(v[0], "xa");
    assert_string_equal(v[1], "b");
    assert_string_equal(v[2], "a b");
    bt_autostrv char **v2 = bt_shlex_words(&lx, "p${E:-1}q", &e, NULL);
    assert_int_equal(bt_strv_len(v2), 1);
    assert_string_equal(v2[0], "p1q");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dockerfile_heredocs),
            cmocka_unit_test(test_dockerfile_heredoc_errors),
            cmocka_unit_test(test_dockerfile_escape_directive),
            cmocka_unit_test(test_dockerfile_continuations),
            cmocka_unit_test(test_dockerfile_env_forms),
            cmocka_unit_test(test_dockerfile_json_forms),
            cmocka_unit_test(test_dockerfile_flags),
            cmocka_unit_test(test_dockerfile_errors),
            cmocka_unit_test(test_dockerfile_long_line),
            cmocka_unit_test(test_dockerfile_stages),
            cmocka_unit_test(test_dockerfile_expand),
            cmocka_unit_test(test_dockerfile_parse_instruction),
            cmocka_unit_test(test_dockerfile_shell_lexer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
