/* test_taskcfg.c - master/taskcfg*.c, yamltree.c, subtask.c: task.yaml decoding with
 * DM's strictness and messages, adjust() validation, subtask TOML generation. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "subtask.h"
#include "taskcfg.h"
#include "testutil.h"

#define TGT "target-database: {host: 127.0.0.1, port: 4000, user: root, password: ''}\n"
#define INST "mysql-instances:\n  - source-id: s1\n    meta: {binlog-name: mysql-bin.000001, binlog-pos: 4}\n"

static const char *good_yaml =
    "name: test\n"
    "task-mode: incremental\n"
    "is-sharding: true\n"
    "timezone: Asia/Shanghai\n"
    TGT
    "mysql-instances:\n"
    "  - source-id: mysql-replica-01\n"
    "    meta:\n"
    "      binlog-name: mysql-bin.000001\n"
    "      binlog-pos: 4\n"
    "    route-rules: [r1]\n"
    "    filter-rules: [f1]\n"
    "    black-white-list: bw1\n"
    "    syncer-config-name: global\n"
    "    syncer-thread: 8\n"
    "    loader: {pool-size: 3}\n"
    "routes:\n"
    "  r1: {schema-pattern: \"db_*\", table-pattern: \"t_*\", target-schema: db, target-table: t}\n"
    "filters:\n"
    "  f1: {schema-pattern: db, events: [\"truncate table\"], sql-pattern: [\"^DROP\\\\s+PROCEDURE\"], action: Ignore}\n"
    "black-white-list:\n"
    "  bw1:\n"
    "    do-dbs: [db1]\n"
    "    do-tables:\n"
    "      - {db-name: db1, tbl-name: \"~^t.*\"}\n"
    "syncers:\n"
    "  global: {batch: 50, safe-mode: yes}\n";

START_TEST(good_config_and_subtask)
{
    struct master_task_cfg *c = NULL;
    char *err = NULL;
    ck_assert_int_eq(master_taskcfg_parse(good_yaml, strlen(good_yaml), &c, &err), DM_OK);
    ck_assert_ptr_null(err);
    ck_assert_str_eq(c->name, "test");
    ck_assert_str_eq(c->meta_schema, "dm_meta");
    ck_assert_int_eq(c->heartbeat_report_interval, 10);
    ck_assert_uint_eq(c->instances.n, 1);
    struct master_instance *in = c->instances.items[0];
    ck_assert_int_eq(in->syncer->worker_count, 8);
    ck_assert_int_eq(in->syncer->batch, 50);
    ck_assert(in->syncer->safe_mode);
    ck_assert_int_eq(in->loader->pool_size, 3);
    ck_assert_str_eq(in->loader->dir, "./dumped_data");
    ck_assert_int_eq(in->mydumper->threads, 4);

    struct master_db_cfg *from = NULL;
    ck_assert_int_eq(master_dbcfg_from_toml("host = \"10.0.0.1\"\nport = 3306\nuser = \"u\"\npassword = \"p\"\n[session]\nsql_mode = \"\"\n",
                                            &from, &err), DM_OK);
    char *toml = NULL;
    ck_assert_int_eq(master_subtask_toml(c, 0, from, &toml, &err), DM_OK);
    ck_assert_ptr_nonnull(strstr(toml, "name = \"test\"\n"));
    ck_assert_ptr_nonnull(strstr(toml, "mode = \"incremental\"\n"));
    ck_assert_ptr_nonnull(strstr(toml, "source-id = \"mysql-replica-01\"\n"));
    ck_assert_ptr_nonnull(strstr(toml, "enable-heartbeat = false\n"));
    ck_assert_ptr_nonnull(strstr(toml, "worker-count = 8\n"));
    ck_assert_ptr_nonnull(strstr(toml, "dir = \"./dumped_data.test\"\n"));
    ck_assert_ptr_nonnull(strstr(toml, "[meta]\nbinlog-name = \"mysql-bin.000001\"\nbinlog-pos = 4\n"));
    ck_assert_ptr_nonnull(strstr(toml, "[from]\nhost = \"10.0.0.1\"\nport = 3306\n"));
    ck_assert_ptr_nonnull(strstr(toml, "max-allowed-packet = 67108864\n"));
    ck_assert_ptr_nonnull(strstr(toml, "[to]\nhost = \"127.0.0.1\"\nport = 4000\n"));
    ck_assert_ptr_nonnull(strstr(toml, "[[route-rules]]\nschema-pattern = \"db_*\"\n"));
    ck_assert_ptr_nonnull(strstr(toml, "sql-pattern = [\"^DROP\\\\s+PROCEDURE\"]\n"));
    ck_assert_ptr_nonnull(strstr(toml, "[black-white-list]\ndo-dbs = [\"db1\"]\n"));
    ck_assert_ptr_nonnull(strstr(toml, "[[black-white-list.do-tables]]\ndb-name = \"db1\"\ntbl-name = \"~^t.*\"\n"));
    free(toml);
    master_dbcfg_free(from);
    master_taskcfg_free(c);
}
END_TEST

struct bad_case {
    const char *yaml;
    const char *want;   /* substring of the error */
};

static const struct bad_case bad[] = {
    {"name: t\ntask-mode: all\nfoo: 1\n",
     "[code=20003:class=dm-master:scope=internal:level=medium] decode task config failed: yaml: unmarshal errors:\n  line 3: field foo not found in type config.TaskConfig"},
    {"name: t\ntarget-database: {host: h, port: abc}\n",
     "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `abc` into int"},
    {"name: t\nname2: [\nx: y\n", "decode task config failed: yaml: line "},
    {"name: t\n  bad: indent\n", "decode task config failed: yaml: line 2: mapping values are not allowed in this context"},
    {"task-mode: all\n" TGT INST, "[code=20019:class=dm-master:scope=internal:level=medium] must specify a unique task name"},
    /* issue 17: a name a path cannot address (dm_name_check) is a config error */
    {"name: \"atk\\nmeta-schema: x\"\ntask-mode: all\n" TGT INST,
     "[code=20019:class=dm-master:scope=internal:level=medium] must specify a unique task name: the task name contains a control character (byte 3)"},
    {"name: \"atk\\r\\nSet-Cookie: a=1\"\ntask-mode: all\n" TGT INST, "contains a control character (byte 3)"},
    {"name: \"atk\\tx\"\ntask-mode: all\n" TGT INST, "contains a control character (byte 3)"},
    {"name: \"---atk\"\ntask-mode: all\n" TGT INST, "starts with a YAML document marker"},
    {"name: a/b\ntask-mode: all\n" TGT INST, "contains '/' (byte 1)"},
    /* gwattack6: C1 controls, bidirectional overrides and invisible characters (dm_name_check_new) */
    {"name: \"atk\\u202etxt\"\ntask-mode: all\n" TGT INST, "the task name contains a bidirectional formatting or line separator character (U+061C, U+200E, U+200F, U+2028-U+202E, U+2066-U+2069) (byte 3)"},
    {"name: \"atk\\x85\"\ntask-mode: all\n" TGT INST, "contains a C1 control character (U+0080-U+009F) (byte 3)"},
    {"name: \"a\\u200bb\"\ntask-mode: all\n" TGT INST, "contains an invisible character"},
    {"name: t\ntask-mode: fast\n" TGT INST, "[code=20020:class=dm-master:scope=internal:level=medium] please specify right task-mode, support `full`, `incremental`, `all`"},
    {"name: t\ntask-mode: incremental\n" TGT "mysql-instances:\n  - source-id: s1\n",
     "[code=20022:class=dm-master:scope=internal:level=medium] mysql-instance(0) must set meta for task-mode incremental"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    route-rules: [r9]\n",
     "mysql-instance(0)'s route-rules r9 not exist in routes"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    filter-rules: [f9]\n",
     "mysql-instance(0)'s filter-rules f9 not exist in filters"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    black-white-list: nope\n",
     "mysql-instance(0)'s list nope not exist in black white list"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    mydumper-config-name: g\n    mydumper: {threads: 2}\nmydumpers:\n  g: {threads: 1}\n",
     "[code=20015:class=dm-master:scope=internal:level=medium] mysql-instance: 0th: mydumper-config-name and mydumper should only specify one"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    loader-config-name: nope\n",
     "mysql-instance(0)'s loader config nope not exist in loaders"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    foo: bar\n",
     "line 6: field foo not found in type config.MySQLInstance"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    syncer:\n      batch: 1\n      bogus: 2\n",
     "decode task config failed: [code=20003:class=config:scope=internal:level=medium] unmarshal syncer config: yaml: unmarshal errors:\n  line 8: field bogus not found in type config.rawSyncerConfig"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n  - source-id: s1\n",
     "mysql-instance (0) and (1) have same source-id (s1)"},
    {"name: t\ntask-mode: all\nignore-checking-items: [nope]\n" TGT INST, "[code=20001:class=dm-master:scope=internal:level=medium] checking item nope is not supported\n"},
    {"name: t\ntask-mode: all\nonline-ddl-scheme: osc\n" TGT INST, "online scheme osc not supported"},
    {"name: t\ntask-mode: all\ntimezone: Mars/Olympus\n" TGT INST, "invalid timezone string: Mars/Olympus"},
    {"name: t\ntask-mode: incremental\n" TGT "mysql-instances:\n  - source-id: s1\n    meta: {binlog-name: b, binlog-pos: -1}\n",
     "line 6: cannot unmarshal !!int `-1` into uint32"},
    {"name: t\ntask-mode: incremental\n" TGT "mysql-instances:\n  - source-id: s1\n    meta: {binlog-pos: 4}\n",
     "mysql-instance: 0th: source s1: binlog-name must specify"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    route-rules: [r, r]\nroutes:\n  r: {schema-pattern: a}\n",
     "the following mysql configs have duplicate items, please remove the duplicates:\nmysql-instance(0)'s route-rules: r"},
    {"name: t\ntask-mode: all\n" INST, "must specify target-database"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances: []\n", "must specify at least one mysql-instances"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: ''\n", "mysql-instance: 0th: empty source-id not valid"},
    {"name: t\nis-sharding: maybe\n", "line 2: cannot unmarshal !!str `maybe` into bool"},
    /* a float out of int64's range (fuzz_taskcfg: the cast was undefined behaviour) */
    {"name: t\ntarget-database: {host: h, port: 3.3e64}\n", "line 2: cannot unmarshal !!float `3.3e64` into int"},
    {"name: t\ntarget-database: {host: h, port: -1e300}\n", "line 2: cannot unmarshal !!float `-1e300` into int"},
    /* YAML's float specials are type errors for every integer setting (strtod read ".nan" as 0) */
    {"name: t\ntask-mode: all\nsyncers:\n  g: {worker-count: .nan}\n", "line 4: cannot unmarshal !!float `.nan` into int"},
    {"name: t\ntask-mode: all\nsyncers:\n  g: {worker-count: .NaN}\n", "line 4: cannot unmarshal !!float `.NaN` into int"},
    {"name: t\ntask-mode: all\nsyncers:\n  g: {batch: .inf}\n", "line 4: cannot unmarshal !!float `.inf` into int"},
    {"name: t\ntask-mode: all\nsyncers:\n  g: {batch: -.inf}\n", "line 4: cannot unmarshal !!float `-.inf` into int"},
    {"name: t\ntask-mode: all\nsyncers:\n  g: {queue-size: +.inf}\n", "line 4: cannot unmarshal !!float `+.inf` into int"},
    {"name: t\ntask-mode: all\nmydumpers:\n  g: {threads: .Inf}\n", "line 4: cannot unmarshal !!float `.Inf` into int"},
    {"name: t\ntask-mode: all\nmydumpers:\n  g: {chunk-filesize: .NAN}\n", "line 4: cannot unmarshal !!float `.NAN` into int64"},
    {"name: t\ntask-mode: all\nloaders:\n  g: {pool-size: -.inf}\n", "line 4: cannot unmarshal !!float `-.inf` into int"},
    {"name: t\ntask-mode: all\nheartbeat-update-interval: .INF\n", "line 3: cannot unmarshal !!float `.INF` into int"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    syncer-thread: .nan\n",
     "line 6: cannot unmarshal !!float `.nan` into int"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    syncer: {worker-count: .nan}\n",
     "cannot unmarshal !!float `.nan` into int"},
    {"name: t\ntask-mode: all\n" TGT "mysql-instances:\n  - source-id: s1\n    mydumper: {threads: -.Inf}\n",
     "cannot unmarshal !!float `-.Inf` into int"},
    {"name: t\ntask-mode: incremental\n" TGT "mysql-instances:\n  - source-id: s1\n    meta: {binlog-name: b, binlog-pos: .nan}\n",
     "line 6: cannot unmarshal !!float `.nan` into uint32"},
    {"name: t\ntask-mode: incremental\n" TGT "mysql-instances:\n  - source-id: s1\n    meta: {binlog-name: b, binlog-pos: .inf}\n",
     "line 6: cannot unmarshal !!float `.inf` into uint32"},
    {"name: t\ntarget-database: {host: h, port: !!float .nan}\n", "line 2: cannot unmarshal !!float `.nan` into int"},
    {"name: t\ntask-mode: all\nsyncers:\n  g: {batch: +.INF}\n", "line 4: cannot unmarshal !!float `+.INF` into int"},
    {"name: t\ntask-mode: all\nsyncers:\n  g: {batch: -.INF}\n", "line 4: cannot unmarshal !!float `-.INF` into int"},
    {"name: t\nname: u\n", "line 2: field name already set in type config.TaskConfig"},
    {"name: t\nroutes:\n  r: {a: 1}\n", "line 3: field a not found in type router.TableRule"},
    {"name: t\nroutes: [1]\n", "line 2: cannot unmarshal !!seq into map[string]*router.TableRule"},
    {"name: t\nmysql-instances: abcdefghijklmn\n", "cannot unmarshal !!str `abcdefg...` into []*config.MySQLInstance"},
    {"just a string\n", "line 1: cannot unmarshal !!str `just a ...` into config.TaskConfig"},
    {"name: t\ntask-mode: all\nfoo: 1\nbar: 2\n", "line 3: field foo not found in type config.TaskConfig\n  line 4: field bar not found in type config.TaskConfig"},
    /* issue 12: an invalid Go regexp fails the config, naming rule, key and pattern */
    {"name: t\ntask-mode: all\n" TGT INST "black-white-list:\n  bw:\n    do-tables:\n      - {db-name: s, tbl-name: '~^keep_\\q+$'}\n",
     "[code=26006:class=dm-master:scope=internal:level=medium] fail to initial checker: generate black white list error: "
     "black-white-list bw: do-tables tbl-name \"~^keep_\\q+$\": error parsing regexp: invalid escape sequence: `\\q`"},
    {"name: t\ntask-mode: all\n" TGT INST "black-white-list:\n  bw: {ignore-dbs: ['~(']}\n",
     "black-white-list bw: ignore-dbs \"~(\": error parsing regexp: missing closing ): `(`"},
    {"name: t\ntask-mode: all\n" TGT INST "filters:\n  f1: {schema-pattern: s, sql-pattern: ['^drop', 'a**'], action: Ignore}\n",
     "[code=36030:class=dm-master:scope=internal:level=high] generate binlog event filter: initial rule f1 in binlog "
     "event filter: compile regular expression [^drop a**]: error parsing regexp: invalid nested repetition operator: `**`"},
    {"name: t\ntask-mode: all\n" TGT INST "filters:\n  f1: {schema-pattern: s, events: [insert], action: Skip}\n",
     "initial rule f1 in binlog event filter: action of binlog event rule should be Do or Ignore, not \"Skip\""},
    {"name: t\ntask-mode: all\n" TGT INST "filters:\n  f1: {schema-pattern: s, events: [inserts], action: Do}\n",
     "initial rule f1 in binlog event filter: unknown event type \"inserts\""},
    {"name: t\ntask-mode: all\n" TGT INST "column-mappings:\n  m: {schema-pattern: s, source-column: id, target-column: id, expression: partition id, arguments: ['1']}\n",
     "[code=26004:class=dm-master:scope=internal:level=medium] fail to initial checker: generate column mapping error: "
     "column-mapping m: arguments 1 of expression partition id should be 3 or 4"},
};

START_TEST(bad_configs)
{
    const struct bad_case *bc = &bad[_i];
    struct master_task_cfg *c = NULL;
    char *err = NULL;
    int rc = master_taskcfg_parse(bc->yaml, strlen(bc->yaml), &c, &err);
    ck_assert_msg(rc == DM_E_INVAL, "case %d: rc %d", _i, rc);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, bc->want) != NULL, "case %d: got [%s] want [%s]", _i, err, bc->want);
    ck_assert_msg(strncmp(err, "[code=", 6) == 0, "case %d: no DM prefix: %s", _i, err);
    free(err);
}
END_TEST

/* issue 17: aliases are charged at their expanded size (yamljson_budget), so neither a
 * 32 KiB scalar aliased 3,000 times nor billion laughs reach the decoder's copies. */
START_TEST(alias_amplification_is_a_config_error)
{
    size_t cap = 32768 + 3000 * 4 + 256;
    char *y = malloc(cap);
    ck_assert_ptr_nonnull(y);
    size_t n = (size_t)snprintf(y, cap, "name: t\ntask-mode: all\nignore-checking-items: [&a \"");
    memset(y + n, 'x', 32768);
    n += 32768;
    n += (size_t)snprintf(y + n, cap - n, "\"");
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(y + n, cap - n, ",*a");
    snprintf(y + n, cap - n, "]\n");
    struct master_task_cfg *c = NULL;
    char *err = NULL;
    ck_assert_int_eq(master_taskcfg_parse(y, strlen(y), &c, &err), DM_E_INVAL);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "[code=20003:class=dm-master:scope=internal:level=medium] decode task "
                              "config failed: yaml: document too large: its aliases expand to more than") != NULL,
                  "%s", err);
    free(err);
    free(y);
    const char *lol =
        "name: t\nfoo:\n"
        "  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    ck_assert_int_eq(master_taskcfg_parse(lol, strlen(lol), &c, &err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "yaml: document too large") != NULL, "%s", err);
    free(err);
    /* an anchor used inside itself (go-yaml: "value contains itself") */
    const char *self = "name: t\nfoo: &s [1, *s]\n";
    ck_assert_int_eq(master_taskcfg_parse(self, strlen(self), &c, &err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "yaml: anchor 's' value contains itself") != NULL, "%s", err);
    free(err);
}
END_TEST

START_TEST(anchors_and_encrypted_password_pass_through)
{
    const char *y = "name: t\ntask-mode: all\n"
                    "target-database: &db {host: h, port: 1, user: u, password: \"/Q7B9DizNLLTTfiZHv9WoEAKamfpIUs=\"}\n"
                    "mysql-instances:\n  - source-id: s1\n    mydumper: &m {threads: 9}\n  - source-id: s2\n    mydumper: *m\n";
    struct master_task_cfg *c = NULL;
    char *err = NULL;
    ck_assert_int_eq(master_taskcfg_parse(y, strlen(y), &c, &err), DM_OK);
    ck_assert_str_eq(c->target_db->password, "/Q7B9DizNLLTTfiZHv9WoEAKamfpIUs=");
    struct master_instance *i2 = c->instances.items[1];
    ck_assert_int_eq(i2->mydumper->threads, 9);
    master_taskcfg_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("taskcfg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, good_config_and_subtask);
    tcase_add_loop_test(tc, bad_configs, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, alias_amplification_is_a_config_error);
    tcase_add_test(tc, anchors_and_encrypted_password_pass_through);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}
