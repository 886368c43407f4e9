/* taskcfg_int.h - internals shared by taskcfg.c, taskcfg_decode.c and subtask.c
 * (not part of the master's public surface). */
#ifndef DM_MASTER_TASKCFG_INT_H
#define DM_MASTER_TASKCFG_INT_H

#include "taskcfg.h"
#include "yamltree.h"

struct schema;

/* Decode only (yaml.v2 UnmarshalStrict semantics, no adjust). */
int master_taskcfg_decode(const char *yaml, size_t len, struct master_task_cfg **out, char **err);

void master_strv_free(struct master_strv *v);
void master_vec_free(struct master_vec *v, const struct schema *sc);
void master_struct_free(void *obj, const struct schema *sc);
const struct schema *master_schema_mydumper(void);
const struct schema *master_schema_loader(void);
const struct schema *master_schema_syncer(void);

#endif /* DM_MASTER_TASKCFG_INT_H */
