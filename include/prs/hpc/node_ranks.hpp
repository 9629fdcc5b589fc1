#pragma once
// The processes of the ranks that share this rank's node, held by pidfd. The descriptors
// are opened at start-up, while every rank runs, so a rank that dies later and whose pid
// is reused is never mistaken for the stranger that got it. Rank 0 uses them to end a
// rank it dropped for silence (stopped, hung): under `mpirun --enable-recovery` the
// launcher waits for every rank's process, and one that never ends keeps the job alive.

#include <sys/types.h>

#include <map>
#include <utility>
#include <vector>

#include "prs/util/unique_fd.hpp"

namespace prs::hpc {

class NodeRanks {
public:
    NodeRanks() = default;
    // (world rank, pid) of the ranks on this node; ones already gone are left out.
    explicit NodeRanks(const std::vector<std::pair<int, pid_t>>& ranks);
    // SIGKILL to that rank's process. False when it is not on this node or already gone.
    bool kill(int rank) const;
    // The pid the rank had, or -1 when it is not on this node.
    pid_t pid(int rank) const;

private:
    struct Process {
        pid_t pid;
        util::UniqueFd fd;
    };
    std::map<int, Process> ranks_;
};

}  // namespace prs::hpc
