/* method.c - rpc_method_find: a per-service method table built once from the
 * protobuf-c service descriptor and kept for the life of the process (the returned
 * pointers are "static": never freed).
 *
 * protobuf-c descriptors do not record streaming, so the streaming methods of our
 * protos are listed here (dm-v1-wire.md: only pb.Worker/FetchDDLInfo is a stream). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

#define MAX_SERVICES 16

struct svc_table {
    const ProtobufCServiceDescriptor *svc;
    struct rpc_method *methods;   /* svc->n_methods entries, same order as svc->methods */
    char *paths;                  /* one block holding every path */
};

static const struct { const char *svc, *method; } streaming_methods[] = {
    { "pb.Worker", "FetchDDLInfo" },   /* bidi */
};

static pthread_mutex_t tables_mu = PTHREAD_MUTEX_INITIALIZER;
static struct svc_table tables[MAX_SERVICES];
static size_t ntables;

static bool is_streaming(const char *svc, const char *method)
{
    for (size_t i = 0; i < sizeof(streaming_methods) / sizeof(streaming_methods[0]); i++)
        if (!strcmp(streaming_methods[i].svc, svc) && !strcmp(streaming_methods[i].method, method))
            return true;
    return false;
}

/* Build the table of `svc` into *t. false on out-of-memory. */
static bool build_table(const ProtobufCServiceDescriptor *svc, struct svc_table *t)
{
    size_t n = svc->n_methods, total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(svc->name) + strlen(svc->methods[i].name) + 3;   /* "/" "/" NUL */
    struct rpc_method *ms = calloc(n ? n : 1, sizeof(*ms));
    char *paths = malloc(total ? total : 1);
    if (!ms || !paths) {
        free(ms);
        free(paths);
        return false;
    }
    char *p = paths;
    for (size_t i = 0; i < n; i++) {
        const ProtobufCMethodDescriptor *md = &svc->methods[i];
        size_t left = total - (size_t)(p - paths);
        int w = snprintf(p, left, "/%s/%s", svc->name, md->name);
        ms[i].path = p;
        ms[i].input = md->input;
        ms[i].output = md->output;
        ms[i].client_streaming = ms[i].server_streaming = is_streaming(svc->name, md->name);
        p += w + 1;
    }
    t->svc = svc;
    t->methods = ms;
    t->paths = paths;
    return true;
}

/* The table of `svc`, built on first use. Caller holds tables_mu. */
static const struct svc_table *table_for(const ProtobufCServiceDescriptor *svc)
{
    for (size_t i = 0; i < ntables; i++)
        if (tables[i].svc == svc)
            return &tables[i];
    if (ntables == MAX_SERVICES || !build_table(svc, &tables[ntables]))
        return NULL;
    return &tables[ntables++];
}

const struct rpc_method *rpc_method_find(const ProtobufCServiceDescriptor *svc, const char *name)
{
    if (!svc || !name || svc->magic != PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC)
        return NULL;
    const struct rpc_method *found = NULL;
    pthread_mutex_lock(&tables_mu);
    const struct svc_table *t = table_for(svc);
    for (unsigned i = 0; t && i < svc->n_methods; i++) {
        if (!strcmp(svc->methods[i].name, name)) {
            found = &t->methods[i];
            break;
        }
    }
    pthread_mutex_unlock(&tables_mu);
    return found;
}
