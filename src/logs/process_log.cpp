#include "prs/logs/process_log.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include "prs/logs/log_file.hpp"
#include "prs/util/text.hpp"

namespace prs::logs {

void append_attempt_message(std::string& m, const protocol::AttemptResult& r, const std::string& ip) {
    // Compiled formats and fixed-point times (see util::append_fixed) keep it to a few
    // hundred nanoseconds.
    const std::uint32_t ok = std::min(r.succeeded, r.total);
    fmt::format_to(std::back_inserter(m),
                   FMT_COMPILE("mini-batch {} attempt {} on {} pid {}: {} items, {} succeeded, {} failed; started "),
                   r.mini_batch_id, r.attempt + 1, ip, r.pid, r.total, ok, r.total - ok);
    if (r.start_us)
        append_iso_timestamp(m, r.start_us);
    else
        m += '-';
    m += "; elapsed ";
    util::append_fixed(m, r.elapsed_s, 3);
    m += " s, process CPU ";
    util::append_fixed(m, r.process_cpu_s, 3);
    m += " s, run() ";
    util::append_fixed(m, r.run_method_s, 3);
    m += " s; ";
    m += protocol::status_name(r.status);
    if (!r.error_message.empty()) {
        m += ": ";
        m += r.error_message;
    }
}

}  // namespace prs::logs
