#include "prs/agent/gpu_sampler.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prs::agent {

namespace {

std::optional<std::string> on_path(std::string_view program) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "";
    while (!dirs.empty()) {
        const auto colon = dirs.find(':');
        const std::string candidate = std::string(dirs.substr(0, colon)) + "/" + std::string(program);
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        dirs = colon == dirs.npos ? std::string_view() : dirs.substr(colon + 1);
    }
    return std::nullopt;
}

}  // namespace

std::optional<GpuSampler> GpuSampler::start(const std::filesystem::path& csv, int interval_s) {
    const auto smi = on_path("nvidia-smi");
    if (!smi || interval_s <= 0) return std::nullopt;
    // Everything the child needs is built before fork: after it only async-signal-safe calls.
    std::vector<std::string> args = {*smi, "--query-gpu=timestamp,index,utilization.gpu,memory.used,memory.total",
                                     "--format=csv,nounits", "--loop=" + std::to_string(interval_s),
                                     "--filename=" + csv.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return std::nullopt;  // no GPU figures is not worth failing a job for
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(0);
        // Not MPI's sockets nor the workers' channels: only what nvidia-smi needs.
        ::close_range(3, ~0U, 0);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return GpuSampler(pid);
}

GpuSampler::GpuSampler(GpuSampler&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}

GpuSampler& GpuSampler::operator=(GpuSampler&& o) noexcept {
    if (this != &o) {
        stop();
        pid_ = std::exchange(o.pid_, -1);
    }
    return *this;
}

GpuSampler::~GpuSampler() { stop(); }

void GpuSampler::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

}  // namespace prs::agent
