#pragma once
// Rank 0 at start-up, from the run directory's journal: resume an interrupted or failed run
// of the same job, reuse a finished one, or start fresh, and say why.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "prs/config/job_spec.hpp"
#include "prs/orchestrator/journal.hpp"

namespace prs::orchestrator {

struct JournalDecision {
    std::optional<JournalState> resume;  // what the run keeps (kept_part of one that ended)
    bool restart = false;                // the journal is written anew from `resume` (Journal::restart)
    bool reuse = false;
    std::string reuse_because;  // --retry-failed, and nothing failed: why nothing runs
    std::string fresh_because;
    std::string resume_because;  // why a run that ended goes on: its failed mini-batches run again
};

// `fingerprint`: this job's (job_fingerprint). `retry_failed`: --retry-failed, which asks for
// the same input and partitioning only (the fix is usually in the entry script) and runs the
// failed mini-batches of a finished run too. `mini_batch_count`: the partition's.
JournalDecision decide_from_journal(const config::JobSpec& job, const std::filesystem::path& journal_file,
                                    const std::string& fingerprint, bool fresh, bool retry_failed,
                                    std::uint64_t mini_batch_count);

}  // namespace prs::orchestrator
