/* dmctl_out.h - one pb.Master call and dmctl's printing of its outcome (§4):
 * jsonpb (PBJSON_DMCTL) + '\n'; the check-task raw-message substitution; the
 * condensed query-status; Go's rendering of a failed gRPC call
 * ("rpc error: code = Unavailable desc = ...").
 * Thread-safety: single-threaded (uses the ctx's channel). */
#ifndef DMCTL_OUT_H
#define DMCTL_OUT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dmctl.h"

/* dmctl's marker of a checker failure in start/update/check-task msg. */
#define DMCTL_CHECK_HEADER "fail to check synchronization configuration with type"

/* Call pb.Master/<method> with `req` (borrowed) and deadline timeout_ms. DM_OK with
 * *resp owned by the caller (protobuf_c_message_free_unpacked) when the call returned
 * gRPC OK; otherwise an error with Go's grpc error text in `why`
 * ("rpc error: code = Unavailable desc = ..."). */
int dmctl_call(struct dmctl *c, const char *method, const ProtobufCMessage *req,
               int64_t timeout_ms, ProtobufCMessage **resp, struct dm_buf *why);

/* The response's `result` bool field (false when it has none). */
bool dmctl_resp_result(const ProtobufCMessage *resp);

/* Print resp as jsonpb + '\n'. Returns the exit status: 0 iff result=true. */
int dmctl_print_resp(struct dmctl *c, const ProtobufCMessage *resp);
/* Same, with DM's PrettyPrintResponseWithCheckTask special case: when `msg` contains
 * DMCTL_CHECK_HEADER the raw msg replaces the JSON string and "detail: {" gets indented
 * (the output is then not JSON, as in DM). `resp` is restored before return. */
int dmctl_print_check_resp(struct dmctl *c, ProtobufCMessage *resp);

/* Build "rpc error: code = <Go code name> desc = <details>". */
int dmctl_grpc_error_text(int status, const char *details, struct dm_buf *out);


/* Read a command's file argument (task.yaml, worker/master TOML). DM_OK with *content
 * malloc'd, or prints DM's "get file content error:\nopen <path>: <reason>" and
 * returns DM_E_IO. Files over 64 MiB are refused (DM_E_TOO_LARGE, same message). */
int dmctl_read_file(struct dmctl *c, const char *path, char **content);
/* Print "<prefix>\n<why>" (DM's "can not ... :\n<error>") and return exit status 1. */
int dmctl_print_call_error(struct dmctl *c, const char *prefix, const struct dm_buf *why);
/* dmctl_call + print: the response (with the check-task case when `check`) or
 * "<prefix>\n<error>". `req` borrowed. Returns the exit status. */
int dmctl_call_print(struct dmctl *c, const char *method, const ProtobufCMessage *req,
                     int64_t timeout_ms, bool check, const char *prefix);
/* rpc_global_shutdown() if dmctl_call initialised gRPC (call after freeing channels). */
void dmctl_rpc_shutdown(void);
#endif /* DMCTL_OUT_H */
