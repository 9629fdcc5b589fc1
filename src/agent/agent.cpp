#include "prs/agent/agent.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <algorithm>

#include <fmt/format.h>

#include "prs/logs/process_log.hpp"
#include "prs/logs/system_error.hpp"
#include "prs/orchestrator/failure_policy.hpp"
#include "prs/util/node_address.hpp"

namespace prs::agent {

namespace {

// Reaps a worker that exited or whose socket closed. The latter normally exits at once;
// one that lingers (stuck atexit handlers, threads) is killed rather than waited on forever.
int reap(WorkerProcess& p) {
    for (int i = 0; i < 200; ++i) {
        if (auto rc = p.try_reap()) return *rc;
        ::usleep(5000);
    }
    p.kill(SIGKILL);
    return p.wait();
}

}  // namespace

void PipelineDepth::observe(double seconds) {
    constexpr double kCover = 0.002;  // seconds of queued work per worker
    average_s_ = average_s_ < 0 ? seconds : 0.8 * average_s_ + 0.2 * seconds;
    depth_ = average_s_ >= kCover ? 1 : std::min(kMax, 1 + static_cast<int>(kCover / std::max(average_s_, 1e-6)));
}

Agent::Agent(AgentConfig cfg)
    : cfg_(std::move(cfg)),
      layout_(cfg_.run_dir),
      main_log_(layout_.node_main(cfg_.node_id)),
      ip_(util::node_address()),
      monitor_(layout_.perf(cfg_.node_id), cfg_.resource_monitor_interval_s, cfg_.local_rank == 0,
               {{"run directory", cfg_.run_dir}, {"output", cfg_.setup.output_dir}, {"input", cfg_.setup.input_path}}) {
    slots_.resize(static_cast<std::size_t>(cfg_.slots));
}

void Agent::start() {
    for (std::size_t i = 0; i < slots_.size(); ++i) spawn(slots_[i], static_cast<int>(i));
}

void Agent::spawn(Slot& s, int index) {
    // Numbers are unique per node and grow with each replacement: slot k of local rank r
    // starts as r*slots+k+1 and adds the node's slot count for every new generation.
    const int node_slots = cfg_.local_size * cfg_.slots;
    const int local_index = cfg_.local_rank * cfg_.slots + index;
    s.name = logs::process_name(local_index + 1 + s.generation * node_slots);
    ++s.generation;
    s.answered = 0;
    s.run_phase = 0;
    s.partial_bytes = 0;

    WorkerLaunch launch = cfg_.launch;
    // An empty value removes the variable: workers beyond the GPU count see none.
    s.gpu = hpc::gpu_for_worker(cfg_.gpus, local_index).value_or("");
    if (!cfg_.gpus.devices.empty()) launch.env.emplace_back("CUDA_VISIBLE_DEVICES", s.gpu);
    launch.stdout_file = layout_.user_stdout(cfg_.node_id, s.name);
    launch.stderr_file = layout_.user_stderr(cfg_.node_id, s.name);
    protocol::WorkerSetup setup = cfg_.setup;
    setup.process_name = s.name;
    setup.node_id = cfg_.node_id;
    try {
        s.process.emplace(WorkerProcess::spawn(launch));
    } catch (const std::exception& e) {
        main_log_.line("ERROR", fmt::format("cannot start {}: {}", s.name, e.what()));
        s.state = State::Dead;
        ++init_failures_;
        return;
    }
    main_log_.line("INFO", fmt::format("{} started with pid {}{}.", s.name, s.process->pid(),
                                       s.gpu.empty() ? "" : ", CUDA_VISIBLE_DEVICES=" + s.gpu));
    s.state = State::Starting;
    s.attempts_log = logs::BufferedLog(layout_.node_process(cfg_.node_id, s.name));
    if (!s.process->channel().send(setup)) on_exit(s, index, "could not receive its setup");
}

void Agent::enqueue(protocol::MiniBatchDescriptor d) { queue_.push_back(std::move(d)); }

void Agent::drain() {
    draining_ = true;
    // A worker still in init() gets no work any more, but may finish init() and call
    // shutdown() as the others do, within the same bound; one that hangs there is killed.
    for (auto& s : slots_)
        if (s.state == State::Starting) s.stop_deadline = Clock::now() + std::chrono::seconds(cfg_.timeout_s);
}

void Agent::abort() {
    aborted_ = true;
    draining_ = true;
    queue_.clear();
    for (auto& s : slots_) {
        if (!s.process) continue;
        s.process->kill(SIGKILL);
        const int rc = s.process->wait();
        main_log_.line("INFO", fmt::format("{} killed (job stopping), returncode {}.", s.name, rc));
        s.process.reset();
        s.tasks.clear();
        s.state = State::Dead;
    }
}

bool Agent::may_respawn() const {
    // Azure's first init rule (rule 13, orchestrator/failure_policy.hpp).
    return !draining_ && orchestrator::may_respawn(init_failures_, cfg_.slots);
}

int Agent::pipeline_depth() const {
    // A worker that loads ahead (--prefetch_mini_batches N) must hold what it loads: the running
    // one, N, and one more on its way, since a worker looks for work to load when its run()
    // begins, just after the result whose answer refills it (a round trip it would lose).
    const int ahead = cfg_.setup.input.kind == protocol::InputKind::FileList ? 0 : cfg_.setup.prefetch_mini_batches;
    return ahead > 0 ? std::max(depth_.depth(), 2 + ahead) : depth_.depth();
}

int Agent::wanted_credit() const {
    const auto ready =
        std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == State::Running; });
    return static_cast<int>(ready) * (pipeline_depth() + 1);
}

void Agent::stop(Slot& s) {
    s.state = State::Stopping;
    s.stop_deadline = Clock::now() + std::chrono::seconds(cfg_.timeout_s);
    s.process->channel().queue(protocol::StopWorker{});
}

void Agent::check_stop_deadlines() {
    const auto now = Clock::now();
    for (auto& s : slots_) {
        if (!s.process || now < s.stop_deadline) continue;
        if (s.state == State::Stopping)
            kill_worker(s, fmt::format("shutdown() and its exit took longer than retry_settings.timeout = {} s "
                                       "(a hanging shutdown() or a non-daemon thread that never ends)",
                                       cfg_.timeout_s));
        else if (s.state == State::Starting && draining_ && !aborted_)
            kill_worker(s, fmt::format("its init() had not finished retry_settings.timeout = {} s after the job's "
                                       "work was done, so it ran no mini-batch",
                                       cfg_.timeout_s));
    }
}

void Agent::kill_worker(Slot& s, const std::string& why) {
    s.process->kill(SIGKILL);
    const int rc = s.process->wait();
    main_log_.line("WARNING", fmt::format("{} killed: {}. {} exits with returncode {}.", s.name, why, s.name, rc));
    out_.push_back(
        protocol::WorkerEvent{protocol::WorkerEvent::Kind::Exited, cfg_.node_id, s.name, rc, "killed: " + why});
    s.process.reset();
    s.state = State::Dead;
}

void Agent::dispatch() {
    // One mini-batch per worker per round, so a short queue spreads over all workers.
    const auto depth = static_cast<std::size_t>(pipeline_depth());
    for (bool progress = true; progress && !queue_.empty();) {
        progress = false;
        for (auto& s : slots_) {
            if (s.state != State::Running || queue_.empty() || s.tasks.size() >= depth) continue;
            // A suspect goes alone to an idle worker (see suspects_).
            const auto suspect = [&](const protocol::MiniBatchDescriptor& d) {
                return suspects_.contains(d.id);
            };
            if (!s.tasks.empty() && (suspect(queue_.front()) || suspect(s.tasks.back()))) continue;
            s.tasks.push_back(std::move(queue_.front()));
            queue_.pop_front();
            s.process->channel().queue_run_task(s.tasks.back());
            progress = true;
        }
    }
    for (auto& s : slots_) {
        if (s.state == State::Running && s.tasks.empty() && queue_.empty() && draining_) stop(s);
        // A worker that is gone shows up as EOF in poll().
        if (s.process && s.process->channel().has_output()) s.process->channel().write_available();
    }
}

void Agent::fail_running(Slot& s, const std::optional<Running>& r, protocol::AttemptStatus status,
                         std::string message) {
    const auto b = s.process->board().read();
    std::uint64_t unsent = b.finished - std::min(b.finished, s.answered);
    if (r && r->index < unsent) --unsent;  // the charged one was among them
    if (r) {
        const auto& task = s.tasks[r->index];
        protocol::AttemptResult a;
        a.mini_batch_id = task.id;
        a.attempt = task.attempt;
        a.status = status;
        a.total = task.items;
        a.error_category = "SystemError";
        a.error_message = std::move(message);
        a.node_id = cfg_.node_id;
        a.process = s.name;
        a.pid = s.process->pid();
        a.start_us = r->start_epoch_us;
        a.elapsed_s = std::chrono::duration<double>(Clock::now() - r->started).count();
        emit_result(s, std::move(a));
        s.tasks.erase(s.tasks.begin() + static_cast<std::ptrdiff_t>(r->index));
    }
    unsent = std::min<std::uint64_t>(unsent, s.tasks.size());
    if (!s.tasks.empty())
        main_log_.line("INFO", fmt::format("{} held {} more mini-batch(es) ({} finished with results not yet sent, "
                                           "{} not started); they go back to the queue.",
                                           s.name, s.tasks.size(), unsent, s.tasks.size() - unsent));
    // They go first so they are not overtaken by newer work.
    while (!s.tasks.empty()) {
        queue_.push_front(std::move(s.tasks.back()));
        s.tasks.pop_back();
    }
}

void Agent::emit_result(Slot& s, protocol::AttemptResult&& r) {
    s.attempts_log.line_with(r.ok() ? "INFO" : "WARNING",
                             [&](std::string& out) { logs::append_attempt_message(out, r, ip_); });
    logs::record_system_failure(layout_, r);
    out_.push_back(protocol::Result{std::move(r)});
}

void Agent::on_exit(Slot& s, int index, const std::string& why, bool charge) {
    const int rc = reap(*s.process);
    main_log_.line("INFO", fmt::format("{} exits with returncode {}.", s.name, rc));
    // Every death is charged to one attempt: the mini-batch it ran; between two, the one
    // whose result it was sending, else the one it was reading. Charging none would hand the
    // mini-batch back, uncharged, to one replacement after another, forever.
    std::optional<Running> r;
    const char* where = "while running";
    if (charge) r = running(s);
    if (charge && !r) {
        r = unsent_result(s);
        where = "after running, before sending the result of";
    }
    if (charge && !r) {
        r = next_to_begin(s);
        where = "before beginning";
    }
    fail_running(s, r, protocol::AttemptStatus::ProcessDied,
                 r ? fmt::format("{} exits with returncode {} {} mini-batch {} ({}). See "
                                 "logs/user/stderr/{}/{}.stderr.txt",
                                 s.name, rc, where, s.tasks[r->index].id, why, cfg_.node_id, s.name)
                   : std::string());
    if (s.state == State::Starting) {
        ++init_failures_;
        out_.push_back(
            protocol::WorkerEvent{protocol::WorkerEvent::Kind::InitFailed, cfg_.node_id, s.name, rc,
                                  fmt::format("{} exited with returncode {} before init() finished", s.name, rc)});
    }
    out_.push_back(protocol::WorkerEvent{protocol::WorkerEvent::Kind::Exited, cfg_.node_id, s.name, rc, why});
    s.process.reset();
    s.state = State::Dead;
    if (may_respawn()) spawn(s, index);
}

void Agent::handle(Slot& s, protocol::WorkerToAgent&& m) {
    std::visit(
        protocol::Overloaded{
            [&](const protocol::WorkerReady& ready) {
                if (ready.ok) {
                    s.state = State::Running;
                    main_log_.line("INFO", fmt::format("{} is ready (init() done).", s.name));
                    out_.push_back(protocol::WorkerEvent{protocol::WorkerEvent::Kind::Ready, cfg_.node_id, s.name, 0,
                                                         s.gpu.empty() ? "no GPU" : "CUDA_VISIBLE_DEVICES=" + s.gpu});
                    return;
                }
                ++init_failures_;
                main_log_.line("ERROR", fmt::format("{} init failed: {}", s.name, ready.error_message));
                logs::LogFile(layout_.user_error(cfg_.node_id, s.name))
                    .raw(fmt::format("{}\n{}\n", ready.error_message, ready.traceback));
                out_.push_back(protocol::WorkerEvent{protocol::WorkerEvent::Kind::InitFailed, cfg_.node_id, s.name, 0,
                                                     ready.error_message + "\n" + ready.traceback});
                // The worker is useless now; the exit is handled (and the slot refilled) in poll().
                s.state = State::Stopping;
                s.stop_deadline = Clock::now() + std::chrono::seconds(cfg_.timeout_s);
                s.process->kill(SIGKILL);
            },
            [&](const protocol::RunStarted& started) {
                const auto r = running(s);
                if (r && s.tasks[r->index].id == started.mini_batch_id) {
                    s.run_phase = r->ordinal;
                    s.run_phase_started = Clock::now();
                }
            },
            [&](protocol::TaskDone& done) {
                if (s.tasks.empty() || done.result.mini_batch_id != s.tasks.front().id)
                    throw protocol::ProtocolError(
                        fmt::format("a result for mini-batch {}, expected {}", done.result.mini_batch_id,
                                    s.tasks.empty() ? std::string("none") : std::to_string(s.tasks.front().id)));
                if (!done.result.traceback.empty())
                    logs::LogFile(layout_.user_error(cfg_.node_id, s.name))
                        .raw(fmt::format("mini-batch {} attempt {}: {}\n{}\n", done.result.mini_batch_id,
                                         done.result.attempt + 1, done.result.error_message, done.result.traceback));
                depth_.observe(done.result.elapsed_s);
                suspects_.erase(done.result.mini_batch_id);
                emit_result(s, std::move(done.result));
                s.tasks.pop_front();
                ++s.answered;
            },
        },
        m);
}

std::optional<Agent::Running> Agent::running(const Slot& s) const {
    if (!s.process) return std::nullopt;
    const auto b = s.process->board().read();
    // Finished or not begun: a result on its way, or a task about to start.
    if (!b.running() || b.started <= s.answered || b.started - s.answered > s.tasks.size()) return std::nullopt;
    Running r;
    r.ordinal = b.started;
    r.index = static_cast<std::size_t>(b.started - 1 - s.answered);
    r.started = Clock::time_point(std::chrono::nanoseconds(b.start_mono_ns));
    r.start_epoch_us = b.start_epoch_us;
    const bool loads = s.tasks[r.index].kind != protocol::InputKind::FileList;
    r.loading = loads && s.run_phase != b.started;
    r.deadline = r.loading ? r.started + std::chrono::seconds(cfg_.load_timeout_s)
                 : loads   ? s.run_phase_started + std::chrono::seconds(cfg_.timeout_s)
                           : r.started + std::chrono::seconds(cfg_.timeout_s);
    return r;
}

std::optional<Agent::Running> Agent::unsent_result(const Slot& s) const {
    if (!s.process) return std::nullopt;
    const auto b = s.process->board().read();
    if (b.running() || b.finished <= s.answered || b.finished - s.answered > s.tasks.size()) return std::nullopt;
    // Nothing runs: the latest begun is the latest finished, and the board holds its start.
    const auto started = Clock::time_point(std::chrono::nanoseconds(b.start_mono_ns));
    return Running{b.finished,      static_cast<std::size_t>(b.finished - 1 - s.answered), false, started, started,
                   b.start_epoch_us};
}

std::size_t Agent::possible_writers(const Slot& s) const {
    const auto b = s.process->board().read();
    return std::min<std::size_t>(s.tasks.size(), b.started - std::min(b.started, s.answered));
}

std::optional<Agent::Running> Agent::next_to_begin(const Slot& s) const {
    if (!s.process) return std::nullopt;
    const auto b = s.process->board().read();
    const auto index = b.started - std::min(b.started, s.answered);  // finished ones come first
    if (index >= s.tasks.size()) return std::nullopt;
    const auto now = Clock::now();
    return Running{b.started + 1, static_cast<std::size_t>(index), false, now, now, logs::epoch_us_now()};
}

void Agent::check_timeouts() {
    const auto now = Clock::now();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        auto& s = slots_[i];
        const auto r = running(s);
        if (!r || now < r->deadline) continue;
        s.process->kill(SIGKILL);
        const int rc = s.process->wait();
        const char* what = r->loading ? "loading the mini-batch's data" : "run()";
        const char* setting = r->loading ? "--task_overhead_timeout" : "retry_settings.timeout";
        const int limit = r->loading ? cfg_.load_timeout_s : cfg_.timeout_s;
        main_log_.line("WARNING", fmt::format("{} killed: {} exceeded {} = {} s on mini-batch {}. {} exits with "
                                              "returncode {}.",
                                              s.name, what, setting, limit, s.tasks[r->index].id, s.name, rc));
        fail_running(s, r, r->loading ? protocol::AttemptStatus::LoadTimeout : protocol::AttemptStatus::RunTimeout,
                     fmt::format("{} took longer than {} = {} s, so {} was killed and replaced. Fix: raise {}{} if "
                                 "mini-batches need longer.",
                                 what, setting, limit, s.name, setting,
                                 r->loading ? " (in task.program_arguments)" : " (v1: run_invocation_timeout)"));
        out_.push_back(protocol::WorkerEvent{protocol::WorkerEvent::Kind::Exited, cfg_.node_id, s.name, rc,
                                             "killed after run() timeout"});
        s.process.reset();
        s.state = State::Dead;
        if (may_respawn()) spawn(s, static_cast<int>(i));
    }
}

void Agent::check_incomplete_frames() {
    constexpr auto kSilence = std::chrono::seconds(10);
    const auto now = Clock::now();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        auto& s = slots_[i];
        if (!s.process || s.partial_bytes == 0 || now - s.partial_since < kSilence) continue;
        on_protocol_error(s, static_cast<int>(i),
                          fmt::format("an incomplete message: {} bytes, then nothing for {} s", s.partial_bytes,
                                      std::chrono::duration_cast<std::chrono::seconds>(kSilence).count()));
    }
}

void Agent::on_protocol_error(Slot& s, int index, const std::string& what) {
    main_log_.line("ERROR", fmt::format("{} sent a malformed message ({}); killing it.", s.name, what));
    s.process->kill(SIGKILL);
    s.process->wait();  // the board is final
    // One candidate (the one it runs, or ran last) is charged as for any death. Several (short
    // mini-batches, results held back): charging one could fail an innocent one, so each runs
    // again alone instead, and the one that did it is charged then.
    const std::size_t writers = possible_writers(s);
    if (writers > 1) {
        std::string ids;
        for (std::size_t i = 0; i < writers; ++i) {
            suspects_.insert(s.tasks[i].id);
            ids += (i ? ", " : "") + std::to_string(s.tasks[i].id);
        }
        main_log_.line("WARNING", fmt::format("{}: one of mini-batches {} wrote it; each runs again alone, on a "
                                              "worker of its own, to tell which.",
                                              s.name, ids));
    }
    on_exit(s, index, "it sent a malformed message: " + what, writers <= 1);
}

bool Agent::saturated() const {
    constexpr int kShortDepth = 8;  // depth 8 or more: mini-batches of ~250 µs or less
    const int depth = depth_.depth();
    if (depth < kShortDepth) return false;
    bool any = false;
    for (const auto& s : slots_) {
        if (s.state != State::Running) continue;
        if (s.tasks.size() < static_cast<std::size_t>(depth)) return false;
        any = true;
    }
    return any;
}

std::vector<protocol::AgentToRankZero> Agent::poll(int timeout_ms) {
    dispatch();
    // Woken for every result, the agent would spend a system call and a context switch
    // per short mini-batch; a nap well inside the workers' pipelines lets them gather.
    constexpr useconds_t kNapUs = 200;
    if (timeout_ms > 0 && saturated()) ::usleep(kNapUs);
    // Two entries per worker: its channel, and its exit (a pidfd). Its exit, not EOF on the
    // channel, tells that it is gone: a child the entry script forked holds the channel open.
    std::vector<pollfd> fds;
    std::vector<std::size_t> owner;
    bool exit_unwatched = false;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (!slots_[i].process) continue;
        auto& p = *slots_[i].process;
        const auto events = static_cast<short>(POLLIN | (p.channel().has_output() ? POLLOUT : 0));
        fds.push_back(pollfd{p.channel().fd(), events, 0});
        fds.push_back(pollfd{p.exit_fd(), POLLIN, 0});  // a negative fd is skipped
        exit_unwatched |= p.exit_fd() < 0;
        owner.push_back(i);
    }
    if (!fds.empty()) {
        // Without pidfds (Linux < 5.3) exits are looked for every so often instead.
        constexpr int kExitCheckMs = 100;
        const int wait_ms = exit_unwatched ? std::min(timeout_ms, kExitCheckMs) : timeout_ms;
        const int n = ::poll(fds.data(), fds.size(), std::max(0, wait_ms));
        for (std::size_t k = 0; n >= 0 && k < owner.size(); ++k) {
            auto& s = slots_[owner[k]];
            if (!s.process) continue;
            const bool readable = fds[2 * k].revents & ~POLLOUT;
            const bool exited = fds[2 * k + 1].revents || (s.process->exit_fd() < 0 && s.process->exited());
            if (!readable && !exited) continue;
            // An exited worker's last messages are still in the socket: read them first.
            const bool alive = s.process->channel().read_available();
            try {
                while (auto m = s.process->channel().next()) handle(s, std::move(*m));
            } catch (const protocol::ProtocolError& e) {
                on_protocol_error(s, static_cast<int>(owner[k]), e.what());
                continue;
            }
            if (const auto pending = s.process->channel().input_bytes(); pending != s.partial_bytes) {
                s.partial_bytes = pending;
                s.partial_since = Clock::now();
            }
            if (exited || !alive)
                on_exit(s, static_cast<int>(owner[k]), exited ? "it exited" : "its connection closed");
        }
    } else if (timeout_ms > 0) {
        ::usleep(static_cast<useconds_t>(std::min(timeout_ms, 50)) * 1000);
    }
    check_timeouts();
    check_stop_deadlines();
    check_incomplete_frames();
    dispatch();
    if (monitor_.due()) sample_resources();
    flush_logs(false);

    const bool none_alive = std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return bool(s.process); });
    if (none_alive && !may_respawn() && !draining_ && !gave_up_) {
        gave_up_ = true;
        main_log_.line("ERROR", fmt::format("stopped starting workers after {} init failures.", init_failures_));
        out_.push_back(protocol::WorkerEvent{protocol::WorkerEvent::Kind::GaveUp, cfg_.node_id, "", 0,
                                             fmt::format("{} init failures on this rank", init_failures_)});
        queue_.clear();
    }
    if (finished()) flush_logs(true);
    return std::exchange(out_, {});
}

void Agent::flush_logs(bool now) {
    const auto t = Clock::now();
    if (!now && t - logs_flushed_ < std::chrono::milliseconds(100)) return;
    logs_flushed_ = t;
    for (auto& s : slots_) s.attempts_log.flush();
}

void Agent::sample_resources() {
    std::vector<MonitoredWorker> workers;
    for (const auto& s : slots_)
        if (s.process) workers.push_back(MonitoredWorker{s.name, s.process->pid()});
    monitor_.sample(workers);
}

bool Agent::finished() const {
    if (!draining_ && !gave_up_) return false;
    return std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return bool(s.process); });
}

int Agent::next_deadline_ms(int cap) const {
    const auto now = Clock::now();
    // A worker that holds tasks and runs none is about to begin one, which sends no
    // message: look again soon, to time it.
    constexpr auto kAboutToBegin = std::chrono::milliseconds(10);
    auto best = std::chrono::milliseconds(cap);
    for (const auto& s : slots_) {
        if (s.process && (s.state == State::Stopping || (s.state == State::Starting && draining_))) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(s.stop_deadline - now);
            best = std::min(best, std::max(left + std::chrono::milliseconds(1), std::chrono::milliseconds(0)));
        }
        if (s.tasks.empty()) continue;
        const auto r = running(s);
        const auto left =
            r ? std::chrono::duration_cast<std::chrono::milliseconds>(r->deadline - now) + std::chrono::milliseconds(1)
              : kAboutToBegin;
        best = std::min(best, std::max(left, std::chrono::milliseconds(0)));
    }
    return static_cast<int>(best.count());
}

}  // namespace prs::agent
