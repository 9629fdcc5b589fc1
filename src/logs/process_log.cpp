#include "prs/logs/process_log.hpp"

#include <fmt/format.h>

#include "prs/logs/log_file.hpp"

namespace prs::logs {

std::string attempt_message(const protocol::AttemptResult& r, const std::string& ip) {
    const std::uint32_t ok = std::min(r.succeeded, r.total);
    std::string message = fmt::format(
        "mini-batch {} attempt {} on {} pid {}: {} items, {} succeeded, {} failed; started {}; elapsed {:.3f} s, "
        "process CPU {:.3f} s, run() {:.3f} s; {}",
        r.mini_batch_id, r.attempt + 1, ip, r.pid, r.total, ok, r.total - ok,
        r.start_us ? iso_timestamp(r.start_us) : std::string("-"), r.elapsed_s, r.process_cpu_s, r.run_method_s,
        protocol::status_name(r.status));
    if (!r.error_message.empty()) message += ": " + r.error_message;
    return message;
}

}  // namespace prs::logs
