/* dmreply.h - "HTTP status tells the truth": map a DM master answer (gRPC OK, result in
 * band) to an HTTP status, and clean its messages, by walking the protobuf-c
 * descriptors (works for every pb.Master response type).
 *
 * Rules (rest-api.md): top-level result=false -> status from the DM error code in msg
 * (dmreply_status_for_msg); all results true (top level and every workers[] entry,
 * `result` or `meta.result`) -> ok_status; some workers false -> 207 (only a mix is
 * partial); every worker false -> the status of the workers' errors (the first one with
 * a known cause, else 500), even when the top-level result is true (StartTask).
 * Codes are read through DM's wrappers: 38032 "operation ... not success" and 38008
 * "grpc request error" carry the real error's "[code=...]" later in the same msg, so
 * the innermost non-wrapper code is the reason (40055 inside 38032 -> 409).
 * Thread-safety: reentrant. */
#ifndef GW_DMREPLY_H
#define GW_DMREPLY_H

#include <protobuf-c/protobuf-c.h>

/* HTTP status for a failed DM message; *dm_code gets the innermost non-wrapper DM
 * code (0 if none). The status comes from the innermost code the table knows, then
 * from DM v1.0's code-less texts, else 500. */
int dmreply_status_for_msg(const char *msg, int *dm_code);
/* HTTP status of a whole answer; *dm_code as above (the deciding failure's code; 0 for 2xx and 207). */
int dmreply_status(const ProtobufCMessage *resp, int ok_status, int *dm_code);
/* Cut Go stack traces from every string field called "msg" (in place, recursive). */
void dmreply_strip_stacks(ProtobufCMessage *resp);
/* Top-level "msg" of the answer ("" when the type has none). Borrowed. */
const char *dmreply_msg(const ProtobufCMessage *resp);

#endif /* GW_DMREPLY_H */
