/* test_load_names.c - worker_load_db_len / worker_load_data_base: mydumper 0.10.1 file
 * names with dots and "-schema" inside database and table names. */
#include <check.h>
#include <string.h>

#include "load_names.h"
#include "testutil.h"

START_TEST(database_part)
{
    const char *dbs[] = { "d", "d.x", "q" };
    ck_assert_uint_eq(worker_load_db_len("q.t-schema.sql", dbs, 3), 1);
    /* "d.x.t-schema.sql" is table t of database d.x (the longest known database) */
    ck_assert_uint_eq(worker_load_db_len("d.x.t-schema.sql", dbs, 3), 3);
    ck_assert_uint_eq(worker_load_db_len("d.y-schema.sql", dbs, 3), 1);
    /* no database file: up to the first dot, as before */
    ck_assert_uint_eq(worker_load_db_len("z.a.b-schema.sql", dbs, 0), 1);
    ck_assert_uint_eq(worker_load_db_len("nodot", dbs, 3), 0);
    /* a database only prefixing another one's name does not count */
    ck_assert_uint_eq(worker_load_db_len("dx.t-schema.sql", dbs, 3), 2);
}
END_TEST

START_TEST(data_base_name)
{
    char b[64];
    ck_assert(worker_load_data_base("q.t.sql", b, sizeof b));
    ck_assert_str_eq(b, "q.t");
    ck_assert(worker_load_data_base("q.t.00012.sql", b, sizeof b));
    ck_assert_str_eq(b, "q.t");
    ck_assert(worker_load_data_base("q.my-schema.sql", b, sizeof b));
    ck_assert_str_eq(b, "q.my-schema");
    ck_assert(worker_load_data_base("q.my-schema.00000.sql", b, sizeof b));
    ck_assert_str_eq(b, "q.my-schema");
    /* a table named with digits after a dot loses them: "q.v1" stays, "q.2" is q + chunk */
    ck_assert(worker_load_data_base("q.v1.sql", b, sizeof b));
    ck_assert_str_eq(b, "q.v1");
    ck_assert(!worker_load_data_base("q.t.sql.gz", b, sizeof b));
    ck_assert(!worker_load_data_base(".sql", b, sizeof b));
    ck_assert(!worker_load_data_base("q.a-very-long-table-name.sql", b, 8));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_names");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, database_part);
    tcase_add_test(tc, data_base_name);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}
