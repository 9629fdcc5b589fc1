#pragma once
// `prs_mpi --version`: what a support ticket needs — prs_mpi's version, commit and build,
// and the versions of the libraries and the Python it runs with.

#include <filesystem>
#include <string>

namespace prs::app {

// The report, one "name version" line each. `worker` is the prs_mpi_worker binary, asked
// for its embedded Python's versions (a Python that cannot start is reported, not fatal).
std::string version_report(const std::filesystem::path& worker);

}  // namespace prs::app
