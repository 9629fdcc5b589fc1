#include "prs/agent/worker_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>

#include "prs/util/user_error.hpp"

extern char** environ;

namespace prs::agent {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_error(int err, const std::string& what) { throw util::errno_error(err, what); }

void check(int err, const char* what) {
    if (err != 0) throw_error(err, what);
}

// How an MPI launcher (Open MPI/PMIx, MPICH/Hydra, Slurm's PMI) tells a process that it
// is a rank. A worker that kept them and loaded an MPI library (mpi4py in user code)
// would try to join the job; without them it starts as a singleton.
constexpr std::array<std::string_view, 9> k_launcher_prefixes = {
    "OMPI_", "PMIX_", "OPAL_", "ORTE_", "PRTE_", "HYDRA_", "PMI_", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"};

bool is_launcher_variable(std::string_view entry) {
    for (auto prefix : k_launcher_prefixes)
        if (entry.starts_with(prefix)) return true;
    return false;
}

std::vector<std::string> child_environment(const WorkerLaunch& launch) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string_view entry = *e;
        if (!is_launcher_variable(entry)) env.emplace_back(entry);
    }
    for (const auto& [name, value] : launch.env) {
        const std::string key = name + "=";
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
        if (!value.empty()) env.push_back(key + value);
    }
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> p;
    p.reserve(strings.size() + 1);
    for (auto& s : strings) p.push_back(s.data());
    p.push_back(nullptr);
    return p;
}

class FileActions {
public:
    FileActions() { check(posix_spawn_file_actions_init(&a_), "posix_spawn_file_actions_init"); }
    ~FileActions() { posix_spawn_file_actions_destroy(&a_); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    posix_spawn_file_actions_t* get() { return &a_; }

private:
    posix_spawn_file_actions_t a_;
};

class SpawnAttributes {
public:
    SpawnAttributes() { check(posix_spawnattr_init(&a_), "posix_spawnattr_init"); }
    ~SpawnAttributes() { posix_spawnattr_destroy(&a_); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    posix_spawnattr_t* get() { return &a_; }

private:
    posix_spawnattr_t a_;
};

void create_parent_directory(const fs::path& file) {
    if (file.has_parent_path()) fs::create_directories(file.parent_path());
}

int returncode_from_status(int status) { return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status); }

// A copy of `fd` numbered above 4. The child's descriptors 0-4 are set in order by
// dup2/open; a source among them (a parent started with some closed, or another
// thread's close just before) would be overwritten before its own dup2.
util::UniqueFd dup_above_child_fds(int fd) {
    util::UniqueFd high(::fcntl(fd, F_DUPFD_CLOEXEC, 5));
    if (!high) throw_error(errno, "fcntl(F_DUPFD_CLOEXEC)");
    return high;
}

// Whether the child has exited; `block` waits for it. Never reaps: until the child is
// reaped its pid, and so its process group's id, cannot be reused, so killing the group
// afterwards never hits a stranger.
bool wait_exited(pid_t pid, bool block) {
    siginfo_t info{};
    const int options = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, options) < 0) {
        if (errno != EINTR) throw_error(errno, "waitid");
    }
    return info.si_pid == pid;
}

// For a child whose owner is going away: nobody will ask for its exit code.
void kill_and_reap(pid_t pid) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

// A descriptor (close-on-exec) that polls readable when `pid` exits; empty where the kernel
// has no pidfds.
util::UniqueFd open_exit_fd(pid_t pid) {
#ifdef SYS_pidfd_open
    return util::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#else
    (void)pid;
    return util::UniqueFd();
#endif
}

}  // namespace

WorkerProcess WorkerProcess::spawn(const WorkerLaunch& launch) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_error(errno, "socketpair");
    util::UniqueFd parent_end(sv[0]);
    const util::UniqueFd child_end = dup_above_child_fds(util::UniqueFd(sv[1]).get());  // the original closes
    // Results carry their rows: a megabyte-sized one should cross in one write, not in
    // socket-buffer-sized pieces each costing both processes a wake-up. The kernel caps
    // the size at net.core.wmem_max; a refusal only costs speed.
    const int result_buffer = 4 << 20;
    ::setsockopt(child_end.get(), SOL_SOCKET, SO_SNDBUF, &result_buffer, sizeof result_buffer);

    protocol::WorkerBoard board = protocol::WorkerBoard::create();
    const util::UniqueFd board_fd = dup_above_child_fds(board.fd());

    create_parent_directory(launch.stdout_file);
    create_parent_directory(launch.stderr_file);

    FileActions actions;
    check(posix_spawn_file_actions_adddup2(actions.get(), child_end.get(), 3), "adddup2");
    check(posix_spawn_file_actions_adddup2(actions.get(), board_fd.get(), 4), "adddup2");
    check(posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0), "addopen");
    check(posix_spawn_file_actions_addopen(actions.get(), 1, launch.stdout_file.c_str(), O_WRONLY | O_APPEND | O_CREAT,
                                           0644),
          "addopen");
    check(posix_spawn_file_actions_addopen(actions.get(), 2, launch.stderr_file.c_str(), O_WRONLY | O_APPEND | O_CREAT,
                                           0644),
          "addopen");
    // Open MPI's sockets and shared-memory fds must not leak into the worker.
    check(posix_spawn_file_actions_addclosefrom_np(actions.get(), 5), "addclosefrom_np");

    // The agent may block signals (signalfd) or ignore some; the worker starts clean.
    SpawnAttributes attributes;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    // Its own process group (pgid = its pid): the agent can end it with all it started.
    check(posix_spawnattr_setflags(attributes.get(),
                                   POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP),
          "posix_spawnattr_setflags");
    check(posix_spawnattr_setpgroup(attributes.get(), 0), "posix_spawnattr_setpgroup");
    check(posix_spawnattr_setsigmask(attributes.get(), &none), "posix_spawnattr_setsigmask");
    check(posix_spawnattr_setsigdefault(attributes.get(), &all), "posix_spawnattr_setsigdefault");

    std::vector<std::string> args = {launch.worker_binary.string(), "--fd", "3", "--board-fd", "4", "--parent-pid",
                                     std::to_string(::getpid())};
    std::vector<std::string> env = child_environment(launch);
    auto argv = pointers(args);
    auto envp = pointers(env);

    pid_t pid = -1;
    const int err =
        ::posix_spawn(&pid, launch.worker_binary.c_str(), actions.get(), attributes.get(), argv.data(), envp.data());
    if (err != 0) throw_error(err, "cannot start worker " + launch.worker_binary.string());
    return WorkerProcess(pid, open_exit_fd(pid), protocol::ChannelToWorker(std::move(parent_end)), std::move(board));
}

WorkerProcess::WorkerProcess(WorkerProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      exit_fd_(std::move(o.exit_fd_)),
      channel_(std::move(o.channel_)),
      board_(std::move(o.board_)),
      returncode_(std::exchange(o.returncode_, std::nullopt)) {}

WorkerProcess& WorkerProcess::operator=(WorkerProcess&& o) noexcept {
    if (this != &o) {
        if (running()) kill_and_reap(pid_);
        pid_ = std::exchange(o.pid_, -1);
        exit_fd_ = std::move(o.exit_fd_);
        channel_ = std::move(o.channel_);
        board_ = std::move(o.board_);
        returncode_ = std::exchange(o.returncode_, std::nullopt);
    }
    return *this;
}

WorkerProcess::~WorkerProcess() {
    if (running()) kill_and_reap(pid_);
}

bool WorkerProcess::exited() const { return !running() || wait_exited(pid_, false); }

void WorkerProcess::kill(int sig) {
    // Until it is reaped the pid cannot be reused, so this never hits a stranger.
    if (running()) ::kill(-pid_, sig);
}

int WorkerProcess::reap_exited() {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) throw_error(errno, "waitpid");
    }
    returncode_ = returncode_from_status(status);
    return *returncode_;
}

std::optional<int> WorkerProcess::try_reap() {
    if (running() && wait_exited(pid_, false)) reap_exited();
    return returncode_;
}

int WorkerProcess::wait() {
    if (!running()) return returncode_.value_or(-1);
    wait_exited(pid_, true);
    return reap_exited();
}

fs::path default_worker_binary() {
    if (const char* p = std::getenv("PRS_MPI_WORKER"); p && *p) return p;
    // Beside prs_mpi in a build folder; under libexec/ in an installed tree (bin/../libexec).
    const fs::path bin = fs::read_symlink("/proc/self/exe").parent_path();
    if (fs::path beside = bin / "prs_mpi_worker"; fs::exists(beside)) return beside;
    return bin.parent_path() / "libexec" / "prs_mpi" / "prs_mpi_worker";
}

}  // namespace prs::agent
