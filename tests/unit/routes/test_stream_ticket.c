/* test_stream_ticket.c - the stream ticket store (routes/stream_ticket.h): a ticket opens
 * exactly once, carries the minting identity, expires, never outlives its token, is
 * refused when malformed, and the store is bounded. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "dm_error.h"
#include "stream_ticket.h"
#include "testutil.h"

#define NOW 1700000000

static struct auth_identity writer(int64_t exp)
{
    struct auth_identity id = {.sub = "alice", .scopes = "dm:write", .read = true, .write = true,
                               .exp = exp};
    return id;
}

START_TEST(ticket_opens_once_with_its_identity)
{
    struct ticket_store *s = ticket_store_new();
    struct auth_identity w = writer(NOW + 3600), *got = NULL;
    char t[STREAM_TICKET_HEX + 1], t2[STREAM_TICKET_HEX + 1];
    ck_assert_int_eq(ticket_mint(s, &w, NOW, t), DM_OK);
    ck_assert_int_eq(ticket_mint(s, &w, NOW, t2), DM_OK);
    ck_assert_uint_eq(strlen(t), 64);
    ck_assert_str_ne(t, t2);
    ck_assert_int_eq(ticket_redeem(s, t, NOW + 1, &got), AUTH_OK);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got->sub, "alice");
    ck_assert_str_eq(got->scopes, "dm:write");
    ck_assert(got->write && auth_has_scope(got, AUTH_SCOPE_READ));
    auth_identity_free(got);
    ck_assert_int_eq(ticket_redeem(s, t, NOW + 1, &got), AUTH_EXPIRED);   /* single use */
    ck_assert_ptr_null(got);
    ck_assert_int_eq(ticket_redeem(s, t2, NOW + 2, &got), AUTH_OK);       /* the other one still opens */
    auth_identity_free(got);
    ticket_store_free(s);
}
END_TEST

START_TEST(ticket_expires_and_never_outlives_its_token)
{
    struct ticket_store *s = ticket_store_new();
    struct auth_identity w = writer(NOW + 3600), short_lived = writer(NOW + 5), *got = NULL;
    char t[STREAM_TICKET_HEX + 1];
    ck_assert_int_eq(ticket_mint(s, &w, NOW, t), DM_OK);
    ck_assert_int_eq(ticket_redeem(s, t, NOW + STREAM_TICKET_TTL_S, &got), AUTH_EXPIRED);
    ck_assert_int_eq(ticket_redeem(s, t, NOW + 1, &got), AUTH_EXPIRED);   /* and gone */
    ck_assert_int_eq(ticket_mint(s, &short_lived, NOW, t), DM_OK);
    ck_assert_int_eq(ticket_redeem(s, t, NOW + 6, &got), AUTH_EXPIRED);   /* the token's exp */
    ck_assert_ptr_null(got);
    ticket_store_free(s);
}
END_TEST

START_TEST(ticket_malformed_and_unknown)
{
    struct ticket_store *s = ticket_store_new();
    struct auth_identity *got = NULL;
    char t[STREAM_TICKET_HEX + 1];
    ck_assert_int_eq(ticket_mint(s, NULL, NOW, t), DM_OK);   /* anonymous read */
    ck_assert_int_eq(ticket_redeem(s, "", NOW, &got), AUTH_MALFORMED);
    ck_assert_int_eq(ticket_redeem(s, "abc", NOW, &got), AUTH_MALFORMED);
    char upper[STREAM_TICKET_HEX + 1];
    memset(upper, 'G', STREAM_TICKET_HEX);
    upper[STREAM_TICKET_HEX] = '\0';
    ck_assert_int_eq(ticket_redeem(s, upper, NOW, &got), AUTH_MALFORMED);
    char other[STREAM_TICKET_HEX + 1];
    memcpy(other, t, sizeof(other));
    other[0] = other[0] == '0' ? '1' : '0';
    ck_assert_int_eq(ticket_redeem(s, other, NOW, &got), AUTH_EXPIRED);   /* unknown */
    ck_assert_int_eq(ticket_redeem(s, t, NOW, &got), AUTH_OK);
    ck_assert(got->read && !got->write);
    auth_identity_free(got);
    ticket_store_free(s);
}
END_TEST

START_TEST(ticket_store_is_bounded_and_reclaims_expired)
{
    struct ticket_store *s = ticket_store_new();
    struct auth_identity w = writer(0);
    char t[STREAM_TICKET_HEX + 1];
    for (int i = 0; i < STREAM_TICKET_MAX; i++)
        ck_assert_int_eq(ticket_mint(s, &w, NOW, t), DM_OK);
    ck_assert_int_eq(ticket_mint(s, &w, NOW + 1, t), DM_E_TOO_LARGE);
    ck_assert_int_eq(ticket_mint(s, &w, NOW + STREAM_TICKET_TTL_S, t), DM_OK);  /* expired ones reclaimed */
    ticket_store_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stream_ticket");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ticket_opens_once_with_its_identity);
    tcase_add_test(tc, ticket_expires_and_never_outlives_its_token);
    tcase_add_test(tc, ticket_malformed_and_unknown);
    tcase_add_test(tc, ticket_store_is_bounded_and_reclaims_expired);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}
