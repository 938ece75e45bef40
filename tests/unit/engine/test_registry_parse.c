/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry parsers (guest/engine/registry/parse.h) against what registries, token servers
 * and the docker CLI really send (tests/data/registry/), and Docker's words for what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/engine/registry/parse.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

static void manifest_free(struct reg_manifest *m)
{
    reg_manifest_clear(m);
    free(m);
}
BT_DEFINE_AUTOPTR(reg_manifest, struct reg_manifest, manifest_free);

static char *data_file(const char *name, size_t *len)
{
    bt_autofree char *path = bt_xasprintf("%s/registry/%s", BERTH_TEST_DATA, name);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_file_read(path, &sb, 1 << 20, &err), 0);
    *len = sb.len;
    return bt_strbuf_steal(&sb);
}

/* ---- WWW-Authenticate ---- */

static void test_registry_parse_challenge_bearer(void **state)
{
    struct reg_challenge c;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(reg_challenge_parse("Bearer realm=\"https://auth.docker.io/token\","
                                         "service=\"registry.docker.io\","
                                         "scope=\"repository:library/busybox:pull\"",
                                         &c, &err),
                     0);
    assert_string_equal(c.scheme, "bearer");
    assert_string_equal(c.realm, "https://auth.docker.io/token");
    assert_string_equal(c.service, "registry.docker.io");
    assert_string_equal(c.scope, "repository:library/busybox:pull");
    assert_null(c.error);
    reg_challenge_clear(&c);
    assert_null(c.scheme);
}

static void test_registry_parse_challenge_syntax(void **state)
{
    struct reg_challenge c;
    /* names in any case, spaces around commas, tokens, escapes, unknown parameters */
    assert_int_equal(reg_challenge_parse("  BASIC   Realm=\"a \\\"q\\\" \\\\b\" ,  foo=bar ,"
                                         "SERVICE=reg.example ,error=insufficient_scope,"
                                         "error_description=\"push denied\"",
                                         &c, NULL),
                     0);
    assert_string_equal(c.scheme, "basic");
    assert_string_equal(c.realm, "a \"q\" \\b");
    assert_string_equal(c.service, "reg.example");
    assert_string_equal(c.error, "insufficient_scope");
    assert_string_equal(c.error_description, "push denied");
    reg_challenge_clear(&c);

    /* several challenges in one value: the first one's parameters */
    assert_int_equal(reg_challenge_parse("Bearer realm=\"https://a/token\",service=\"s\", "
                                         "Basic realm=\"other\"",
                                         &c, NULL),
                     0);
    assert_string_equal(c.scheme, "bearer");
    assert_string_equal(c.realm, "https://a/token");
    assert_string_equal(c.service, "s");
    reg_challenge_clear(&c);

    /* a repeated parameter: the last */
    assert_int_equal(reg_challenge_parse("Bearer realm=a,realm=b", &c, NULL), 0);
    assert_string_equal(c.realm, "b");
    reg_challenge_clear(&c);

    /* what follows an unterminated quote, an empty value or a token68 is not read */
    assert_int_equal(reg_challenge_parse("Bearer service=s,realm=\"https://x", &c, NULL), 0);
    assert_string_equal(c.service, "s");
    assert_null(c.realm);
    reg_challenge_clear(&c);
    assert_int_equal(reg_challenge_parse("Bearer realm=\"\",service=s", &c, NULL), 0);
    assert_null(c.realm);
    assert_null(c.service);
    reg_challenge_clear(&c);
    assert_int_equal(reg_challenge_parse("Bearer abc==", &c, NULL), 0);
    assert_string_equal(c.scheme, "bearer");
    assert_null(c.realm);
    reg_challenge_clear(&c);
    /* an unquoted URL stops at its first separator, as distribution reads it */
    assert_int_equal(reg_challenge_parse("Bearer realm=https://x/token", &c, NULL), 0);
    assert_string_equal(c.realm, "https");
    reg_challenge_clear(&c);
    /* a scheme alone */
    assert_int_equal(reg_challenge_parse("Basic", &c, NULL), 0);
    assert_string_equal(c.scheme, "basic");
    reg_challenge_clear(&c);
}

static void test_registry_parse_challenge_errors(void **state)
{
    const char *bad[] = {"", "   ", "=realm", "\"Bearer\" realm=x", ",Bearer"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct reg_challenge c;
        bt_autoerr bt_err *err = NULL;
        assert_int_equal(reg_challenge_parse(bad[i], &c, &err), -1);
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
        assert_string_equal(bt_err_msg(err), "invalid WWW-Authenticate header: no auth scheme");
        assert_null(c.scheme);
        reg_challenge_clear(&c);
    }
    struct reg_challenge c;
    assert_int_equal(reg_challenge_parse(NULL, &c, NULL), -1);
}

/* ---- token answers ---- */

static void expect_token(const char *body, const char *token, const char *refresh, int64_t expires)
{
    struct reg_token t;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(reg_token_parse(body, strlen(body), &t, &err), 0);
    assert_string_equal(t.token, token);
    if (refresh)
        assert_string_equal(t.refresh_token, refresh);
    else
        assert_null(t.refresh_token);
    assert_int_equal(t.expires_in, expires);
    reg_token_clear(&t);
}

static void expect_token_error(const char *body, const char *msg)
{
    struct reg_token t;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(reg_token_parse(body, strlen(body), &t, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), msg);
    assert_null(t.token);
    assert_null(t.refresh_token);
}

static void test_registry_parse_token_shapes(void **state)
{
    /* Docker Hub: both fields, the same token */
    expect_token("{\"token\":\"eyJhbGciOi.hub\",\"access_token\":\"eyJhbGciOi.hub\","
                 "\"expires_in\":300,\"issued_at\":\"2024-05-01T10:00:00.123456789Z\"}",
                 "eyJhbGciOi.hub", NULL, 300);
    /* GHCR, registry:2's token servers: token only, no lifetime */
    expect_token("{\"token\":\"djE6b3Jn\"}", "djE6b3Jn", NULL, 60);
    /* OAuth2 (POST with a refresh token): access_token only */
    expect_token("{\"access_token\":\"at\",\"refresh_token\":\"rt\",\"expires_in\":3600,"
                 "\"scope\":\"repository:a/b:pull\"}",
                 "at", "rt", 3600);
    /* both, different: distribution takes access_token */
    expect_token("{\"token\":\"t\",\"access_token\":\"a\"}", "a", NULL, 60);
    expect_token("{\"token\":\"t\",\"access_token\":\"\"}", "t", NULL, 60);
    expect_token("{\"token\":\"t\",\"access_token\":null,\"expires_in\":null}", "t", NULL, 60);
    /* lifetimes under a minute are a minute */
    expect_token("{\"token\":\"t\",\"expires_in\":5}", "t", NULL, 60);
    expect_token("{\"token\":\"t\",\"expires_in\":-100}", "t", NULL, 60);
    /* Go's decoder: names in any case, the first value only */
    expect_token("{\"Token\":\"t\",\"Expires_In\":120} trailing", "t", NULL, 120);
}

static void test_registry_parse_token_errors(void **state)
{
    const char *none = "authorization server did not include a token in the response";
    expect_token_error("{}", none);
    expect_token_error("{\"token\":\"\"}", none);
    expect_token_error("null", none);
    expect_token_error("", "unable to decode token response: EOF");
    expect_token_error("{\"token\":\"abc", "unable to decode token response: unexpected EOF");
    expect_token_error("[1]",
                       "unable to decode token response: json: cannot unmarshal array into Go "
                       "value of type auth.getTokenResponse");
    expect_token_error("{\"token\":5}",
                       "unable to decode token response: json: cannot unmarshal number into Go "
                       "struct field getTokenResponse.token of type string");
    expect_token_error("{\"token\":\"t\",\"expires_in\":\"300\"}",
                       "unable to decode token response: json: cannot unmarshal string into Go "
                       "struct field getTokenResponse.expires_in of type int");
    expect_token_error("{\"token\":\"t\",\"expires_in\":1.5}",
                       "unable to decode token response: json: cannot unmarshal number into Go "
                       "struct field getTokenResponse.expires_in of type int");
    /* "\u0000" cannot be in a C string */
    expect_token_error("{\"token\":\"a\\u0000b\"}",
                       "unable to decode token response: \\u0000 in a string is not supported "
                       "(line 1 column 19)");
}

/* ---- manifests ---- */

static void expect_manifest_error(const char *doc, const char *content_type, const char *msg)
{
    struct reg_manifest m;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(reg_manifest_parse(doc, strlen(doc), content_type, &m, &err), -1);
    assert_non_null(err);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), msg);
    assert_null(m.media_type);
    assert_null(m.layers);
    assert_null(m.manifests);
}

/* a well-formed digest of one repeated hex digit */
#define X4(c)  c c c c
#define X16(c) X4(c) X4(c) X4(c) X4(c)
#define D(c)   "sha256:" X16(c) X16(c) X16(c) X16(c)

static void test_registry_parse_manifest_docker(void **state)
{
    size_t len;
    bt_autofree char *doc = data_file("docker-manifest.json", &len);
    bt_autoptr(reg_manifest) m = bt_xzalloc(sizeof(*m));
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(reg_manifest_parse(doc, len, REG_MT_DOCKER_MANIFEST, m, &err), 0);
    assert_int_equal(m->kind, REG_IMAGE);
    assert_string_equal(m->media_type, REG_MT_DOCKER_MANIFEST);
    assert_string_equal(m->config.media_type, REG_MT_DOCKER_CONFIG);
    assert_int_equal(m->config.size, 1457);
    assert_string_equal(m->config.digest,
                        "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910");
    assert_non_null(m->config.urls);
    assert_null(m->config.urls[0]);
    assert_int_equal(m->nlayers, 2);
    assert_string_equal(m->layers[0].media_type, REG_MT_DOCKER_LAYER);
    assert_int_equal(m->layers[0].size, 2152262);
    assert_string_equal(m->layers[1].media_type, REG_MT_DOCKER_FOREIGN);
    assert_string_equal(m->layers[1].urls[0], "https://mcr.microsoft.com/a?b=1&c=2");
    assert_null(m->layers[1].urls[1]);
    assert_null(m->manifests);
    /* the content type does not matter when the document says what it is */
    reg_manifest_clear(m);
    assert_int_equal(reg_manifest_parse(doc, len, "application/json; charset=utf-8", m, &err), 0);
    assert_string_equal(m->media_type, REG_MT_DOCKER_MANIFEST);
    /* an image is not an index */
    assert_null(reg_index_pick(m, "linux", "amd64", NULL));
}

static void test_registry_parse_manifest_oci(void **state)
{
    size_t len;
    bt_autofree char *doc = data_file("oci-manifest.json", &len);
    bt_autoptr(reg_manifest) m = bt_xzalloc(sizeof(*m));
    assert_int_equal(reg_manifest_parse(doc, len, NULL, m, NULL), 0);
    assert_int_equal(m->kind, REG_IMAGE);
    assert_string_equal(m->media_type, REG_MT_OCI_MANIFEST);
    assert_string_equal(m->config.media_type, REG_MT_OCI_CONFIG);
    assert_int_equal(m->nlayers, 2);
    assert_string_equal(m->layers[0].media_type, REG_MT_OCI_LAYER_GZIP);
    assert_string_equal(m->layers[1].media_type, REG_MT_OCI_LAYER_ZSTD);
    assert_int_equal(m->layers[1].size, 93);
    reg_manifest_clear(m);

    /* an artifact (image-spec 1.1): artifactType, the empty config, a subject */
    bt_autofree char *art = data_file("oci-artifact.json", &len);
    assert_int_equal(reg_manifest_parse(art, len, REG_MT_OCI_MANIFEST, m, NULL), 0);
    assert_int_equal(m->kind, REG_IMAGE);
    assert_string_equal(m->config.media_type, "application/vnd.oci.empty.v1+json");
    assert_int_equal(m->config.size, 2);
    assert_int_equal(m->nlayers, 1);
    assert_string_equal(m->layers[0].media_type, "application/spdx+json");
}

static void test_registry_parse_manifest_type_from_content_type_or_shape(void **state)
{
    const char *image = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("a") "\",\"size\":1},"
                                                                                "\"layers\":[]}";
    const char *index = "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D(
            "b") "\","
                 "\"size\":7,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
    struct reg_manifest m;
    /* no mediaType: the content type says it */
    assert_int_equal(reg_manifest_parse(image, strlen(image),
                                        " Application/VND.Docker.Distribution"
                                        ".Manifest.v2+JSON ; q=1",
                                        &m, NULL),
                     0);
    assert_string_equal(m.media_type, REG_MT_DOCKER_MANIFEST);
    assert_int_equal(m.kind, REG_IMAGE);
    assert_null(m.config.media_type);
    assert_int_equal(m.nlayers, 0);
    reg_manifest_clear(&m);
    /* neither: the shape, read as OCI */
    assert_int_equal(reg_manifest_parse(image, strlen(image), "application/json", &m, NULL), 0);
    assert_string_equal(m.media_type, REG_MT_OCI_MANIFEST);
    reg_manifest_clear(&m);
    assert_int_equal(reg_manifest_parse(index, strlen(index), NULL, &m, NULL), 0);
    assert_string_equal(m.media_type, REG_MT_OCI_INDEX);
    assert_int_equal(m.kind, REG_INDEX);
    assert_int_equal(m.nmanifests, 1);
    assert_null(m.manifests[0].media_type);
    assert_string_equal(m.manifests[0].platform.os, "linux");
    assert_null(m.manifests[0].platform.variant);
    reg_manifest_clear(&m);
    assert_int_equal(reg_manifest_parse(index, strlen(index), REG_MT_DOCKER_LIST, &m, NULL), 0);
    assert_string_equal(m.media_type, REG_MT_DOCKER_LIST);
    reg_manifest_clear(&m);
}

static void test_registry_parse_manifest_schema1_refused(void **state)
{
    size_t len;
    bt_autofree char *doc = data_file("schema1-signed.json", &len);
    const char *msg = "Docker Image Format v1 and Docker Image manifest version 2, schema 1 "
                      "support has been removed. More information at "
                      "https://docs.docker.com/go/deprecated-image-specs/";
    const char *types[] = {REG_MT_DOCKER_V1_SIGNED, REG_MT_DOCKER_V1, "application/json", NULL};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct reg_manifest m;
        bt_autoerr bt_err *err = NULL;
        assert_int_equal(reg_manifest_parse(doc, len, types[i], &m, &err), -1);
        assert_string_equal(bt_err_msg(err), msg);
        assert_int_equal(strncmp(bt_err_msg(err), REG_SCHEMA1_REMOVED, strlen(REG_SCHEMA1_REMOVED)),
                         0);
    }
    /* a broken body is still refused for what its content type says */
    expect_manifest_error("{\"schemaVersion\":1,", REG_MT_DOCKER_V1_SIGNED, msg);
    expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_DOCKER_V1 "\"}", NULL,
                          msg);

    bt_autofree char *with_ref = reg_schema1_message("docker.io/progrium/stress:latest");
    assert_string_equal(with_ref,
                        "Docker Image Format v1 and Docker Image manifest version 2, schema 1 "
                        "support has been removed. Suggest the author of "
                        "docker.io/progrium/stress:latest to upgrade the image to the OCI "
                        "Format or Docker Image manifest v2, schema 2. More information at "
                        "https://docs.docker.com/go/deprecated-image-specs/");
}

static void test_registry_parse_manifest_errors(void **state)
{
    const char *cfg = "\"config\":{\"digest\":\"" D("a") "\",\"size\":1}";
    expect_manifest_error("", NULL, "failed to parse manifest: EOF");
    expect_manifest_error("{\"schemaVersion\":2", NULL, "failed to parse manifest: unexpected EOF");
    expect_manifest_error("[]", NULL,
                          "failed to parse manifest: expected a JSON object, not array");
    expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"text/html\"}", NULL,
                          "unsupported manifest media type and no default available: text/html");
    expect_manifest_error("{\"schemaVersion\":2}", "text/plain",
                          "unsupported manifest media type and no default available: text/plain");
    expect_manifest_error("{\"schemaVersion\":2}", NULL,
                          "unsupported manifest media type and no default available: ");
    /* OCI 1.1-rc's artifact manifest never made it into the spec */
    expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":"
                          "\"application/vnd.oci.artifact.manifest.v1+json\"}",
                          NULL,
                          "unsupported manifest media type and no default available: "
                          "application/vnd.oci.artifact.manifest.v1+json");
    expect_manifest_error("{\"mediaType\":\"" REG_MT_OCI_MANIFEST "\"}", NULL,
                          "failed to parse manifest: no schemaVersion");
    expect_manifest_error("{\"schemaVersion\":3,\"layers\":[]}", NULL,
                          "failed to parse manifest: unsupported schemaVersion 3");
    expect_manifest_error("{\"schemaVersion\":\"2\",\"layers\":[]}", NULL,
                          "failed to parse manifest: unsupported schemaVersion \"2\"");
    expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":5}", NULL,
                          "failed to parse manifest: mediaType: expected a string, not number");
    expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_OCI_MANIFEST "\"}", NULL,
                          "failed to parse manifest: no config");
    /* both an index and a manifest (CVE-2021-41190) */
    expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_OCI_INDEX "\","
                          "\"manifests\":[],\"layers\":[]}",
                          NULL,
                          "failed to parse manifest: index: expected index but found manifest");
    expect_manifest_error("{\"schemaVersion\":2,\"manifests\":[],\"config\":{}}", NULL,
                          "failed to parse manifest: index: expected index but found manifest");
    expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_DOCKER_MANIFEST "\",",
                          NULL, "failed to parse manifest: unexpected EOF");
    bt_autofree char *both = bt_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",%s,"
                                          "\"manifests\":[]}",
                                          REG_MT_DOCKER_MANIFEST, cfg);
    expect_manifest_error(both, NULL,
                          "failed to parse manifest: manifest: expected manifest but found index");
    /* trailing data after the document: json.Unmarshal refuses it */
    bt_autofree char *trailing = bt_xasprintf("{\"schemaVersion\":2,%s}{}", cfg);
    struct reg_manifest m;
    assert_int_equal(reg_manifest_parse(trailing, strlen(trailing), NULL, &m, NULL), -1);
}

static void expect_descriptor_error(const char *layer, const char *msg)
{
    bt_autofree char *doc = bt_xasprintf("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D(
                                                 "a") "\",\"size\":1},\"layers\":[%s]}",
                                         layer);
    bt_autofree char *full = bt_xasprintf("failed to parse manifest: layers[0]%s", msg);
    expect_manifest_error(doc, NULL, full);
}

static void test_registry_parse_manifest_descriptors(void **state)
{
    expect_descriptor_error("5", ": expected an object, not number");
    expect_descriptor_error("{\"size\":1}", ": no digest");
    expect_descriptor_error("{\"digest\":\"" D("a") "\"}", ": no size");
    expect_descriptor_error("{\"digest\":\"" D("a") "\",\"size\":-1}",
                            ".size: expected a non-negative integer");
    expect_descriptor_error("{\"digest\":\"" D("a") "\",\"size\":1.0}",
                            ".size: expected a non-negative integer");
    expect_descriptor_error("{\"digest\":\"" D("a") "\",\"size\":\"1\"}",
                            ".size: expected a non-negative integer");
    expect_descriptor_error("{\"digest\":\"sha256:abc\",\"size\":1}",
                            ".digest: invalid checksum digest length");
    expect_descriptor_error("{\"digest\":\"" D("A") "\",\"size\":1}",
                            ".digest: invalid checksum digest format");
    expect_descriptor_error("{\"digest\":\"sha512:" D("a") "\",\"size\":1}",
                            ".digest: invalid checksum digest format");
    expect_descriptor_error("{\"digest\":\"sha512:abcd\",\"size\":1}",
                            ".digest: unsupported digest algorithm");
    expect_descriptor_error("{\"digest\":\"" D("a") "\",\"size\":1,\"mediaType\":[]}",
                            ".mediaType: expected a string, not array");
    expect_descriptor_error("{\"digest\":\"" D("a") "\",\"size\":1,\"urls\":\"x\"}",
                            ".urls: expected an array, not string");
    expect_descriptor_error("{\"digest\":\"" D("a") "\",\"size\":1,\"urls\":[\"a\",1]}",
                            ".urls[1]: expected a string, not number");
    /* index entries: the platform */
    expect_manifest_error("{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D(
                                  "a") "\",\"size\":1,\"platform\":\"linux\"}]}",
                          NULL,
                          "failed to parse manifest: manifests[0].platform: expected an object, "
                          "not string");
    expect_manifest_error("{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D(
                                  "a") "\",\"size\":1,\"platform\":{\"os\":true}}]}",
                          NULL,
                          "failed to parse manifest: manifests[0].platform.os: expected a "
                          "string, not bool");
    expect_manifest_error("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("a") "\",\"size\":1},"
                                                                                  "\"layers\":{}}",
                          NULL, "failed to parse manifest: layers: expected an array, not object");
    /* size 0 and very large sizes are sizes */
    const char *ok = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D(
            "a") "\",\"size\":0},\"layers\":[{\"digest\":\"" D("b") "\","
                                                                    "\"size\":9223372036854775807,"
                                                                    "\"urls\":null,\"mediaType\":"
                                                                    "null}]}";
    struct reg_manifest m;
    assert_int_equal(reg_manifest_parse(ok, strlen(ok), NULL, &m, NULL), 0);
    assert_int_equal(m.config.size, 0);
    assert_int_equal(m.layers[0].size, INT64_MAX);
    assert_null(m.layers[0].media_type);
    assert_null(m.layers[0].urls[0]);
    reg_manifest_clear(&m);
}

static char *many(const char *head, const char *entry, size_t n)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, head);
    for (size_t i = 0; i < n; i++)
        bt_strbuf_appendf(&sb, "%s%s", i ? "," : "", entry);
    bt_strbuf_append(&sb, "]}");
    return bt_strbuf_steal(&sb);
}

static void test_registry_parse_manifest_limits(void **state)
{
    const char *head = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("a") "\",\"size\":1},"
                                                                               "\"layers\":[";
    const char *layer = "{\"digest\":\"" D("b") "\",\"size\":1}";
    bt_autofree char *max = many(head, layer, REG_MAX_LAYERS);
    bt_autofree char *over = many(head, layer, REG_MAX_LAYERS + 1);
    struct reg_manifest m;
    assert_int_equal(reg_manifest_parse(max, strlen(max), NULL, &m, NULL), 0);
    assert_int_equal(m.nlayers, REG_MAX_LAYERS);
    reg_manifest_clear(&m);
    expect_manifest_error(over, NULL,
                          "failed to parse manifest: 129 layers, more than the 128 "
                          "allowed");
    const char *ihead = "{\"schemaVersion\":2,\"manifests\":[";
    bt_autofree char *imax = many(ihead, layer, REG_MAX_INDEX);
    bt_autofree char *iover = many(ihead, layer, REG_MAX_INDEX + 1);
    assert_int_equal(reg_manifest_parse(imax, strlen(imax), NULL, &m, NULL), 0);
    assert_int_equal(m.nmanifests, REG_MAX_INDEX);
    reg_manifest_clear(&m);
    expect_manifest_error(iover, NULL,
                          "failed to parse manifest: 1025 manifests, more than the "
                          "1024 allowed");
    /* a document over 4 MiB is not read */
    size_t big = REG_MANIFEST_MAX_SIZE + 1;
    bt_autofree char *huge = bt_xmalloc(big);
    memset(huge, ' ', big);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(reg_manifest_parse(huge, big, NULL, &m, &err), -1);
    assert_string_equal(bt_err_msg(err), "failed to parse manifest: 4194305 bytes, more than the "
                                         "4194304 a manifest may have");
    /* deep nesting is bounded (jansson's depth limit), not a stack overflow */
    size_t depth = 100000;
    bt_autofree char *deep = bt_xmalloc(depth * 2);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    assert_int_equal(reg_manifest_parse(deep, depth * 2, NULL, &m, NULL), -1);
}

/* ---- index entries ---- */

static void test_registry_parse_index_pick_hub_list(void **state)
{
    size_t len;
    bt_autofree char *doc = data_file("hub-manifest-list.json", &len);
    bt_autoptr(reg_manifest) m = bt_xzalloc(sizeof(*m));
    assert_int_equal(reg_manifest_parse(doc, len, REG_MT_DOCKER_LIST, m, NULL), 0);
    assert_int_equal(m->kind, REG_INDEX);
    assert_string_equal(m->media_type, REG_MT_DOCKER_LIST);
    assert_int_equal(m->nmanifests, 10);
    assert_string_equal(m->manifests[0].media_type, REG_MT_DOCKER_MANIFEST);

    const struct reg_descriptor *d = reg_index_pick(m, "linux", "amd64", NULL);
    assert_ptr_equal(d, &m->manifests[0]);
    /* amd64: the variant does not matter; names as containerd normalises them */
    assert_ptr_equal(reg_index_pick(m, "linux", "amd64", "v3"), &m->manifests[0]);
    assert_ptr_equal(reg_index_pick(m, "Linux", "x86_64", NULL), &m->manifests[0]);
    /* arm64: v8 is the default, asked for or not */
    assert_ptr_equal(reg_index_pick(m, "linux", "arm64", NULL), &m->manifests[4]);
    assert_ptr_equal(reg_index_pick(m, "linux", "arm64", "v8"), &m->manifests[4]);
    assert_ptr_equal(reg_index_pick(m, "linux", "aarch64", ""), &m->manifests[4]);
    assert_null(reg_index_pick(m, "linux", "arm64", "v9"));
    /* arm: exact variants; none asked for is v7 */
    assert_ptr_equal(reg_index_pick(m, "linux", "arm", "v6"), &m->manifests[2]);
    assert_ptr_equal(reg_index_pick(m, "linux", "arm", "5"), &m->manifests[1]);
    assert_ptr_equal(reg_index_pick(m, "linux", "arm", NULL), &m->manifests[3]);
    assert_ptr_equal(reg_index_pick(m, "linux", "armhf", NULL), &m->manifests[3]);
    assert_ptr_equal(reg_index_pick(m, "linux", "i386", NULL), &m->manifests[5]);
    assert_ptr_equal(reg_index_pick(m, "linux", "s390x", NULL), &m->manifests[9]);
    assert_null(reg_index_pick(m, "windows", "amd64", NULL));
    assert_null(reg_index_pick(m, "linux", "mips", NULL));
    assert_null(reg_index_pick(m, "linux", NULL, NULL));
    assert_null(reg_index_pick(NULL, "linux", "amd64", NULL));
}

static void test_registry_parse_index_pick_skips_attestations(void **state)
{
    size_t len;
    bt_autofree char *doc = data_file("oci-index-attestations.json", &len);
    bt_autoptr(reg_manifest) m = bt_xzalloc(sizeof(*m));
    assert_int_equal(reg_manifest_parse(doc, len, REG_MT_OCI_INDEX, m, NULL), 0);
    assert_int_equal(m->nmanifests, 4);
    /* the first entry is an attestation (unknown/unknown) */
    assert_string_equal(m->manifests[0].platform.os, "unknown");
    const struct reg_descriptor *d = reg_index_pick(m, "linux", "amd64", NULL);
    assert_ptr_equal(d, &m->manifests[1]);
    assert_string_equal(d->platform.architecture, "amd64");
    assert_int_equal(d->size, 1100);
    d = reg_index_pick(m, "linux", "arm64", NULL);
    assert_ptr_equal(d, &m->manifests[2]);
    assert_string_equal(d->platform.variant, "v8");
    assert_null(reg_index_pick(m, "linux", "arm", NULL));
}

static void test_registry_parse_index_pick_preferences(void **state)
{
    const char *doc =
            "{\"schemaVersion\":2,\"manifests\":["
            "{\"digest\":\"" D(
                    "0") "\",\"size\":1},"
                         "{\"digest\":\"" D(
                                 "1") "\",\"size\":1,\"platform\":{\"os\":\"linux\","
                                      "\"architecture\":\"arm64\",\"variant\":\"v9\"}},"
                                      "{\"digest\":\"" D(
                                              "2") "\",\"size\":1,\"platform\":{\"os\":\"linux\","
                                                   "\"architecture\":\"arm64\"}},"
                                                   "{\"digest\":\"" D(
                                                           "3") "\",\"size\":1,\"platform\":{"
                                                                "\"os\":\"linux\","
                                                                "\"architecture\":\"amd64\","
                                                                "\"variant\":\"v3\"}},"
                                                                "{\"digest\":\"" D(
                                                                        "4") "\",\"size\":1,"
                                                                             "\"platform\":{\"os\":"
                                                                             "\"linux\","
                                                                             "\"architecture\":"
                                                                             "\"amd64\","
                                                                             "\"variant\":\"v1\"}},"
                                                                             "{\"digest\":\"" D(
                                                                                     "5") "\","
                                                                                          "\"size\""
                                                                                          ":1,"
                                                                                          "\"platfo"
                                                                                          "rm\":{"
                                                                                          "\"os\":"
                                                                                          "\"linux"
                                                                                          "\","
                                                                                          "\"archit"
                                                                                          "ecture\""
                                                                                          ":\"ppc64"
                                                                                          "le\","
                                                                                          "\"varian"
                                                                                          "t\":"
                                                                                          "\"power9"
                                                                                          "\"}}]}";
    struct reg_manifest m;
    assert_int_equal(reg_manifest_parse(doc, strlen(doc), NULL, &m, NULL), 0);
    /* arm64 without a variant beats v9, which comes first; v9 when asked */
    assert_ptr_equal(reg_index_pick(&m, "linux", "arm64", NULL), &m.manifests[2]);
    assert_ptr_equal(reg_index_pick(&m, "linux", "arm64", "v9"), &m.manifests[1]);
    /* amd64: v1 (no variant) beats v3, which comes first */
    assert_ptr_equal(reg_index_pick(&m, "linux", "amd64", NULL), &m.manifests[4]);
    assert_ptr_equal(reg_index_pick(&m, "linux", "amd64", "v3"), &m.manifests[4]);
    /* any variant when none is asked for and there is no default */
    assert_ptr_equal(reg_index_pick(&m, "linux", "ppc64le", NULL), &m.manifests[5]);
    assert_null(reg_index_pick(&m, "linux", "ppc64le", "power8"));
    reg_manifest_clear(&m);
}

/* ---- the manifest of a push ---- */

static void test_registry_parse_manifest_build_as_dockerd(void **state)
{
    size_t len;
    bt_autofree char *golden = data_file("push-manifest.json", &len);
    struct reg_descriptor config = {
            .media_type = REG_MT_DOCKER_CONFIG,
            .digest = "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",
            .size = 1457};
    struct reg_descriptor layers[2] = {
            {.media_type = REG_MT_DOCKER_LAYER,
             .digest = "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e",
             .size = 2152262},
            {.media_type = REG_MT_DOCKER_LAYER,
             .digest = "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2",
             .size = 32},
    };
    size_t plen;
    bt_autofree char *out = reg_manifest_build(&config, layers, 2, &plen);
    assert_int_equal(plen, len);
    assert_memory_equal(out, golden, len);

    /* the media type of the config is dockerd's when none is given; no layers is [] */
    struct reg_descriptor bare = {.digest = config.digest, .size = 7};
    bt_autofree char *empty = reg_manifest_build(&bare, NULL, 0, &plen);
    assert_string_equal(empty, "{\n"
                               "   \"schemaVersion\": 2,\n"
                               "   \"mediaType\": \"" REG_MT_DOCKER_MANIFEST "\",\n"
                               "   \"config\": {\n"
                               "      \"mediaType\": \"" REG_MT_DOCKER_CONFIG "\",\n"
                               "      \"size\": 7,\n"
                               "      \"digest\": \"sha256:b79606fb3afea5bd1609ed40b622142f1c98"
                               "125abcfe89a76a661b0e8e343910\"\n"
                               "   },\n"
                               "   \"layers\": []\n"
                               "}");
    assert_int_equal(plen, strlen(empty));
}

static void test_registry_parse_manifest_build_go_details(void **state)
{
    /* omitempty members, urls, and encoding/json's escaping */
    char *urls[] = {"https://x/a?b=1&c=<2>", "\xe2\x80\xa8\x01\x7f\xff", NULL};
    struct reg_descriptor config = {
            .media_type = REG_MT_DOCKER_CONFIG, .digest = D("c"), .size = 3};
    struct reg_descriptor layers[2] = {
            {.media_type = REG_MT_DOCKER_FOREIGN, .digest = D("f"), .size = 0, .urls = urls},
            {0},
    };
    size_t len;
    bt_autofree char *out = reg_manifest_build(&config, layers, 2, &len);
    assert_string_equal(
            out,
            "{\n"
            "   \"schemaVersion\": 2,\n"
            "   \"mediaType\": \"" REG_MT_DOCKER_MANIFEST "\",\n"
            "   \"config\": {\n"
            "      \"mediaType\": \"" REG_MT_DOCKER_CONFIG "\",\n"
            "      \"size\": 3,\n"
            "      \"digest\": \"" D(
                    "c") "\"\n"
                         "   },\n"
                         "   \"layers\": [\n"
                         "      {\n"
                         "         \"mediaType\": \"" REG_MT_DOCKER_FOREIGN "\",\n"
                         "         \"digest\": \"" D(
                                 "f") "\",\n"
                                      "         \"urls\": [\n"
                                      "            \"https://x/a?b=1\\u0026c=\\u003c2\\u003e\",\n"
                                      "            \"\\u2028\\u0001\x7f\\ufffd\"\n"
                                      "         ]\n"
                                      "      },\n"
                                      "      {}\n"
                                      "   ]\n"
                                      "}");
    /* it reads back as what was written */
    struct reg_manifest m;
    layers[0].size = 5;
    layers[1] = layers[0];
    layers[1].urls = NULL;
    layers[1].size = 12;
    bt_autofree char *out2 = reg_manifest_build(&config, layers, 2, &len);
    assert_int_equal(reg_manifest_parse(out2, len, NULL, &m, NULL), 0);
    assert_string_equal(m.media_type, REG_MT_DOCKER_MANIFEST);
    assert_int_equal(m.nlayers, 2);
    assert_int_equal(m.layers[0].size, 5);
    assert_string_equal(m.layers[0].urls[0], urls[0]);
    assert_string_equal(m.layers[0].urls[1], "\xe2\x80\xa8\x01\x7f\xef\xbf\xbd");
    assert_int_equal(m.layers[1].size, 12);
    reg_manifest_clear(&m);
}

/* ---- error bodies ---- */

static void expect_errors(const char *body, const char *msg, const char *code)
{
    char *c = (char *)"unset";
    bt_autofree char *m = reg_errors_message(body, strlen(body), &c);
    if (!msg) {
        assert_null(m);
        assert_null(c);
        return;
    }
    assert_non_null(m);
    assert_string_equal(m, msg);
    assert_string_equal(c, code);
    free(c);
}

static void test_registry_parse_errors_message(void **state)
{
    /* registry:2, a missing tag */
    expect_errors("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
                  "\"detail\":{\"Tag\":\"nope\"}}]}\n",
                  "manifest unknown: manifest unknown", "MANIFEST_UNKNOWN");
    /* Docker Hub, no credentials */
    expect_errors("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\","
                  "\"detail\":[{\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"x/y\","
                  "\"Action\":\"pull\"}]}]}",
                  "unauthorized: authentication required", "UNAUTHORIZED");
    expect_errors("{\"errors\":[{\"code\":\"DENIED\",\"message\":\"requested access to the "
                  "resource is denied\",\"detail\":null}]}",
                  "denied", "DENIED");
    expect_errors("{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not "
                  "known to registry\",\"detail\":{\"name\":\"x\"}}]}",
                  "name unknown: repository name not known to registry", "NAME_UNKNOWN");
    /* without detail, the standard or no message is the code alone */
    expect_errors("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}",
                  "manifest unknown", "MANIFEST_UNKNOWN");
    expect_errors("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\"}]}", "toomanyrequests",
                  "TOOMANYREQUESTS");
    expect_errors("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"You have reached your "
                  "pull rate limit.\"}]}",
                  "toomanyrequests: You have reached your pull rate limit.", "TOOMANYREQUESTS");
    /* codes distribution does not know are UNKNOWN to Docker; *code is as sent */
    expect_errors("{\"errors\":[{\"code\":\"QUOTA_EXCEEDED\",\"message\":\"over quota\"}]}",
                  "unknown: over quota", "QUOTA_EXCEEDED");
    expect_errors("{\"errors\":[{\"message\":\"boom\"}]}", "unknown: boom", "UNKNOWN");
    /* two errors, as errcode.Errors joins them; member names in any case */
    expect_errors(
            "{\"Errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown to "
            "registry\",\"detail\":\"sha256:abc\"},{\"Code\":\"DENIED\",\"Message\":\"no\"}]}",
            "errors:\nblob unknown: blob unknown to registry\ndenied: no\n", "BLOB_UNKNOWN");
    expect_errors("{\"errors\":[null,{\"code\":\"UNSUPPORTED\"}]}",
                  "errors:\nunknown\nunsupported\n", "UNKNOWN");
    /* not an errors document */
    expect_errors("", NULL, NULL);
    expect_errors("<html>502 Bad Gateway</html>", NULL, NULL);
    expect_errors("{\"errors\":[]}", NULL, NULL);
    expect_errors("{\"errors\":null}", NULL, NULL);
    expect_errors("{\"details\":\"incorrect username or password\"}", NULL, NULL);
    expect_errors("{\"errors\":{\"code\":\"DENIED\"}}", NULL, NULL);
    expect_errors("{\"errors\":[{\"code\":5}]}", NULL, NULL);
    expect_errors("{\"errors\":[\"DENIED\"]}", NULL, NULL);
    expect_errors("[]", NULL, NULL);
    /* code may be NULL */
    const char *b = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"x\"}]}";
    bt_autofree char *m = reg_errors_message(b, strlen(b), NULL);
    assert_string_equal(m, "denied: x");
}

/* ---- X-Registry-Auth ---- */

static void test_registry_parse_auth_from_docker_cli(void **state)
{
    /* base64.URLEncoding of {"username":"u","password":"p","serveraddress":"127.0.0.1:5000"} */
    const char *hdr = "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJzZXJ2ZXJhZGRyZXNzIjoiMTI3LjAu"
                      "MC4xOjUwMDAifQ==";
    struct reg_auth a;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(reg_auth_decode(hdr, &a, &err), 0);
    assert_string_equal(a.username, "u");
    assert_string_equal(a.password, "p");
    assert_string_equal(a.server_address, "127.0.0.1:5000");
    assert_null(a.auth);
    assert_null(a.identity_token);
    assert_null(a.registry_token);
    reg_auth_clear(&a);
    assert_null(a.username);

    /* without padding (RawURLEncoding), and with a line break */
    const char *raw = "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJzZXJ2ZXJhZGRyZXNzIjoiMTI3LjAu\r\n"
                      "MC4xOjUwMDAifQ";
    assert_int_equal(reg_auth_decode(raw, &a, &err), 0);
    assert_string_equal(a.server_address, "127.0.0.1:5000");
    reg_auth_clear(&a);
}

static char *encode(const char *json, bool url)
{
    char *b = bt_base64_encode(json, strlen(json));
    for (char *p = b; url && *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return b;
}

static void test_registry_parse_auth_fields(void **state)
{
    struct reg_auth a;
    /* "?>?" makes the encoding use '+' or '/' (standard), '-' or '_' (url): both alphabets */
    const char *json = "{\"username\":\"?>?\",\"Password\":\"s3cr\\u00e9t\",\"email\":\"e@x\","
                       "\"IdentityToken\":\"idt\",\"registrytoken\":\"rt\",\"auth\":\"\"}";
    bt_autofree char *std = encode(json, false), *url = encode(json, true);
    assert_non_null(strpbrk(std, "+/"));
    assert_non_null(strpbrk(url, "-_"));
    assert_int_equal(reg_auth_decode(std, &a, NULL), 0);
    assert_string_equal(a.username, "?>?");
    assert_string_equal(a.password, "s3cr\xc3\xa9t");
    assert_string_equal(a.identity_token, "idt");
    assert_string_equal(a.registry_token, "rt");
    assert_null(a.auth);
    reg_auth_clear(&a);
    assert_int_equal(reg_auth_decode(url, &a, NULL), 0);
    assert_string_equal(a.username, "?>?");
    reg_auth_clear(&a);

    /* "auth" fills username and password when both are empty, split on the first ':' */
    bt_autofree char *pair = bt_base64_encode("user:pa:ss", 10);
    bt_autofree char *j2 = bt_xasprintf("{\"auth\":\"%s\",\"serveraddress\":\"r.io\"}", pair);
    bt_autofree char *h2 = encode(j2, true);
    assert_int_equal(reg_auth_decode(h2, &a, NULL), 0);
    assert_string_equal(a.username, "user");
    assert_string_equal(a.password, "pa:ss");
    assert_string_equal(a.auth, pair);
    reg_auth_clear(&a);
    bt_autofree char *j3 = bt_xasprintf("{\"auth\":\"%s\",\"username\":\"me\"}", pair);
    bt_autofree char *h3 = encode(j3, true);
    assert_int_equal(reg_auth_decode(h3, &a, NULL), 0);
    assert_string_equal(a.username, "me");
    assert_null(a.password);
    reg_auth_clear(&a);
    /* an "auth" that is not such a pair fills nothing */
    const char *odd[] = {"{\"auth\":\"bm9jb2xvbg==\"}", "{\"auth\":\"!!\"}"};
    for (size_t i = 0; i < 2; i++) {
        bt_autofree char *h = encode(odd[i], true);
        assert_int_equal(reg_auth_decode(h, &a, NULL), 0);
        assert_null(a.username);
        assert_null(a.password);
        assert_non_null(a.auth);
        reg_auth_clear(&a);
    }

    /* no credentials: an empty header, {}, null, and what follows the first value */
    const char *none[] = {"", "e30=", "e30", "bnVsbA==", "e30ge30="};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_int_equal(reg_auth_decode(none[i], &a, NULL), 0);
        assert_null(a.username);
        assert_null(a.server_address);
        reg_auth_clear(&a);
    }
    assert_int_equal(reg_auth_decode(NULL, &a, NULL), 0);
}

static void expect_auth_error(const char *header, const char *msg)
{
    struct reg_auth a;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(reg_auth_decode(header, &a, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), msg);
    assert_null(a.username);
}

static void test_registry_parse_auth_errors(void **state)
{
    /* moby's TestDecodeAuthConfig: "{" */
    expect_auth_error("ew==", "invalid X-Registry-Auth header: unexpected EOF");
    expect_auth_error("e", "invalid X-Registry-Auth header: illegal base64 data at input byte 0");
    expect_auth_error("e30*",
                      "invalid X-Registry-Auth header: illegal base64 data at input byte 3");
    expect_auth_error("e3=0",
                      "invalid X-Registry-Auth header: illegal base64 data at input byte 2");
    bt_autofree char *arr = encode("[]", true);
    expect_auth_error(arr, "invalid X-Registry-Auth header: json: cannot unmarshal array into Go "
                           "value of type registry.AuthConfig");
    bt_autofree char *num = encode("{\"username\":1}", true);
    expect_auth_error(num, "invalid X-Registry-Auth header: json: cannot unmarshal number into Go "
                           "struct field AuthConfig.username of type string");
    bt_autofree char *email = encode("{\"username\":\"u\",\"email\":{}}", true);
    expect_auth_error(email, "invalid X-Registry-Auth header: json: cannot unmarshal object into "
                             "Go struct field AuthConfig.email of type string");
    bt_autofree char *ws = encode("  ", true);
    expect_auth_error(ws, "invalid X-Registry-Auth header: EOF");
    bt_autofree char *nul = encode("{\"password\":\"a\\u0000b\"}", true);
    struct reg_auth a;
    assert_int_equal(reg_auth_decode(nul, &a, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_registry_parse_challenge_bearer),
            cmocka_unit_test(test_registry_parse_challenge_syntax),
            cmocka_unit_test(test_registry_parse_challenge_errors),
            cmocka_unit_test(test_registry_parse_token_shapes),
            cmocka_unit_test(test_registry_parse_token_errors),
            cmocka_unit_test(test_registry_parse_manifest_docker),
            cmocka_unit_test(test_registry_parse_manifest_oci),
            cmocka_unit_test(test_registry_parse_manifest_type_from_content_type_or_shape),
            cmocka_unit_test(test_registry_parse_manifest_schema1_refused),
            cmocka_unit_test(test_registry_parse_manifest_errors),
            cmocka_unit_test(test_registry_parse_manifest_descriptors),
            cmocka_unit_test(test_registry_parse_manifest_limits),
            cmocka_unit_test(test_registry_parse_index_pick_hub_list),
            cmocka_unit_test(test_registry_parse_index_pick_skips_attestations),
            cmocka_unit_test(test_registry_parse_index_pick_preferences),
            cmocka_unit_test(test_registry_parse_manifest_build_as_dockerd),
            cmocka_unit_test(test_registry_parse_manifest_build_go_details),
            cmocka_unit_test(test_registry_parse_errors_message),
            cmocka_unit_test(test_registry_parse_auth_from_docker_cli),
            cmocka_unit_test(test_registry_parse_auth_fields),
            cmocka_unit_test(test_registry_parse_auth_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
