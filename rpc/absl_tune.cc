// absl_tune.cc - the one C++ file: process-wide Abseil and gRPC core settings.
//
// Debian builds Abseil without NDEBUG, so absl::Mutex keeps its debug-build default of
// tracking lock order for deadlock detection (a GraphCycles lookup on every Lock/Unlock
// of every gRPC mutex): about 20 % of the instructions of a unary call on our servers
// (callgrind, docs/benchmarks.md). Release builds of Abseil have it off; we turn it off
// too unless DMGW_ABSL_DEADLOCK_DETECTION=1 asks for it (debugging gRPC lock order).
// Called once, before grpc_init, by rpc_global_init (rpc_int.h).
#include <cstdlib>
#include <cstring>

#include <absl/synchronization/mutex.h>

extern "C" void rpc_absl_tune(void);

extern "C" void rpc_absl_tune(void)
{
    const char *v = std::getenv("DMGW_ABSL_DEADLOCK_DETECTION");
    if (v && std::strcmp(v, "1") == 0)
        return;
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

// gRPC core offloads a contended combiner (the channel's transport work when an MHD
// thread and the completion-queue thread both touch it) to its "default executor"
// threads once the completion thread has an event ready: one more thread woken (futex)
// and a context switch per request under load, plus that thread's stack. A process that
// asks for it (dm-gateway: rpc_global_small_unary_client) runs that work inline on the
// thread that queued it instead. The resolver executor (blocking getaddrinfo) keeps its
// threads. grpc_core::Executor is internal API of the libgrpc we link (1.51, exported).
namespace grpc_core {
class Executor {
 public:
  static void SetThreadingDefault(bool enable);
};
}  // namespace grpc_core

extern "C" void rpc_grpc_tune(bool inline_executor);

extern "C" void rpc_grpc_tune(bool inline_executor)
{
    if (inline_executor)
        grpc_core::Executor::SetThreadingDefault(false);
}
