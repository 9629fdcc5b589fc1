#include "prs/orchestrator/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "prs/util/user_error.hpp"

namespace prs::orchestrator {

namespace {

constexpr const char* kWriterAttribute = "user.prs_mpi.writer";

std::string this_process() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return fmt::format("pid {} on {}", ::getpid(), host);
}

// Takes an exclusive flock on `fd`, waiting up to `patience`; false if another holds it still.
bool lock_within(int fd, const std::filesystem::path& file, std::chrono::milliseconds patience) {
    const auto give_up = std::chrono::steady_clock::now() + patience;
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) throw util::errno_error("cannot lock " + file.string());
        if (std::chrono::steady_clock::now() >= give_up) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

std::string read_holder(int fd) {
    char buf[64] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string text(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
    return text.empty() ? "unknown" : text;
}
}  // namespace

RunDirLock::RunDirLock(const std::filesystem::path& run_dir, std::chrono::milliseconds patience) {
    std::filesystem::create_directories(run_dir);
    const auto file = run_dir / ".lock";
    fd_.reset(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_) throw util::errno_error("cannot open " + file.string());
    if (!lock_within(fd_.get(), file, patience))
        throw RunLockBusy(util::Problem{
            "",
            fmt::format("another prs_mpi ({}) is running a job in {}", read_holder(fd_.get()), run_dir.string()),
            "wait for it to end (or stop it), or give this run its own --run-dir; two runs in one run directory "
            "would write the same output file.",
            {}});
    const auto holder = this_process() + "\n";
    // Who holds it, for a second run's message; failing to say so is harmless.
    if (::ftruncate(fd_.get(), 0) != 0 || ::pwrite(fd_.get(), holder.data(), holder.size(), 0) < 0) return;
}

OutputFileLock::OutputFileLock(const std::filesystem::path& output, const std::filesystem::path& run_dir,
                               std::chrono::milliseconds patience) {
    if (output.has_parent_path()) std::filesystem::create_directories(output.parent_path());
    fd_.reset(::open(output.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_) throw util::errno_error("cannot open output file " + output.string());
    if (!lock_within(fd_.get(), output, patience)) {
        char holder[512] = {};
        const ssize_t n = ::fgetxattr(fd_.get(), kWriterAttribute, holder, sizeof holder - 1);
        throw RunLockBusy(util::Problem{
            "",
            fmt::format("another prs_mpi job ({}) is writing the output file {}",
                        n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "holder unknown", output.string()),
            "wait for it to end (or stop it), or give this job its own output path; two jobs appending to one file "
            "would lose each other's rows.",
            {}});
    }
    // Who holds it, for a second job's message; a filesystem without extended attributes
    // only makes that message vaguer.
    const auto holder = fmt::format("{}, run directory {}", this_process(), run_dir.string());
    (void)::fsetxattr(fd_.get(), kWriterAttribute, holder.data(), holder.size(), 0);
}

OutputFileLock::~OutputFileLock() {
    if (fd_) (void)::fremovexattr(fd_.get(), kWriterAttribute);
}

}  // namespace prs::orchestrator
