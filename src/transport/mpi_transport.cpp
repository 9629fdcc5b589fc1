#include "prs/transport/mpi_transport.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include <unistd.h>

#include "prs/protocol/channel.hpp"
#include "prs/protocol/codec.hpp"

namespace prs::transport {

namespace {
constexpr int kTag = 7;
constexpr std::size_t kOutboxBytes = 256u << 10;  // beyond this, a gathered message leaves at once

void check(int rc, const char* what) {
    if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI error in ") + what);
}
}  // namespace

MpiSession::MpiSession(int* argc, char*** argv, bool launched) {
    if (!launched) return;
    check(MPI_Init(argc, argv), "MPI_Init");
    initialized_ = true;
    // Errors come back as codes so a failing call turns into a clean job error, not an abort.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
    if (initialized_) MPI_Finalize();
}

void MpiSession::abandon(int code) {
    std::fflush(nullptr);
    std::_Exit(code);
}

NodeIdentity MpiSession::node_identity() const {
    NodeIdentity id;
    if (!initialized_) return id;
    MPI_Comm local;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
          "MPI_Comm_split_type");
    MPI_Comm_rank(local, &id.local_rank);
    MPI_Comm_size(local, &id.local_size);
    int leader = rank_;  // the node's lowest world rank
    MPI_Allreduce(MPI_IN_PLACE, &leader, 1, MPI_INT, MPI_MIN, local);
    const int mine[2] = {rank_, static_cast<int>(::getpid())};
    std::vector<int> pairs(2 * static_cast<std::size_t>(id.local_size));
    MPI_Allgather(mine, 2, MPI_INT, pairs.data(), 2, MPI_INT, local);
    for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) id.node_ranks.emplace_back(pairs[i], pairs[i + 1]);
    MPI_Comm_free(&local);
    std::vector<int> leaders(static_cast<std::size_t>(size_));
    MPI_Allgather(&leader, 1, MPI_INT, leaders.data(), 1, MPI_INT, MPI_COMM_WORLD);
    std::vector<bool> is_leader(static_cast<std::size_t>(size_), false);
    for (int l : leaders) is_leader[static_cast<std::size_t>(l)] = true;
    id.node_count = 0;
    for (int r = 0; r < size_; ++r) {
        if (!is_leader[static_cast<std::size_t>(r)]) continue;
        if (r < leader) ++id.node_id;
        ++id.node_count;
    }
    return id;
}

int MpiSession::broadcast(int value) const {
    if (initialized_) MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return value;
}

int MpiSession::broadcast_idle(int value) const {
    if (!initialized_) return value;
    MPI_Request request;
    check(MPI_Ibcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD, &request), "MPI_Ibcast");
    for (int done = 0;;) {
        check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
        if (done) return value;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
MpiTransport<Out, In>::MpiTransport() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    outbox_.resize(static_cast<std::size_t>(size_));
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
MpiTransport<Out, In>::~MpiTransport() {
    try {
        flush();
    } catch (...) {  // destructors must not throw
    }
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
void MpiTransport<Out, In>::reap_sends() {
    for (auto it = pending_.begin(); it != pending_.end();) {
        int done = 0;
        MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
        it = done ? pending_.erase(it) : std::next(it);
    }
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
bool MpiTransport<Out, In>::send(int to, const Out& m) {
    auto& box = outbox_[static_cast<std::size_t>(to)];
    protocol::append_frame(box, m);
    return box.size() < kOutboxBytes || post_to(to);
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
bool MpiTransport<Out, In>::post_to(int to) {
    auto& box = outbox_[static_cast<std::size_t>(to)];
    if (box.empty()) return true;
    reap_sends();
    auto& p = pending_.emplace_back();
    p.bytes.swap(box);
    if (MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_BYTE, to, kTag, MPI_COMM_WORLD, &p.request) !=
        MPI_SUCCESS) {
        pending_.pop_back();
        return false;
    }
    return true;
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
void MpiTransport<Out, In>::post() {
    for (int to = 0; to < size_; ++to) post_to(to);
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
std::optional<std::pair<int, In>> MpiTransport<Out, In>::receive() {
    post();
    if (in_at_ >= in_.size()) {
        int flag = 0;
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, kTag, MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
        if (!flag) {
            if (!pending_.empty()) reap_sends();
            return std::nullopt;
        }
        int count = 0;
        MPI_Get_count(&status, MPI_BYTE, &count);
        in_.resize(static_cast<std::size_t>(count));
        check(MPI_Recv(in_.data(), count, MPI_BYTE, status.MPI_SOURCE, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv");
        in_at_ = 0;
        in_from_ = status.MPI_SOURCE;
    }
    // An MPI message holds whole frames: one cut short is garbage, not "wait for more".
    auto frame = protocol::read_frame<In>(std::string_view(in_).substr(in_at_));
    if (!frame) throw protocol::ProtocolError("truncated MPI message");
    in_at_ += frame->second;
    return std::make_pair(in_from_, std::move(frame->first));
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
bool MpiTransport<Out, In>::progress() {
    reap_sends();
    return !pending_.empty();
}

template <protocol::LinkMessage Out, protocol::LinkMessage In>
void MpiTransport<Out, In>::flush() {
    post();
    // Bounded: a send to a rank that died never completes, and must not hang the exit.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pending_.empty() && std::chrono::steady_clock::now() < deadline) {
        reap_sends();
        if (!pending_.empty()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

template class MpiTransport<protocol::RankZeroToAgent, protocol::AgentToRankZero>;
template class MpiTransport<protocol::AgentToRankZero, protocol::RankZeroToAgent>;

}  // namespace prs::transport
