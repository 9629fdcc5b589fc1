#include "prs/orchestrator/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include <fmt/format.h>

namespace prs::orchestrator {

namespace {
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
    if (!fd_) throw std::system_error(errno, std::generic_category(), "cannot open " + file.string());
    const auto give_up = std::chrono::steady_clock::now() + patience;
    while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "cannot lock " + file.string());
        if (std::chrono::steady_clock::now() >= give_up)
            throw RunLockBusy(fmt::format(
                "another prs_mpi ({}) is running a job in {}. Fix: wait for it to end (or stop it), or give this "
                "run its own --run-dir; two runs in one run directory would write the same output file",
                read_holder(fd_.get()), run_dir.string()));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    const auto holder = fmt::format("pid {} on {}\n", ::getpid(), host);
    // Who holds it, for a second run's message; failing to say so is harmless.
    if (::ftruncate(fd_.get(), 0) != 0 || ::pwrite(fd_.get(), holder.data(), holder.size(), 0) < 0) return;
}

}  // namespace prs::orchestrator
