#pragma once
// A command step's fingerprint: its resolved command and environment, and the listing
// (path, size, mtime) of its code folder and data inputs. Equal fingerprints mean a rerun
// would do the same work, so a finished step is reused.

#include <filesystem>
#include <string>
#include <vector>

#include "prs/config/pipeline_spec.hpp"

namespace prs::pipeline {

// `skip`: folders left out of listings (the run directory, when it lies in the code folder).
std::string step_fingerprint(const config::PipelineStep& step, const std::vector<std::filesystem::path>& skip);

// 64-bit FNV-1a, as 16 hex digits.
std::string fnv1a_hex(const std::string& bytes);

}  // namespace prs::pipeline
