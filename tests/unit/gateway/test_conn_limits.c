/* test_conn_limits.c - gateway/conn_limits.c: what "per IP" counts. gwattack6: every IPv6
 * address counted on its own, so a client with a /64 (2^64 addresses: any residential
 * line or cloud VM) passed max-connections-per-ip by using a new source address per
 * connection. IPv6 now counts by /64, except the forms that carry an IPv4 client. Over TLS
 * libmicrohttpd's accept policy counts with conn_limits_accept (gateway/http_tls.c): the
 * same /64 rule, a count per pool thread until STARTED claims it (tests/unit/gateway/
 * test_http_tls.c has the real TLS connections). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "conn_limits.h"
#include "testutil.h"

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        ck_assert_int_eq(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        ck_assert_int_eq(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return ss;
}

static bool take(struct conn_limits *l, const char *text)
{
    struct sockaddr_storage ss = addr(text);
    return conn_limits_take(l, (const struct sockaddr *)&ss);
}

static void release(struct conn_limits *l, const char *text)
{
    struct sockaddr_storage ss = addr(text);
    conn_limits_release(l, (const struct sockaddr *)&ss);
}

START_TEST(ipv6_counts_by_its_64_prefix)
{
    struct conn_limits *l = conn_limits_new(0, 2);
    ck_assert_ptr_nonnull(l);
    /* three addresses of one /64: the third is over the limit (was: each its own count) */
    ck_assert(take(l, "2001:db8:1:2::1"));
    ck_assert(take(l, "2001:db8:1:2:ffff:ffff:ffff:ffff"));
    ck_assert(!take(l, "2001:db8:1:2:dead:beef:0:1"));
    /* the neighbouring /64 is another client */
    ck_assert(take(l, "2001:db8:1:3::1"));
    ck_assert(take(l, "2001:db8:1:3::2"));
    ck_assert(!take(l, "2001:db8:1:3::3"));
    /* a release by any address of the /64 frees a place of that /64 */
    release(l, "2001:db8:1:2::1");
    ck_assert(take(l, "2001:db8:1:2::77"));
    ck_assert(!take(l, "2001:db8:1:2::78"));
    conn_limits_free(l);
}
END_TEST

START_TEST(addresses_that_carry_an_ipv4_client_count_whole)
{
    static const char *const pairs[][2] = {
        {"::ffff:192.0.2.1", "::ffff:192.0.2.2"},     /* v4-mapped (dual-stack socket) */
        {"64:ff9b::192.0.2.1", "64:ff9b::192.0.2.2"}, /* NAT64 */
        {"2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:4136:e378:8000:63bf:3fff:fdd3"}, /* Teredo */
        {"::1", "::2"},                               /* v4-compatible / loopback */
        {"192.0.2.1", "192.0.2.2"},                   /* IPv4 */
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        struct conn_limits *l = conn_limits_new(0, 1);
        ck_assert(take(l, pairs[i][0]));
        ck_assert_msg(!take(l, pairs[i][0]), "%s", pairs[i][0]);
        ck_assert_msg(take(l, pairs[i][1]), "%s shares %s's count", pairs[i][1], pairs[i][0]);
        conn_limits_free(l);
    }
    /* an IPv4 client and its v4-mapped spelling are the same client */
    struct conn_limits *l = conn_limits_new(0, 1);
    ck_assert(take(l, "192.0.2.9"));
    ck_assert(!take(l, "::ffff:192.0.2.9"));
    conn_limits_free(l);
}
END_TEST

START_TEST(total_limit_counts_every_connection)
{
    struct conn_limits *l = conn_limits_new(3, 0);
    ck_assert(take(l, "2001:db8::1"));
    ck_assert(take(l, "2001:db8::2"));
    ck_assert(take(l, "192.0.2.1"));
    ck_assert(!take(l, "2001:db8:9::1"));
    conn_limits_release(l, NULL);
    ck_assert(take(l, "2001:db8:9::1"));
    conn_limits_free(l);
}
END_TEST

/* conn_limits_accept on a thread of its own that ends without claiming: as a connection
 * one of libmicrohttpd's pool threads accepted and still holds. */
struct on_thread {
    struct conn_limits *l;
    struct sockaddr_storage a;
    bool ok;
};

static void *accept_thread(void *arg)
{
    struct on_thread *o = arg;
    o->ok = conn_limits_accept(o->l, (const struct sockaddr *)&o->a, sizeof(o->a));
    return NULL;
}

static bool accept_on_thread(struct conn_limits *l, const char *text)
{
    struct on_thread o = {l, addr(text), false};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, accept_thread, &o), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    return o.ok;
}

/* accept here, then STARTED claims the count (true: it was counted) */
static bool accept_and_claim(struct conn_limits *l, const char *text)
{
    struct sockaddr_storage ss = addr(text), got;
    if (!conn_limits_accept(l, (const struct sockaddr *)&ss, sizeof(ss)))
        return false;
    ck_assert(conn_limits_claim(l, &got));
    ck_assert(memcmp(&got, &ss, sizeof(ss)) == 0);
    return true;
}

/* The TLS path (libmicrohttpd's pool threads): IPv6 by /64 as on the plain front. */
START_TEST(tls_accept_policy_counts_by_64)
{
    struct conn_limits *l = conn_limits_new(0, 2);
    ck_assert(accept_on_thread(l, "2001:db8:1:2::1"));
    ck_assert(accept_on_thread(l, "2001:db8:1:2::2"));
    ck_assert(!accept_on_thread(l, "2001:db8:1:2:dead:beef:0:9"));
    ck_assert(accept_on_thread(l, "2001:db8:1:3::1"));
    /* IPv4, accepted and started on this thread: the third is refused */
    ck_assert(accept_and_claim(l, "192.0.2.1"));
    ck_assert(accept_and_claim(l, "192.0.2.1"));
    ck_assert(!accept_and_claim(l, "192.0.2.1"));
    struct sockaddr_storage got;
    ck_assert(!conn_limits_claim(l, &got));   /* a refusal leaves nothing to claim */
    release(l, "192.0.2.1");                   /* CLOSED */
    ck_assert(accept_and_claim(l, "192.0.2.1"));
    conn_limits_free(l);
}
END_TEST

/* libmicrohttpd failed between the policy and STARTED (out of memory, epoll_ctl): the
 * thread's next accept gives the count back, so no place leaks. */
START_TEST(unclaimed_accept_is_given_back)
{
    struct conn_limits *l = conn_limits_new(0, 1);
    struct sockaddr_storage a = addr("2001:db8::1");
    for (int i = 0; i < 200; i++)   /* 200 connections that never started */
        ck_assert(conn_limits_accept(l, (const struct sockaddr *)&a, sizeof(a)));
    struct sockaddr_storage got;
    ck_assert(conn_limits_claim(l, &got));    /* the last one started */
    ck_assert(!accept_and_claim(l, "2001:db8::2"));   /* and holds the /64's one place */
    release(l, "2001:db8::1");
    ck_assert(accept_and_claim(l, "2001:db8::3"));
    release(l, "2001:db8::3");
    ck_assert(accept_and_claim(l, "2001:db8::4"));
    conn_limits_free(l);
}
END_TEST

/* Counts never go below zero: a release without its take aborts (DM_ASSERT). */
START_TEST(release_without_take_aborts)
{
    struct conn_limits *l = conn_limits_new(0, 2);
    ck_assert(take(l, "192.0.2.1"));
    release(l, "192.0.2.2");
}
END_TEST

START_TEST(total_release_without_take_aborts)
{
    struct conn_limits *l = conn_limits_new(3, 0);
    conn_limits_release(l, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conn_limits");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ipv6_counts_by_its_64_prefix);
    tcase_add_test(tc, addresses_that_carry_an_ipv4_client_count_whole);
    tcase_add_test(tc, total_limit_counts_every_connection);
    tcase_add_test(tc, tls_accept_policy_counts_by_64);
    tcase_add_test(tc, unclaimed_accept_is_given_back);
    tcase_add_test_raise_signal(tc, release_without_take_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, total_release_without_take_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}
