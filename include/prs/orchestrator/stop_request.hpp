#pragma once
// SIGTERM, SIGINT and SIGUSR1 ask the job to stop (Slurm's warning before the time limit,
// scancel, Ctrl-C). Rank 0 stops dispatching, gives running mini-batches a grace
// period, commits its journal and exits with the resumable code. The other ranks
// ignore these signals and wait for rank 0's orders.

namespace prs::orchestrator {

// Rank 0: record stop requests. Other ranks: ignore the signals.
void install_stop_handlers(bool rank0);

struct StopRequest {
    int signal = 0;  // the first signal received, 0 when none
    int count = 0;   // a second request means: do not wait any longer
};
StopRequest stop_request();

}  // namespace prs::orchestrator
