#include "version_report.hpp"

#include <H5public.h>
#include <fmt/format.h>
#include <mpi.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "build_info.hpp"
#include "prs/util/unique_fd.hpp"

extern char** environ;

namespace prs::app {

namespace {

// Open MPI's first line ("Open MPI v4.1.4, package: ..., ident: ..."); MPI-3 allows the
// call before MPI_Init, so asking costs no launch.
std::string mpi_version() {
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(text, &length);
    std::string_view v(text, static_cast<std::size_t>(length));
    v = v.substr(0, v.find_first_of(",\n"));
    return std::string(v);
}

std::string hdf5_version() {
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    return fmt::format("HDF5 {}.{}.{}", major, minor, release);
}

// The worker's own `--version` output, read from a pipe; the worker imports numpy and
// pandas, so the answer is the one run() would see.
std::string python_versions(const std::filesystem::path& worker) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return "Python: unknown (pipe failed)\n";
    util::UniqueFd read_end(fds[0]);
    util::UniqueFd write_end(fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    const std::string path = worker.string();
    char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>("--version"), nullptr};
    pid_t pid = 0;
    const int err = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    write_end = util::UniqueFd();
    if (err != 0) return fmt::format("Python: unknown (cannot start {}: {})\n", path, std::strerror(err));
    std::string out;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n > 0)
            out.append(buffer, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR)
            break;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        out += fmt::format("Python: {} failed (status {}); see its stderr above\n", path, status);
    return out;
}

}  // namespace

std::string version_report(const std::filesystem::path& worker) {
    return fmt::format("prs_mpi {}\ncommit {}\nbuild {} ({} {})\n{}\n{}\n{}", PRS_VERSION, k_git_commit, PRS_BUILD_TYPE,
                       PRS_COMPILER_ID, PRS_COMPILER_VERSION, mpi_version(), hdf5_version(), python_versions(worker));
}

}  // namespace prs::app
