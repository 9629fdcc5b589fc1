#pragma once
// Rank 0 and a filesystem that refuses writes (full, over quota, read-only): the check
// before a run that the folders it writes take a file at all, and the advice a failed
// write mid-run ends the job with. Committed mini-batches stay in the journal either
// way, so the advice always ends with the rerun that resumes.

#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace prs::orchestrator {

// Creates `dir` if needed, writes and syncs one byte in a temporary file there, removes
// it. The error, or an empty code when the folder takes files. A byte, not only a file:
// a full filesystem still creates empty files.
std::error_code probe_writable(const std::filesystem::path& dir);

// Before a run: "cannot write to the output folder DIR: No space left on device. Fix: ...".
std::string unwritable_message(const std::filesystem::path& dir, std::string_view what_for, std::error_code ec);

// What to do after `e` stopped the job while writing the output, the journal or a log.
std::string io_error_fix(const std::exception& e);

}  // namespace prs::orchestrator
