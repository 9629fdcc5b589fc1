#pragma once
// MPI edge: the MPI session (RAII), point-to-point messages, and node identity.

#include <mpi.h>

#include <sys/types.h>

#include <list>
#include <string>
#include <utility>
#include <vector>

#include "prs/transport/transport.hpp"

namespace prs::transport {

// Which node a rank is on: ranks sharing memory form a node (MPI_COMM_TYPE_SHARED);
// nodes are numbered by their lowest world rank.
struct NodeIdentity {
    int node_id = 0;
    int node_count = 1;
    int local_rank = 0;
    int local_size = 1;
    std::vector<std::pair<int, pid_t>> node_ranks;  // (world rank, pid) of the ranks on this node
};

class MpiSession {
public:
    // MPI_Init runs only when a launcher started this process (hpc::detect_launch);
    // otherwise the process is a world of one rank on one node and MPI is never called.
    MpiSession(int* argc, char*** argv, bool launched);
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
    ~MpiSession();
    int rank() const { return rank_; }
    int size() const { return size_; }
    NodeIdentity node_identity() const;
    // Broadcasts an int from rank 0 (start-up decisions every rank must share).
    int broadcast(int value) const;
    // The same, for waits that may last minutes (a pipeline's command step on rank 0): the
    // other ranks sleep between looks instead of spinning a core each.
    int broadcast_idle(int value) const;
    // Ends this process with `code` without MPI_Finalize, which would wait forever for
    // a rank that died. Open MPI then ends the job with this code.
    [[noreturn]] void abandon(int code);

private:
    bool initialized_ = false;
    int rank_ = 0;
    int size_ = 1;
};

// One end of the rank link over MPI point-to-point messages (the aliases below).
template <protocol::LinkMessage Out, protocol::LinkMessage In>
class MpiTransport final : public Endpoint<Out, In> {
public:
    MpiTransport();
    ~MpiTransport() override;
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    bool send(int to, const Out& m) override;
    void post() override;
    std::optional<std::pair<int, In>> receive() override;
    void flush() override;
    bool progress() override;

private:
    struct Pending {
        std::string bytes;
        MPI_Request request;
    };
    bool post_to(int to);
    void reap_sends();
    int rank_ = 0;
    int size_ = 1;
    // Per destination: frames (u32 length + codec bytes) gathered for one MPI message, so
    // a loop iteration's results or assignments cost one MPI send, not one each.
    std::vector<std::string> outbox_;
    std::list<Pending> pending_;  // std::list: buffers must not move while MPI owns them
    std::string in_;              // the last MPI message received, consumed from in_at_
    std::size_t in_at_ = 0;
    int in_from_ = 0;
};

using RankZeroMpiTransport = MpiTransport<protocol::RankZeroToAgent, protocol::AgentToRankZero>;
using AgentMpiTransport = MpiTransport<protocol::AgentToRankZero, protocol::RankZeroToAgent>;

}  // namespace prs::transport
