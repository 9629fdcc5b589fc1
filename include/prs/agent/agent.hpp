#pragma once
// The per-rank supervisor of worker processes (Azure's "agent"): keeps `slots` workers
// alive, feeds them mini-batches from its local queue, enforces the run() timeout,
// replaces workers that die, and reports results and worker events to the orchestrator.
//
// Short mini-batches are pipelined: a worker is sent its next few mini-batches before
// it finishes the current one (it runs them in order), so it never waits for a round
// trip to the agent. Long ones are sent one at a time, so that an idle worker can take
// whatever is queued here (see PipelineDepth).

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "prs/agent/local_agent.hpp"
#include "prs/agent/resource_monitor.hpp"
#include "prs/agent/worker_process.hpp"
#include "prs/hpc/gpu_pinning.hpp"
#include "prs/logs/layout.hpp"
#include "prs/logs/log_file.hpp"
#include "prs/protocol/messages.hpp"

namespace prs::agent {

struct AgentConfig {
    int node_id = 0;
    int local_rank = 0;                   // this rank's index among the ranks of its node
    int local_size = 1;                   // ranks on this node
    int slots = 1;                        // workers this agent runs
    int timeout_s = 60;                   // retry_settings.timeout, per run() call
    int load_timeout_s = 600;             // --task_overhead_timeout, per data load
    int resource_monitor_interval_s = 0;  // logs/perf sampling period, 0 = off
    protocol::WorkerSetup setup;          // process_name and node_id are filled per worker
    WorkerLaunch launch;                  // stdout/stderr files are filled per worker
    hpc::GpuInventory gpus;               // the node's GPUs; workers are pinned by local index
    std::filesystem::path run_dir;
};

// How many mini-batches a worker holds at once (the running one included), from how
// long mini-batches take: enough to cover ~2 ms of work, so the agent's wake-ups and
// the socket round trip hide behind run() calls; 1 (no pipelining) once mini-batches
// take 2 ms or more, where a round trip is negligible and tasks queued behind a long
// one would only idle.
class PipelineDepth {
public:
    static constexpr int kMax = 32;
    void observe(double seconds);  // one finished mini-batch's duration
    int depth() const { return depth_; }

private:
    double average_s_ = -1;  // exponential moving average; < 0: nothing seen yet
    int depth_ = 1;
};

class Agent : public LocalAgent {
public:
    explicit Agent(AgentConfig cfg);
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    void start();  // spawns the workers
    void enqueue(protocol::MiniBatchDescriptor d) override;
    void drain() override;  // no more work will come
    void abort() override;  // kill everything now

    // Waits up to `timeout_ms` for worker activity, handles it and returns what the
    // orchestrator must hear (Result, WorkerEvent).
    std::vector<protocol::AgentToRankZero> poll(int timeout_ms) override;

    bool finished() const override;  // drained/aborted and no worker left
    // How many mini-batches rank 0 should let this agent hold: every ready worker's
    // pipeline plus one queued here per ready worker. A worker still in init() counts for
    // nothing: work queued for it would wait as long as its init() does, maybe forever.
    int wanted_credit() const override;
    // Milliseconds until the next run() or shutdown timeout falls due (or `cap`).
    int next_deadline_ms(int cap) const override;

private:
    // Running: init() is done and the worker takes mini-batches.
    enum class State { Starting, Running, Stopping, Dead };
    struct Slot {
        State state = State::Dead;
        std::optional<WorkerProcess> process;
        std::string name;
        std::string gpu;  // CUDA_VISIBLE_DEVICES, empty: none
        int generation = 0;
        // Sent to the worker and not yet answered, in the order it runs them. The worker may
        // have finished the first few and hold their results back; its board tells which
        // one runs.
        std::deque<protocol::MiniBatchDescriptor> tasks;
        std::uint64_t answered = 0;  // results received from this process
        // A loaded kind's run() phase began (RunStarted) for the board's `run_phase`-th
        // mini-batch at `run_phase_started`: from then on retry_settings.timeout applies,
        // before it --task_overhead_timeout.
        std::uint64_t run_phase = 0;
        std::chrono::steady_clock::time_point run_phase_started;
        // Stopping, or Starting once the agent drains: when a worker that has not exited by
        // then is killed (shutdown() and the interpreter's exit, or the rest of init(), get
        // retry_settings.timeout).
        std::chrono::steady_clock::time_point stop_deadline;
        // The incomplete frame last seen on its channel: how many bytes, since when.
        std::size_t partial_bytes = 0;
        std::chrono::steady_clock::time_point partial_since;
        logs::BufferedLog attempts_log;  // sys/node/<node>/<name>.txt
    };
    using Clock = std::chrono::steady_clock;
    // The mini-batch a worker is loading or running now, from its board.
    struct Running {
        std::uint64_t ordinal;       // the worker's how-manyth mini-batch (its board's count)
        std::size_t index;           // in Slot::tasks
        bool loading;                // a loaded kind before its RunStarted
        Clock::time_point started;   // when the worker began it
        Clock::time_point deadline;  // when the timeout of its current phase falls due
        std::int64_t start_epoch_us;
    };

    std::optional<Running> running(const Slot& s) const;
    // None running: the latest one it finished, if its result has not arrived (the one it
    // was sending when it died).
    std::optional<Running> unsent_result(const Slot& s) const;
    // The mini-batches whose run() may have written bytes that are no message: those it began
    // since the last result that arrived (the bytes came after that result, and a result may
    // wait behind the next run(), see worker/serve.cpp), i.e. the first this many tasks.
    std::size_t possible_writers(const Slot& s) const;
    // The first mini-batch it was sent and has not begun (none running), as if it began now.
    std::optional<Running> next_to_begin(const Slot& s) const;
    void spawn(Slot& s, int index);
    // Mini-batches a worker holds at once: PipelineDepth's, or, where it loads ahead, the
    // running one, those it loads and one on its way, whichever is more.
    int pipeline_depth() const;
    void dispatch();
    void handle(Slot& s, protocol::WorkerToAgent&& m);
    // `charge`: the death is charged to one attempt (see the definition); false only where
    // the culprit is not known and its candidates run again alone (suspects_).
    void on_exit(Slot& s, int index, const std::string& why, bool charge = true);
    // The worker is gone (it died or was killed) without answering its tasks: `r` (the one
    // it ran, see on_exit) is a failed attempt; the others it finished without sending
    // their results, and the ones it never started, go back to the queue, not being
    // attempts that failed.
    void fail_running(Slot& s, const std::optional<Running>& r, protocol::AttemptStatus status, std::string message);
    void check_timeouts();
    // Asks a worker to call shutdown() and exit, with the deadline that bounds it.
    void stop(Slot& s);
    // Kills the workers past their stop deadline: stopping ones (shutdown() hangs, a
    // non-daemon thread keeps the interpreter alive) and, once draining, ones still in init().
    void check_stop_deadlines();
    // The slot's worker was killed by the agent: reaped, logged with `why`, reported as exited.
    void kill_worker(Slot& s, const std::string& why);
    // A worker writes each frame whole, and the agent reads while it does: part of a frame
    // with nothing more for long is bytes the entry script wrote (a plausible length, a body
    // that never comes), and the worker is killed as for any malformed message.
    void check_incomplete_frames();
    // Kills a worker that broke the protocol, names it in the log, charges its attempt.
    void on_protocol_error(Slot& s, int index, const std::string& what);
    void emit_result(Slot& s, protocol::AttemptResult&& r);
    bool may_respawn() const;
    // Every running worker holds a full pipeline of short mini-batches (at least a few
    // hundred microseconds of work each): results may gather before the agent looks.
    bool saturated() const;
    void sample_resources();
    void flush_logs(bool now);

    AgentConfig cfg_;
    logs::Layout layout_;
    logs::LogFile main_log_;
    std::string ip_;  // this node's address, for the per-process logs
    ResourceMonitor monitor_;
    std::vector<Slot> slots_;
    std::deque<protocol::MiniBatchDescriptor> queue_;
    // Mini-batches one of which broke the protocol, and which: each is sent only to an idle
    // worker, and nothing after it, so that its next attempt is charged exactly. Until its
    // result arrives.
    std::set<std::uint64_t> suspects_;
    std::vector<protocol::AgentToRankZero> out_;
    PipelineDepth depth_;
    Clock::time_point logs_flushed_ = Clock::now();
    int init_failures_ = 0;
    bool draining_ = false;
    bool aborted_ = false;
    bool gave_up_ = false;
};

}  // namespace prs::agent
