#pragma once
// logs/sys/node/<node>/<processNNN>.txt: one line per mini-batch attempt a worker ran,
// written by its agent, which sees every result including the ones the worker never
// reported (timeouts, deaths).

#include <string>

#include "prs/protocol/messages.hpp"

namespace prs::logs {

// "mini-batch 3 attempt 1 on 10.0.0.4 pid 812: 5 items, 5 succeeded, 0 failed; started ...;
//  elapsed 0.210 s, process CPU 0.010 s, run() 0.200 s; RUN_DONE"
// Appended to `out` (a log's buffer) in place: this runs once per attempt on every rank.
void append_attempt_message(std::string& out, const protocol::AttemptResult& r, const std::string& ip);

}  // namespace prs::logs
