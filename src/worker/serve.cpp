#include "serve.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "prefetch.hpp"
#include "python_runtime.hpp"

namespace prs::worker {

namespace {

// The exit code of a worker whose import or init() failed, as of a Python script that
// raised.
constexpr int k_init_failed = 1;
// The exit code of a worker whose entry script closed or replaced its channel (EX_PROTOCOL).
constexpr int k_channel_lost = 76;

// The entry script may close descriptor 3, or open something that takes its number. A worker
// that went on would run the mini-batches it already holds and die sending, its death
// charged to one of them: checked after each run(), it stops with its board still showing
// the run() that did it.
class ChannelGuard {
public:
    explicit ChannelGuard(int fd) : fd_(fd), identity_(identity(fd)) {}
    bool intact() const { return identity(fd_) == identity_; }

private:
    static std::pair<dev_t, ino_t> identity(int fd) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) return {0, 0};
        return {st.st_dev, st.st_ino};
    }
    int fd_;
    std::pair<dev_t, ino_t> identity_;
};

// Results of short file-list mini-batches wait while the next mini-batch is already
// here, and leave together: one write, and one socket buffer for the agent to take,
// instead of one per mini-batch. The board keeps a death exactly attributed; these
// bounds keep the agent's view (progress, pipeline refills) at most a millisecond or
// a few dozen results behind. Loaded kinds send RunStarted before run(), which must
// not overtake an earlier result, so their results leave at once.
class HeldResults {
public:
    // Counts the result just queued; whether it may wait for more.
    bool may_wait(protocol::ChannelToAgent& channel, protocol::InputKind kind) {
        // A quarter of the deepest pipeline (agent::PipelineDepth::kMax): the agent hears
        // of results, and sends more work, well before this worker runs dry (measured:
        // 8 gives the shortest no-op jobs; 32 lets the pipeline drain between refills).
        constexpr std::size_t kMaxResults = 8;
        constexpr std::size_t kMaxBytes = 256 << 10;
        constexpr auto kMaxAge = std::chrono::milliseconds(1);
        const auto now = Clock::now();
        if (count_++ == 0) first_ = now;
        return kind == protocol::InputKind::FileList && count_ < kMaxResults && channel.output_bytes() < kMaxBytes &&
               now - first_ < kMaxAge && channel.has_message();
    }
    bool any() const { return count_ > 0; }
    // Sends what waits; false if the agent is gone.
    bool send(protocol::ChannelToAgent& channel) {
        count_ = 0;
        return channel.flush();
    }

private:
    using Clock = std::chrono::steady_clock;
    std::size_t count_ = 0;
    Clock::time_point first_;
};

std::optional<protocol::AgentToWorker> receive(protocol::ChannelToAgent& channel) {
    // Threads the entry script started (loaders, loggers) run while we wait.
    const pybind11::gil_scoped_release no_gil;
    return channel.receive();
}

}  // namespace

int serve(protocol::ChannelToAgent& channel, protocol::WorkerBoard& board, const protocol::WorkerSetup& setup) {
    PythonRuntime python(setup);
    const protocol::WorkerReady ready = python.start();
    const bool sent = channel.send(ready);
    if (!ready.ok) python.exit_now(k_init_failed);
    if (!sent) python.exit_now(0);

    const ChannelGuard guard(channel.fd());
    HeldResults held;
    // Loaded kinds load the mini-batches this worker holds while run() executes (prefetch.hpp);
    // the messages received for that wait here, in order (EOF as nullopt).
    const auto ahead_limit = static_cast<std::size_t>(setup.prefetch_mini_batches);
    std::optional<Prefetcher> prefetcher;
    if (ahead_limit > 0 && setup.input.kind != protocol::InputKind::FileList)
        prefetcher.emplace([&python](const protocol::MiniBatchDescriptor& d) {
            return python.load(d, PythonRuntime::LoadCpu::Thread);
        });
    std::deque<std::optional<protocol::AgentToWorker>> ahead;
    const auto load_ahead = [&] {
        // Nothing is read past a StopWorker or EOF.
        const auto more = [&] {
            return ahead.empty() || (ahead.back() && std::holds_alternative<protocol::RunTask>(*ahead.back()));
        };
        while (prefetcher && prefetcher->size() < ahead_limit && more() && channel.has_message()) {
            ahead.push_back(channel.receive());
            if (more()) prefetcher->start(std::get<protocol::RunTask>(*ahead.back()).descriptor);
        }
    };
    for (;;) {
        // Never wait for work with results unsent.
        if (held.any() && ahead.empty() && !channel.has_message() && !held.send(channel)) python.exit_now(0);
        std::optional<protocol::AgentToWorker> message;
        if (ahead.empty()) {
            message = receive(channel);
        } else {
            message = std::move(ahead.front());
            ahead.pop_front();
        }
        if (!message) python.exit_now(0);  // the agent is gone: nobody wants the results
        const bool stop = std::visit(
            protocol::Overloaded{
                [&](const protocol::RunTask& task) {
                    const auto& d = task.descriptor;
                    PreparedMiniBatch prepared;
                    if (prefetcher && prefetcher->next_is(d)) {
                        // Begun on the board now that the one before it is finished, as of when its
                        // load began: the agent's --task_overhead_timeout counts from then.
                        const auto begun = prefetcher->wait_begun();
                        board.begin(begun.mono_ns, begun.epoch_us);
                        prepared = prefetcher->take();
                    } else {
                        board.begin();
                        prepared = python.load(d, PythonRuntime::LoadCpu::Process);
                    }
                    // File lists need no loading; other kinds tell the agent when loading is done so
                    // that --task_overhead_timeout and retry_settings.timeout each time their own phase.
                    const auto loaded = [&] {
                        if (d.kind == protocol::InputKind::FileList) return;
                        channel.send(protocol::RunStarted{d.id});
                        load_ahead();
                    };
                    protocol::TaskDone done{python.run(std::move(prepared), loaded)};
                    if (!guard.intact()) {
                        std::fprintf(stderr,
                                     "prs_mpi_worker: the entry script closed or replaced descriptor 3, the worker's "
                                     "channel to prs_mpi, in mini-batch %llu; this worker stops.\n",
                                     static_cast<unsigned long long>(d.id));
                        python.exit_now(k_channel_lost);
                    }
                    channel.queue(done);
                    board.finish();  // after encoding: a crash while making the result is this mini-batch's
                    python.recycle(std::move(done.result.rows));
                    if (!held.may_wait(channel, d.kind) && !held.send(channel)) python.exit_now(0);
                    return false;
                },
                [&](const protocol::StopWorker&) {
                    if (held.any() && !held.send(channel)) python.exit_now(0);
                    return true;
                },
                [](const protocol::WorkerSetup&) -> bool {
                    throw protocol::ProtocolError("worker got a second WorkerSetup");
                },
            },
            *message);
        if (stop) {
            python.shutdown();
            return 0;  // finalising Python runs the entry script's atexit handlers
        }
    }
}

}  // namespace prs::worker
