#include "prs/hpc/worker_count.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace prs::hpc {

WorkerCount local_worker_count(int requested, unsigned cores, std::uint64_t memory) {
    const std::uint64_t by_cores = std::uint64_t{std::max(1u, cores)} * kWorkersPerCore;
    const std::uint64_t by_memory = memory > 0 ? std::max<std::uint64_t>(1, memory / kMemoryPerWorker) : by_cores;
    const std::uint64_t cap = std::min(by_cores, by_memory);
    WorkerCount count;
    count.workers = std::max(1, requested);
    if (static_cast<std::uint64_t>(count.workers) <= cap) return count;
    count.workers = static_cast<int>(cap);
    count.warning = fmt::format(
        "prs_mpi: warning: max_concurrency_per_instance = {} is more workers than this machine can run ({} cores x "
        "{}{}); starting {}. Fix: set max_concurrency_per_instance to at most {}, or run under mpirun/srun with "
        "more nodes",
        requested, std::max(1u, cores), kWorkersPerCore,
        memory > 0 ? fmt::format(", {} MiB available / {} MiB per worker", memory >> 20, kMemoryPerWorker >> 20) : "",
        count.workers, count.workers);
    return count;
}

std::uint64_t available_memory() {
    // "MemAvailable:   123456 kB"; some lines have no unit, so read line by line.
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("MemAvailable:")) return std::strtoull(line.c_str() + 13, nullptr, 10) << 10;
    return 0;
}

}  // namespace prs::hpc
