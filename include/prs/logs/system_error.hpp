#pragma once
// logs/sys/error/<node>/<processNNN>.txt: the failures of a worker that are not its entry
// script's exception (death by a signal or an exit, a timeout kill, a load failure, a
// malformed message), one line each, so that "what went wrong on the system side" has
// one place to look, as on Azure (the user's tracebacks are in logs/user/error/).

#include "prs/logs/layout.hpp"
#include "prs/protocol/messages.hpp"

namespace prs::logs {

bool is_system_failure(const protocol::AttemptResult& r);

// Appends a line for `r` when it is a system failure; nothing otherwise. Never throws: a
// log that cannot be written must not take the agent down.
void record_system_failure(const Layout& layout, const protocol::AttemptResult& r) noexcept;

}  // namespace prs::logs
