#include "prs/util/user_error.hpp"

#include <fmt/format.h>

#include <cerrno>

namespace prs::util {

std::string render(const Problem& p) {
    std::string out =
        p.where.empty() ? fmt::format("prs_mpi: {}.", p.problem) : fmt::format("{}: error: {}.", p.where, p.problem);
    if (!p.fix.empty()) out += "\n  Fix: " + p.fix;
    for (const auto& note : p.notes) out += "\n" + note;
    return out;
}

std::string render_line(const Problem& p) {
    std::string out = p.where.empty() ? p.problem + "." : fmt::format("{}: {}.", p.where, p.problem);
    if (!p.fix.empty()) out += " Fix: " + p.fix;
    return out;
}

UserError::UserError(Problem p, Form form)
    : std::runtime_error(form == Form::Terminal ? render(p) : render_line(p)), problem_(std::move(p)), form_(form) {}

UserError::UserError(std::string text, Form form)
    : std::runtime_error(text), problem_{"", std::move(text), "", {}}, form_(form) {}

std::string report_text(const UserError& e) {
    return e.form() == UserError::Form::Terminal ? e.what() : std::string("prs_mpi: error: ") + e.what();
}

std::system_error errno_error(std::string_view what) { return errno_error(errno, what); }

std::system_error errno_error(int error, std::string_view what) {
    return std::system_error(error, std::generic_category(), std::string(what));
}

}  // namespace prs::util
