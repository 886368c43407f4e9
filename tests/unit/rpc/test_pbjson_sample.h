/* test_pbjson_sample.h - the query-status answer behind tests/data/golden/query_status.*
 * built in C from INIT'ed stack messages (nothing to free). Shared by test_pbjson.c
 * and test_dmjson.c. Two workers of task "test": one Running in Sync with relay
 * Running, one Paused in Load with a ProcessError (HTML characters in msg). */
#ifndef DM_TEST_PBJSON_SAMPLE_H
#define DM_TEST_PBJSON_SAMPLE_H

#include "dmmaster.pb-c.h"

struct qs_sample {
    Pb__QueryStatusListResponse resp;
    Pb__QueryStatusResponse w1, w2;
    Pb__QueryStatusResponse *workers[2];
    Pb__SubTaskStatus st1, st2;
    Pb__SubTaskStatus *sts1[1], *sts2[1];
    Pb__SyncStatus sync;
    Pb__LoadStatus load;
    Pb__RelayStatus relay;
    Pb__ProcessResult pr;
    Pb__ProcessError pe;
    Pb__ProcessError *pes[1];
    Pb__TError te;
};

static inline void qs_sample_init(struct qs_sample *s)
{
    Pb__QueryStatusListResponse resp = PB__QUERY_STATUS_LIST_RESPONSE__INIT;
    Pb__QueryStatusResponse w = PB__QUERY_STATUS_RESPONSE__INIT;
    Pb__SubTaskStatus st = PB__SUB_TASK_STATUS__INIT;
    Pb__SyncStatus sync = PB__SYNC_STATUS__INIT;
    Pb__LoadStatus load = PB__LOAD_STATUS__INIT;
    Pb__RelayStatus relay = PB__RELAY_STATUS__INIT;
    Pb__ProcessResult pr = PB__PROCESS_RESULT__INIT;
    Pb__ProcessError pe = PB__PROCESS_ERROR__INIT;
    Pb__TError te = PB__TERROR__INIT;
    static char pos[] = "(mysql-bin.000001, 3234)";

    s->sync = sync;
    s->sync.totalevents = 12;
    s->sync.masterbinlog = pos;
    s->sync.syncerbinlog = pos;
    s->sync.synced = 1;
    s->st1 = st;
    s->st1.name = (char *)"test";
    s->st1.stage = PB__STAGE__Running;
    s->st1.unit = PB__UNIT_TYPE__Sync;
    s->st1.status_case = PB__SUB_TASK_STATUS__STATUS_SYNC;
    s->st1.sync = &s->sync;
    s->relay = relay;
    s->relay.masterbinlog = pos;
    s->relay.relaysubdir = (char *)"0-1.000001";
    s->relay.relaybinlog = pos;
    s->relay.relaycatchupmaster = 1;
    s->relay.stage = PB__STAGE__Running;
    s->w1 = w;
    s->w1.result = 1;
    s->w1.worker = (char *)"172.16.10.72:8262";
    s->sts1[0] = &s->st1;
    s->w1.n_subtaskstatus = 1;
    s->w1.subtaskstatus = s->sts1;
    s->w1.relaystatus = &s->relay;
    s->w1.sourceid = (char *)"mysql-replica-01";

    s->te = te;
    s->te.errcode = 10006;
    s->te.errclass = 1;
    s->te.errscope = 2;
    s->te.errlevel = 3;
    s->te.message = (char *)"execute statement failed";
    s->pe = pe;
    s->pe.type = PB__ERROR_TYPE__ExecSQL;
    s->pe.msg = (char *)"[code=10006:class=database:scope=downstream:level=high] execute "
                        "statement failed: <nil> & more";
    s->pe.error = &s->te;
    s->pes[0] = &s->pe;
    s->pr = pr;
    s->pr.n_errors = 1;
    s->pr.errors = s->pes;
    s->load = load;
    s->load.finishedbytes = 115;
    s->load.totalbytes = 452;
    s->load.progress = (char *)"25.44 %";
    s->load.metabinlog = (char *)"(mysql-bin.000001, 154)";
    s->st2 = st;
    s->st2.name = (char *)"test";
    s->st2.stage = PB__STAGE__Paused;
    s->st2.unit = PB__UNIT_TYPE__Load;
    s->st2.result = &s->pr;
    s->st2.status_case = PB__SUB_TASK_STATUS__STATUS_LOAD;
    s->st2.load = &s->load;
    s->w2 = w;
    s->w2.result = 1;
    s->w2.worker = (char *)"172.16.10.73:8262";
    s->sts2[0] = &s->st2;
    s->w2.n_subtaskstatus = 1;
    s->w2.subtaskstatus = s->sts2;
    s->w2.sourceid = (char *)"mysql-replica-02";

    s->resp = resp;
    s->resp.result = 1;
    s->workers[0] = &s->w1;
    s->workers[1] = &s->w2;
    s->resp.n_workers = 2;
    s->resp.workers = s->workers;
}

#endif /* DM_TEST_PBJSON_SAMPLE_H */
