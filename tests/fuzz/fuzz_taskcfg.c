/* fuzz_taskcfg.c - the task config (master/taskcfg*.c: DM's Decode + adjust + the rule
 * checks) on arbitrary YAML, as start-task / update-task / check-task and the gateway's
 * task routes hand it over. Every refusal must carry a message; whatever is accepted must
 * say which settings the worker does not support without crashing, and parsing twice must
 * agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "taskcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(void *ctx, const char *setting, const char *msg, const char *instruction)
{
    *(size_t *)ctx += strlen(setting) + strlen(msg) + strlen(instruction);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct master_task_cfg *c = NULL, *c2 = NULL;
    char *err = NULL, *err2 = NULL;
    if (size > 16384)
        return 0;
    int rc = master_taskcfg_parse((const char *)data, size, &c, &err);
    int rc2 = master_taskcfg_parse((const char *)data, size, &c2, &err2);
    if (rc != rc2)
        abort();
    if (rc == DM_OK) {
        size_t n = 0;
        if (!c || !c2 || c->instances.n != c2->instances.n)
            abort();
        (void)master_taskcfg_unsupported(c, count, &n);
    } else if (rc != DM_E_NOMEM && (!err || !err[0] || !err2 || strcmp(err, err2) != 0)) {
        abort();
    }
    master_taskcfg_free(c);
    master_taskcfg_free(c2);
    free(err);
    free(err2);
    return 0;
}
