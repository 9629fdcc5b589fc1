#pragma once
// One way to say an error to a user (docs/design.md §9): where it is, what is wrong and
// how to fix it, rendered by one function, and one spelling of a failed system call.

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace prs::util {

struct Problem {
    // "job.yml:12:3", "/data/in/MLTable" (a file, with or without a position); empty: the
    // command line or the program as a whole.
    std::string where;
    std::string problem;  // what is wrong, without a final period ("retry_settings.timeout: expected ...")
    std::string fix;      // what the user should do; may be empty
    // Lines shown after the fix that may explain the error (the job file's warnings so far:
    // a misspelt key often causes a "missing" error).
    std::vector<std::string> notes;
};

// The form printed before exit 2, every line a user reads:
//   "<where>: error: <problem>.\n  Fix: <fix>"   (compilers' "file:line: error:")
//   "prs_mpi: <problem>.\n  Fix: <fix>"         (no where: the program is the place)
// The "\n  Fix: ..." line is left out when there is no fix; each note follows on its own line.
std::string render(const Problem& p);
// The one-line form, for messages that also land in one-line log fields (the Error Message
// column of processed_mini-batches.csv, the master log): "<where>: <problem>. Fix: <fix>".
// It carries no "prs_mpi:" prefix; report_text() adds it where it reaches the terminal.
std::string render_line(const Problem& p);

// A user's mistake (bad job file, bad input): the program prints it and exits 2.
class UserError : public std::runtime_error {
public:
    enum class Form { Terminal, Line };
    explicit UserError(Problem p, Form form = Form::Terminal);
    // A message already whole (a usage line), or a part that a caller wraps into a Problem.
    explicit UserError(std::string text, Form form = Form::Terminal);
    const Problem& problem() const { return problem_; }
    Form form() const { return form_; }

private:
    Problem problem_;
    Form form_;
};

// What the terminal shows for `e`, the "prs_mpi:" prefix included exactly once: the
// terminal form as it is, the one-line form after "prs_mpi: error: ".
std::string report_text(const UserError& e);

// A failed system call, from the errno it left: what() reads "<what>: <strerror>", and
// code() holds the error for callers that tell ENOSPC from EACCES.
std::system_error errno_error(std::string_view what);
std::system_error errno_error(int error, std::string_view what);

}  // namespace prs::util
