#include "serve.hpp"

#include <chrono>
#include <string>

#include "python_runtime.hpp"

namespace prs::worker {

namespace {

// The exit code of a worker whose import or init() failed, as of a Python script that
// raised.
constexpr int k_init_failed = 1;

// Results of short file-list mini-batches wait while the next mini-batch is already
// here, and leave together: one write, and one socket buffer for the agent to take,
// instead of one per mini-batch. The board keeps a death exactly attributed; these
// bounds keep the agent's view (progress, pipeline refills) at most a millisecond or
// a few dozen results behind. Loaded kinds send RunStarted before run(), which must
// not overtake an earlier result, so their results leave at once.
class HeldResults {
public:
    // Counts the result just queued; whether it may wait for more.
    bool may_wait(protocol::Channel& channel, protocol::InputKind kind) {
        // A quarter of the deepest pipeline (agent::PipelineDepth::kMax): the agent hears
        // of results, and sends more work, well before this worker runs dry (measured:
        // 8 gives the shortest no-op jobs; 32 lets the pipeline drain between refills).
        constexpr std::size_t kMaxResults = 8;
        constexpr std::size_t kMaxBytes = 256 << 10;
        constexpr auto kMaxAge = std::chrono::milliseconds(1);
        const auto now = Clock::now();
        if (count_++ == 0) first_ = now;
        return kind == protocol::InputKind::FileList && count_ < kMaxResults &&
               channel.output_bytes() < kMaxBytes && now - first_ < kMaxAge && channel.has_message();
    }
    bool any() const { return count_ > 0; }
    // Sends what waits; false if the agent is gone.
    bool send(protocol::Channel& channel) {
        count_ = 0;
        return channel.flush();
    }

private:
    using Clock = std::chrono::steady_clock;
    std::size_t count_ = 0;
    Clock::time_point first_;
};

std::optional<protocol::Message> receive(protocol::Channel& channel) {
    // Threads the entry script started (loaders, loggers) run while we wait.
    const pybind11::gil_scoped_release no_gil;
    return channel.receive();
}

}  // namespace

int serve(protocol::Channel& channel, protocol::WorkerBoard& board, const protocol::WorkerSetup& setup) {
    PythonRuntime python(setup);
    const protocol::WorkerReady ready = python.start();
    const bool sent = channel.send(ready);
    if (!ready.ok) python.exit_now(k_init_failed);
    if (!sent) python.exit_now(0);

    HeldResults held;
    for (;;) {
        // Never wait for work with results unsent.
        if (held.any() && !channel.has_message() && !held.send(channel)) python.exit_now(0);
        const auto message = receive(channel);
        if (!message) python.exit_now(0);  // the agent is gone: nobody wants the results
        if (const auto* task = std::get_if<protocol::RunTask>(&*message)) {
            const auto& d = task->descriptor;
            // File lists need no loading; other kinds tell the agent when loading is done so
            // that --task_overhead_timeout and retry_settings.timeout each time their own phase.
            const auto loaded = [&] {
                if (d.kind != protocol::InputKind::FileList) channel.send(protocol::RunStarted{d.id});
            };
            board.begin();
            protocol::TaskDone done{python.run(d, loaded)};
            channel.queue(done);
            board.finish();  // after encoding: a crash while making the result is this mini-batch's
            python.recycle(std::move(done.result.rows));
            if (!held.may_wait(channel, d.kind) && !held.send(channel)) python.exit_now(0);
        } else if (std::holds_alternative<protocol::StopWorker>(*message)) {
            if (held.any() && !held.send(channel)) python.exit_now(0);
            python.shutdown();
            return 0;  // finalising Python runs the entry script's atexit handlers
        } else {
            throw protocol::ProtocolError("worker got unexpected message type " +
                                          std::to_string(message->index()));
        }
    }
}

}  // namespace prs::worker
