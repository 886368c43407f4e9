// absl_tune.cc - the one C++ file: process-wide Abseil settings gRPC core runs under.
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
