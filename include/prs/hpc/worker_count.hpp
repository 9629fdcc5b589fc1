#pragma once
// How many workers one process starts alone (no launcher): max_concurrency_per_instance,
// capped at what this machine can run. Each worker is a CPython with the entry script's
// imports (numpy, pandas: ~60 MB and more); far more of them than cores only contend.

#include <cstdint>
#include <string>

namespace prs::hpc {

inline constexpr int kWorkersPerCore = 4;
inline constexpr std::uint64_t kMemoryPerWorker = 64ull << 20;

struct WorkerCount {
    int workers = 1;
    std::string warning;  // empty unless the request was capped
};

// `requested` capped at kWorkersPerCore x `cores` and at `available_memory` / kMemoryPerWorker
// (0: unknown, no memory cap); never below 1.
WorkerCount local_worker_count(int requested, unsigned cores, std::uint64_t available_memory);

// MemAvailable of /proc/meminfo in bytes; 0 when it cannot be read.
std::uint64_t available_memory();

}  // namespace prs::hpc
