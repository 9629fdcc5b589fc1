#pragma once
// A worker's life after its WorkerSetup: start the entry script, answer RunTask with
// TaskDone until StopWorker or until the agent goes away, marking on the WorkerBoard
// which mini-batch runs.

#include "prs/protocol/channel.hpp"
#include "prs/protocol/worker_board.hpp"

namespace prs::worker {

// Exit code of the worker process. Ends the process itself (no return) when init()
// failed or the agent closed the channel.
int serve(protocol::ChannelToAgent& channel, protocol::WorkerBoard& board, const protocol::WorkerSetup& setup);

}  // namespace prs::worker
