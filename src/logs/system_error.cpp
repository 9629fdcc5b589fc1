#include "prs/logs/system_error.hpp"

#include <fmt/format.h>

#include "prs/logs/log_file.hpp"

namespace prs::logs {

bool is_system_failure(const protocol::AttemptResult& r) {
    using S = protocol::AttemptStatus;
    switch (r.status) {
        case S::RunTimeout:
        case S::LoadFailed:
        case S::LoadTimeout:
        case S::ProcessDied:
            return true;
        default:
            return r.error_category == "SystemError";  // prs_runtime itself failed
    }
}

void record_system_failure(const Layout& layout, const protocol::AttemptResult& r) noexcept {
    if (!is_system_failure(r)) return;
    try {
        LogFile(layout.sys_error(r.node_id, r.process))
            .line("ERROR", fmt::format("mini-batch {} attempt {}: {}: {}", r.mini_batch_id, r.attempt + 1,
                                       protocol::status_name(r.status), r.error_message));
    } catch (const std::exception&) {
        // The failure itself still reaches rank 0 and the other logs.
    }
}

}  // namespace prs::logs
