/* test_assets.c - routes/assets.c: Accept-Encoding negotiation, the build-time gzip
 * variants (each decompresses, with Debian's gzip, to exactly its file), the build-time
 * /openapi.json (the same bytes the gateway's YAML reader makes of openapi.yaml); and
 * routes/route_ctx.c: a response header over ROUTE_MAX_HEADERS aborts instead of being
 * dropped. */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assets.h"
#include "openapi_doc.h"
#include "route_ctx.h"
#include "testutil.h"
#include "yamljson.h"

START_TEST(accept_encoding_negotiation)
{
    static const struct {
        const char *ae;
        bool gz;
    } cases[] = {
        {NULL, false},
        {"", false},
        {"identity", false},
        {"gzip", true},
        {"GZip", true},
        {"x-gzip", true},
        {"gzip;q=0", false},
        {"gzip; q=0.0", false},
        {"gzip;q=0.001", true},
        {"gzip;Q=1", true},
        {"gzip;q=1.000", true},
        {"gzip;q=1.5", false},       /* unreadable q: allows nothing */
        {"gzip;q=abc", false},
        {"deflate, gzip;q=0.8, br", true},
        {" br ,gzip", true},
        {"br", false},
        {"deflate;q=1, br", false},
        {"*", true},
        {"*;q=0", false},
        {"*, gzip;q=0", false},      /* an explicit gzip wins over "*" */
        {"gzip;q=0.5, identity;q=0.9", false},
        {"gzip;q=0.9, identity;q=0.5", true},
        {"gzip, identity;q=0", true},
        {"gzipx, xgzip", false},     /* whole tokens only */
        {"gzip;level=9;q=0", false}, /* q after another parameter */
        {"gzip;level=9", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(asset_accepts_gzip(cases[i].ae) == cases[i].gz, "\"%s\": want %s",
                      cases[i].ae ? cases[i].ae : "(none)", cases[i].gz ? "gzip" : "identity");
}
END_TEST

/* gzip -dc of the variant is the file, byte for byte. */
static void expect_gunzips_to(const struct asset_file *a)
{
    char tmp[] = "/tmp/dmgw_asset_XXXXXX";
    int fd = mkstemp(tmp);
    ck_assert_int_ge(fd, 0);
    size_t gzlen = (size_t)(a->gz_end - a->gz_start), len = (size_t)(a->end - a->start);
    ck_assert(write(fd, a->gz_start, gzlen) == (ssize_t)gzlen);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "gzip -dc < %s", tmp);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    unsigned char *out = malloc(len + 1);
    ck_assert_ptr_nonnull(out);
    size_t n = fread(out, 1, len + 1, p);
    ck_assert_int_eq(pclose(p), 0);
    unlink(tmp);
    ck_assert_msg(n == len && memcmp(out, a->start, len) == 0, "%s: gunzipped %zu bytes, want %zu",
                  a->name, n, len);
    free(out);
    ck_assert_str_ne(asset_etag(a, true), asset_etag(a, false));
}

START_TEST(gzip_variants_are_the_files)
{
    ck_assert_uint_gt(assets_table_len, 0);
    for (size_t i = 0; i < assets_table_len; i++)
        expect_gunzips_to(&assets_table[i]);
    ck_assert_ptr_nonnull(asset_find("openapi.json"));
    ck_assert_ptr_nonnull(asset_find("openapi.yaml"));
}
END_TEST

START_TEST(openapi_json_built_from_the_yaml)
{
    char err[256] = "";
    json_t *doc = yamljson_parse_budget(route_openapi_yaml, route_openapi_yaml_len, SIZE_MAX, err,
                                        sizeof(err));
    ck_assert_msg(doc, "%s", err);
    char *j = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(doc);
    const struct asset_file *a = asset_find("openapi.json");
    size_t len = (size_t)(a->end - a->start);
    ck_assert_msg(strlen(j) == len && memcmp(j, a->start, len) == 0, "openapi.json differs");
    free(j);
    const struct asset_file *y = asset_find("openapi.yaml");
    ck_assert((size_t)(y->end - y->start) == route_openapi_yaml_len);
}
END_TEST

/* ROUTE_MAX_HEADERS headers fit; one more is a programming error that must not go
 * unnoticed (it used to be dropped silently): DM_ASSERT aborts. */
START_TEST(header_overflow_aborts)
{
    struct route_env env = {0};
    struct route_ctx c;
    route_ctx_init(&c, &env);
    for (int i = 0; i < ROUTE_MAX_HEADERS; i++)
        route_header(&c, "X-H", "v");
    ck_assert_uint_eq(c.resp.nheaders, ROUTE_MAX_HEADERS);
    route_header(&c, "X-Lost", "v");   /* aborts here */
    route_ctx_release(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("assets");
    TCase *tc = tcase_create("assets");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, accept_encoding_negotiation);
    tcase_add_test(tc, gzip_variants_are_the_files);
    tcase_add_test(tc, openapi_json_built_from_the_yaml);
    tcase_add_test_raise_signal(tc, header_overflow_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}
