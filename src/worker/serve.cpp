#include "serve.hpp"

#include <string>

#include "python_runtime.hpp"

namespace prs::worker {

namespace {

// The exit code of a worker whose import or init() failed, as of a Python script that
// raised.
constexpr int k_init_failed = 1;

std::optional<protocol::Message> receive(protocol::Channel& channel) {
    // Threads the entry script started (loaders, loggers) run while we wait.
    const pybind11::gil_scoped_release no_gil;
    return channel.receive();
}

}  // namespace

int serve(protocol::Channel& channel, const protocol::WorkerSetup& setup) {
    PythonRuntime python(setup);
    const protocol::WorkerReady ready = python.start();
    const bool sent = channel.send(ready);
    if (!ready.ok) python.exit_now(k_init_failed);
    if (!sent) python.exit_now(0);

    for (;;) {
        const auto message = receive(channel);
        if (!message) python.exit_now(0);  // the agent is gone: nobody wants the results
        if (const auto* task = std::get_if<protocol::RunTask>(&*message)) {
            const auto& d = task->descriptor;
            // File lists need no loading; other kinds tell the agent when loading is done so
            // that --task_overhead_timeout and retry_settings.timeout each time their own phase.
            const auto loaded = [&] {
                if (d.kind != protocol::InputKind::FileList) channel.send(protocol::RunStarted{d.id});
            };
            protocol::TaskDone done{python.run(d, loaded)};
            if (!channel.send(done)) python.exit_now(0);
            python.recycle(std::move(done.result.rows));
        } else if (std::holds_alternative<protocol::StopWorker>(*message)) {
            python.shutdown();
            return 0;  // finalising Python runs the entry script's atexit handlers
        } else {
            throw protocol::ProtocolError("worker got unexpected message type " +
                                          std::to_string(message->index()));
        }
    }
}

}  // namespace prs::worker
