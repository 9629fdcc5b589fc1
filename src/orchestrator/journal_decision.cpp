#include "prs/orchestrator/journal_decision.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace prs::orchestrator {

namespace fs = std::filesystem;

JournalDecision decide_from_journal(const config::JobSpec& job, const fs::path& journal_file,
                                    const std::string& fingerprint, bool fresh, bool retry_failed,
                                    std::uint64_t mini_batch_count) {
    JournalDecision d;
    if (fresh) return d;
    auto previous = Journal::read(journal_file, mini_batch_count);
    if (!previous) return d;
    // Another job's journal (its header says so) may not fit this job's partition either.
    // --retry-failed asks for the same input and partitioning only: the fix is in the script.
    std::string changed;        // " with the changed entry script"
    std::string changed_parts;  // "entry script"
    if (!previous->fingerprint.empty() && previous->fingerprint != fingerprint) {
        const auto changes = fingerprint_changes(previous->fingerprint, fingerprint);
        const auto input = input_fingerprint(fingerprint);
        if (!retry_failed || input.empty() || input_fingerprint(previous->fingerprint) != input) {
            d.fresh_because = retry_failed ? fmt::format(
                                                 "--retry-failed needs the same input and partitioning, and "
                                                 "{} changed",
                                                 fmt::join(changes, " and "))
                                           : fmt::format(
                                                 "the run directory holds a run of another job, input or "
                                                 "entry script ({} changed{})",
                                                 fmt::join(changes, " and "),
                                                 input_fingerprint(previous->fingerprint) == input && !input.empty()
                                                     ? "; --retry-failed would keep its succeeded "
                                                       "mini-batches"
                                                     : "");
            return d;
        }
        changed_parts = fmt::format("{}", fmt::join(changes, " and "));
        changed = " with the changed " + changed_parts;
    }
    if (!previous->damage.empty()) {
        d.fresh_because =
            fmt::format("the journal {} is damaged or not this job's ({})", journal_file.string(), previous->damage);
        return d;
    }
    if (previous->finished && previous->succeeded && !retry_failed && !job.is_deterministic) {
        d.fresh_because = "is_deterministic is false";
        return d;
    }
    // The output must still hold what the journal says was committed: another job may have
    // written it, or someone cut or edited it.
    if (job.append_row_file) {
        if (auto mismatch = output_mismatch(*previous, *job.append_row_file, previous->finished); !mismatch.empty()) {
            d.fresh_because = std::move(mismatch);
            return d;
        }
    }
    const auto failed = previous->failed_count();
    if (previous->finished && previous->succeeded && (!retry_failed || failed == 0)) {
        d.reuse = true;
        if (retry_failed)
            d.reuse_because = "--retry-failed: no mini-batch of the last run failed" +
                              (changed_parts.empty() ? "" : "; its output predates the changed " + changed_parts);
        return d;
    }
    if (previous->finished || failed > 0 || !changed.empty()) {
        d.restart = true;
        d.resume_because =
            fmt::format("{} mini-batches failed{}{}", failed,
                        previous->finished && !previous->succeeded ? " and the run failed" : "", changed);
    }
    d.resume = kept_part(*previous);
    return d;
}

}  // namespace prs::orchestrator
