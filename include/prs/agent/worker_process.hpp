#pragma once
// A worker child process (Azure's "processNNN"): spawned with a socketpair on fd 3 and
// its WorkerBoard (what it is running now) on fd 4, stdout/stderr appended to the given
// log files, Open MPI's descriptors closed and its variables (OMPI_*, PMIX_*, ...)
// removed so the child never looks like an MPI process.
// The child leads its own process group, and the group ends with it: whatever the entry
// script started and left running (`os.system("cmd &")`, an `os.fork()` child, a Popen
// never waited for) is killed when the worker is reaped, so nothing outlives it holding
// the job up. Its exit is seen on exit_fd() (a pidfd), not as EOF on the channel, which
// a forked child of the entry script may hold open.
// RAII: the destructor kills (SIGKILL) and reaps a child that is still running.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "prs/protocol/channel.hpp"
#include "prs/protocol/worker_board.hpp"

namespace prs::agent {

struct WorkerLaunch {
    std::filesystem::path worker_binary;  // prs_mpi_worker
    // Set on top of the filtered parent environment (job environment_variables,
    // CUDA_VISIBLE_DEVICES, ...). An empty value removes the variable.
    std::vector<std::pair<std::string, std::string>> env;
    std::filesystem::path stdout_file;  // opened O_APPEND|O_CREAT; parent dirs created
    std::filesystem::path stderr_file;
};

class WorkerProcess {
public:
    // Throws std::system_error when the child cannot be started.
    static WorkerProcess spawn(const WorkerLaunch& launch);

    WorkerProcess(WorkerProcess&&) noexcept;
    WorkerProcess& operator=(WorkerProcess&&) noexcept;
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;
    ~WorkerProcess();

    pid_t pid() const { return pid_; }
    protocol::ChannelToWorker& channel() { return channel_; }
    const protocol::WorkerBoard& board() const { return board_; }
    // Readable (POLLIN) once the child has exited, reaped or not; -1 where the kernel has
    // no pidfd_open (before Linux 5.3): then exited() must be asked.
    int exit_fd() const { return exit_fd_.get(); }
    // Whether the child has exited, without reaping it.
    bool exited() const;

    // Sends `sig` to the child's process group (the child and what it started).
    void kill(int sig);
    // Non-blocking reap. The code follows Python's subprocess convention:
    // the exit status, or -N when killed by signal N. Reaping kills what is left of the
    // child's process group first.
    std::optional<int> try_reap();
    int wait();
    bool running() const { return pid_ > 0 && !returncode_; }
    std::optional<int> returncode() const { return returncode_; }

private:
    WorkerProcess(pid_t pid, util::UniqueFd exit_fd, protocol::ChannelToWorker ch, protocol::WorkerBoard board)
        : pid_(pid), exit_fd_(std::move(exit_fd)), channel_(std::move(ch)), board_(std::move(board)) {}
    // Kills the rest of the exited child's group, then reaps the child.
    int reap_exited();
    pid_t pid_ = -1;
    util::UniqueFd exit_fd_;
    protocol::ChannelToWorker channel_;
    protocol::WorkerBoard board_;
    std::optional<int> returncode_;
};

// Where prs_mpi_worker lives: PRS_MPI_WORKER if set, else beside the running prs_mpi
// binary (a build folder), else <prefix>/libexec/prs_mpi/ of an installed tree.
std::filesystem::path default_worker_binary();

}  // namespace prs::agent
