#include "prs/orchestrator/io_failure.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "prs/util/unique_fd.hpp"
#include "prs/util/write_fully.hpp"

namespace prs::orchestrator {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kResume =
    "then run the same command again: it resumes after the last committed mini-batch, and every row is written "
    "once";

std::string fix_for(std::error_code ec) {
    if (ec == std::errc::no_space_on_device || ec.value() == EDQUOT)
        return fmt::format(
            "free space on that filesystem (or write the output elsewhere: the output's `path`, "
            "--run-dir), {}",
            kResume);
    if (ec == std::errc::read_only_file_system || ec == std::errc::permission_denied ||
        ec == std::errc::operation_not_permitted)
        return fmt::format(
            "make that path writable (or write the output elsewhere: the output's `path`, "
            "--run-dir), {}",
            kResume);
    return fmt::format("check that path and the filesystem it is on, {}", kResume);
}

}  // namespace

std::error_code probe_writable(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return ec;
    const fs::path probe = dir / fmt::format(".prs_mpi_write_check.{}", ::getpid());
    util::UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return {errno, std::generic_category()};
    int error = util::write_fully(fd.get(), "\n");
    if (!error && ::fdatasync(fd.get()) != 0 && errno != EINVAL) error = errno;
    fd.reset();
    ::unlink(probe.c_str());
    return error ? std::error_code(error, std::generic_category()) : std::error_code();
}

std::string unwritable_message(const fs::path& dir, std::string_view what_for, std::error_code ec) {
    std::string fix = fix_for(ec);
    // Nothing ran yet, so there is nothing to resume: the rerun simply runs.
    fix = fix.substr(0, fix.find(", then run")) + ", then run the same command again";
    return fmt::format("cannot write to the {} {}: {}. Fix: {}.", what_for, dir.string(), ec.message(), fix);
}

std::string io_error_fix(const std::exception& e) {
    if (const auto* s = dynamic_cast<const std::system_error*>(&e)) return fix_for(s->code());
    return fmt::format("look at the message above, {}", kResume);
}

}  // namespace prs::orchestrator
