/* scripted_worker.h - a scripted pb.Worker on rpc/'s server for dm-master tests: keeps
 * subtasks in memory with DM's stage rules and op-log, answers QueryWorkerConfig with a
 * given [from] TOML, and can be slowed down per call.
 * Needs dmrpc + dmproto at link time (the master tests link them).
 * Thread-safety: the setters may be called while the server runs. */
#ifndef DM_SCRIPTED_WORKER_H
#define DM_SCRIPTED_WORKER_H

struct scripted_worker;

/* Start on 127.0.0.1:<free port>; *port receives it. from_toml is the
 * QueryWorkerConfig content (copied). NULL on failure. */
struct scripted_worker *sw_start(const char *source_id, const char *from_toml, int *port);
/* Delay every answer by ms. */
void sw_set_delay(struct scripted_worker *w, int ms);
/* Next StartSubTask's op-log entry fails with this message (copied; NULL = success). */
void sw_fail_next_start(struct scripted_worker *w, const char *msg);
/* Number of calls of a method ("StartSubTask", ...). */
int sw_calls(struct scripted_worker *w, const char *method);
void sw_stop(struct scripted_worker *w);

#endif
