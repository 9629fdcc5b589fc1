#include "prs/hpc/node_ranks.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace prs::hpc {

namespace {
// By system call: glibc 2.36's <sys/pidfd.h> declares its wrappers without C linkage.
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int fd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0));
}
}  // namespace

NodeRanks::NodeRanks(const std::vector<std::pair<int, pid_t>>& ranks) {
    for (const auto& [rank, pid] : ranks) {
        util::UniqueFd fd(pidfd_open(pid));
        if (fd) ranks_.emplace(rank, Process{pid, std::move(fd)});
    }
}

bool NodeRanks::kill(int rank) const {
    const auto it = ranks_.find(rank);
    return it != ranks_.end() && pidfd_send_signal(it->second.fd.get(), SIGKILL) == 0;
}

pid_t NodeRanks::pid(int rank) const {
    const auto it = ranks_.find(rank);
    return it == ranks_.end() ? -1 : it->second.pid;
}

}  // namespace prs::hpc
