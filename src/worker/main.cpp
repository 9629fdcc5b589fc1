// prs_mpi_worker: one worker process (Azure's "processNNN"), started by a rank's agent
// (agent::WorkerProcess) with a socket on --fd and its WorkerBoard on --board-fd. It
// embeds CPython to run the entry script and never calls MPI.

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string_view>

#include "prs/protocol/channel.hpp"
#include "prs/protocol/worker_board.hpp"
#include "python_runtime.hpp"
#include "serve.hpp"

namespace {

struct Arguments {
    int fd = -1;
    int board_fd = -1;
    pid_t parent_pid = 0;
};

std::optional<Arguments> parse_arguments(int argc, char** argv) {
    Arguments a;
    if (argc % 2 == 0) return std::nullopt;
    for (int i = 1; i < argc; i += 2) {
        const std::string_view name = argv[i];
        const std::string_view value = argv[i + 1];
        int* target = name == "--fd"           ? &a.fd
                      : name == "--board-fd"   ? &a.board_fd
                      : name == "--parent-pid" ? &a.parent_pid
                                               : nullptr;
        if (!target) return std::nullopt;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), *target);
        if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    }
    if (a.fd < 0 || a.board_fd < 0 || a.parent_pid <= 0) return std::nullopt;
    return a;
}

// A worker must not outlive its agent. PDEATHSIG covers a later death; the getppid()
// check covers an agent that died before prctl() ran.
void die_with_parent(pid_t parent_pid) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent_pid) std::_Exit(0);
}

extern "C" void discard_signal(int) {}

void set_signal_dispositions() {
    // Ctrl-C, scancel and mpirun send SIGINT/SIGTERM to every process of the job; the
    // agent then lets running mini-batches finish and stops its workers itself (StopWorker,
    // EOF, SIGKILL). A handler rather than SIG_IGN: programs the entry script starts get
    // the default action back at exec.
    struct sigaction sa {};
    sa.sa_handler = discard_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGUSR1, &sa, nullptr);  // the graceful stop (Slurm's warning signal, forwarded by mpirun)
    // What python3 itself does at startup (install_signal_handlers = 0 skips it): a
    // closed pipe or an over-large file is an OSError in Python, not a dead worker.
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGXFSZ, SIG_IGN);
}

// Each mini-batch allocates and frees buffers of about its size: its bytes, pandas' tokens
// and columns, run()'s arrays. By default glibc hands freed blocks over 128 KB back to the
// kernel, and the next mini-batch faults them in again, zeroed page by page: measured, that
// was half of the time a 1 MB CSV mini-batch took to reach run() (bench/README.md). Up to
// 64 MB of freed heap now stays with each worker for the next mini-batch (docs/design.md §4).
// The user's own GLIBC_TUNABLES for malloc win.
void keep_freed_memory() {
    if (const char* tunables = std::getenv("GLIBC_TUNABLES"); tunables && std::strstr(tunables, "glibc.malloc."))
        return;
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest
    ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == "--version") {
        try {
            std::fputs(prs::worker::python_versions().c_str(), stdout);
            return 0;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "prs_mpi_worker: %s\n", e.what());
            return 70;
        }
    }
    const auto args = parse_arguments(argc, argv);
    if (!args) {
        std::fprintf(stderr,
                     "usage: prs_mpi_worker --fd N --board-fd N --parent-pid PID  (started by prs_mpi)\n"
                     "       prs_mpi_worker --version\n");
        return 2;
    }
    die_with_parent(args->parent_pid);
    set_signal_dispositions();
    keep_freed_memory();
    // Programs the entry script runs (os.system, subprocess) must not inherit the channel: one
    // left running would hold it open. (The board's descriptor is closed once mapped.)
    ::fcntl(args->fd, F_SETFD, FD_CLOEXEC);
    try {
        prs::protocol::ChannelToAgent channel{prs::util::UniqueFd(args->fd)};
        prs::protocol::WorkerBoard board = prs::protocol::WorkerBoard::map_and_close(args->board_fd);
        const auto first = channel.receive();
        if (!first) return 0;
        const auto* setup = std::get_if<prs::protocol::WorkerSetup>(&*first);
        if (!setup) throw prs::protocol::ProtocolError("worker expected WorkerSetup first");
        return prs::worker::serve(channel, board, *setup);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prs_mpi_worker: %s\n", e.what());
        return 70;  // EX_SOFTWARE: a bug of prs_mpi, not of the entry script
    }
}
