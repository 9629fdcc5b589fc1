#pragma once
// The run directory: a job's logs, journal and default outputs. Its default name comes from
// the job's `name`, which a job file may set to anything ("/some/dir", "../../x"), and a fresh
// run clears the logs/ in it; so the default is one folder under ./prs_runs/, and prs_mpi
// clears only a logs/ that it made.

#include <filesystem>
#include <string_view>

#include "prs/logs/layout.hpp"
#include "prs/util/user_error.hpp"

namespace prs::orchestrator {

// "prs_runs/<name>" (relative), the name made one plain folder name: every character but
// letters, digits, '.', '_' and '-' becomes '_', and so does a leading '.' (no "..", no
// hidden folder); an empty name is "_".
std::filesystem::path default_run_dir(std::string_view job_name);

// The logs/ folder is not prs_mpi's (no readme.txt of ours in it): the message names it and the fix.
class ForeignLogs : public util::UserError {
public:
    explicit ForeignLogs(util::Problem p) : UserError(std::move(p), Form::Line) {}
};

// Throws ForeignLogs unless the run directory's logs/ is missing, empty or prs_mpi's: rank 0
// asks before it writes anything else, so a refused run leaves no output behind.
void check_logs_are_ours(const logs::Layout& layout);

// A clean logs tree for a fresh run. A logs/ already there is removed only when an earlier
// run made it (its readme.txt, prs_mpi's map of the tree, marks it) or it is empty; else
// throws ForeignLogs and touches nothing.
void prepare_logs(const logs::Layout& layout);

}  // namespace prs::orchestrator
