// bench_orchestrator: rank 0 at scale, by simulation (issue #19). The real orchestrator and
// scheduler hand a synthetic partition's mini-batches to simulated ranks
// (tests/unit/simulated_ranks.hpp: no processes, no MPI, simulated time), which keep a credit
// pipeline, answer with rows of realistic size and send heartbeats. Per rank count it prints
// rank 0's CPU time per mini-batch (getrusage of the process, every thread, minus the time
// spent inside the simulation) and its peak RSS (VmHWM; each count runs in its own process).
// See bench/README.md.
//   build/bench/bench_orchestrator [--mini-batches N | --full] [--ranks 10,100,1000,10000]
//                                  [--run-ms MS] [--rows R] [--row-bytes B] [--credit C]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "prs/orchestrator/orchestrator.hpp"
#include "simulated_ranks.hpp"

namespace fs = std::filesystem;
using namespace prs;

namespace {

using Wall = std::chrono::steady_clock;

// This thread's CPU time: on a loaded machine wall time inside the simulation would count
// the time the thread waited for a core.
double thread_cpu_s() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// The CPU time the orchestrator spends inside the simulation, to subtract from the process's.
// Each scope reads the clock twice; about one read's cost falls outside it (`scopes` says how
// many, to take that out too).
struct SimCost {
    double spent_s = 0;
    std::uint64_t scopes = 0;
    struct Scope {
        SimCost& cost;
        double t0 = thread_cpu_s();
        ~Scope() {
            cost.spent_s += thread_cpu_s() - t0;
            ++cost.scopes;
        }
    };
};

double clock_read_s() {
    constexpr int n = 100000;
    const double t0 = thread_cpu_s();
    for (int i = 0; i < n; ++i) thread_cpu_s();
    return (thread_cpu_s() - t0) / n;
}

class TimedTransport : public transport::RankZeroEndpoint {
public:
    TimedTransport(sim::SimulatedTransport& inner, SimCost& cost) : inner_(inner), cost_(cost) {}
    int rank() const override { return 0; }
    int size() const override { return inner_.size(); }
    bool send(int to, const protocol::RankZeroToAgent& m) override {
        SimCost::Scope s{cost_};
        return inner_.send(to, m);
    }
    void post() override {}
    std::optional<std::pair<int, protocol::AgentToRankZero>> receive() override {
        SimCost::Scope s{cost_};
        return inner_.receive();
    }
    void flush() override {}
    bool progress() override { return false; }

private:
    sim::SimulatedTransport& inner_;
    SimCost& cost_;
};

class TimedAgent : public agent::LocalAgent {
public:
    TimedAgent(sim::SimulatedAgent& inner, SimCost& cost) : inner_(inner), cost_(cost) {}
    void enqueue(protocol::MiniBatchDescriptor d) override {
        SimCost::Scope s{cost_};
        inner_.enqueue(std::move(d));
    }
    void drain() override { inner_.drain(); }
    void abort() override { inner_.abort(); }
    std::vector<protocol::AgentToRankZero> poll(int timeout_ms) override {
        SimCost::Scope s{cost_};
        return inner_.poll(timeout_ms);
    }
    bool finished() const override { return inner_.finished(); }
    int wanted_credit() const override { return inner_.wanted_credit(); }
    int next_deadline_ms(int cap) const override { return inner_.next_deadline_ms(cap); }

private:
    sim::SimulatedAgent& inner_;
    SimCost& cost_;
};

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long vm_hwm_kb() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

struct Settings {
    std::uint64_t mini_batches = 1'000'000;
    double run_ms = 1;
    int rows = 2;
    std::size_t row_bytes = 100;
    int credit = 8;  // the agent loop's 2 x (a worker's pipeline of ~3 short mini-batches + 1)
};

struct Figures {
    int code = -1;
    double cpu_s = 0, sim_s = 0, wall_s = 0, sim_time_s = 0;
    std::uint64_t scopes = 0;
    long hwm_kb = 0;
};

Figures run_one(const Settings& s, int ranks) {
    char tmpl[] = "/tmp/prs_bench_orchestrator_XXXXXX";
    const fs::path dir = ::mkdtemp(tmpl);
    config::JobSpec job;
    job.inputs = {config::InputSpec{"data", config::InputType::UriFolder, dir / "input", "", {}, ""}};
    job.major_input = "data";
    job.progress_update_timeout = 3 * (job.timeout + job.task_overhead_timeout);
    sim::RankBehaviour b;
    b.credit = s.credit;
    b.run_time = std::chrono::microseconds(static_cast<std::int64_t>(s.run_ms * 1000));
    b.rows = s.rows;
    b.row_bytes = s.row_bytes;
    sim::SimClock clock;
    const auto sim_start = clock.now();
    sim::SimulatedTransport remote(clock, ranks, b);
    sim::SimulatedAgent local(clock, b);
    SimCost cost;
    TimedTransport transport(remote, cost);
    TimedAgent agent(local, cost);
    sim::SyntheticPartition partition(s.mini_batches);
    orchestrator::Topology topology;
    topology.world_size = ranks;
    topology.node_count = ranks;
    orchestrator::Environment env;
    env.now = [&clock] {
        return clock.now();
    };
    env.stop_request = [] {
        return orchestrator::StopRequest{};
    };
    Figures f;
    const double cpu0 = cpu_seconds();
    const auto wall0 = Wall::now();
    {
        auto journal = orchestrator::Journal::create(dir / "journal", "fingerprint");
        orchestrator::Orchestrator orch(job, logs::Layout(dir), partition, agent, &transport, topology, dir / "out.txt",
                                        journal, nullptr, env);
        f.code = orch.run();
    }
    f.wall_s = std::chrono::duration<double>(Wall::now() - wall0).count();
    f.cpu_s = cpu_seconds() - cpu0;
    f.sim_s = cost.spent_s;
    f.scopes = cost.scopes;
    f.sim_time_s = std::chrono::duration<double>(clock.now() - sim_start).count();
    f.hwm_kb = vm_hwm_kb();
    std::error_code ec;
    fs::remove_all(dir, ec);
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    std::vector<int> rank_counts{10, 100, 1000, 10000};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&] {
            return i + 1 < argc ? std::string(argv[++i]) : std::string("0");
        };
        if (a == "--mini-batches")
            s.mini_batches = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--full")
            s.mini_batches = 10'000'000;
        else if (a == "--run-ms")
            s.run_ms = std::atof(value().c_str());
        else if (a == "--rows")
            s.rows = std::atoi(value().c_str());
        else if (a == "--row-bytes")
            s.row_bytes = std::strtoul(value().c_str(), nullptr, 10);
        else if (a == "--credit")
            s.credit = std::atoi(value().c_str());
        else if (a == "--ranks") {
            rank_counts.clear();
            std::stringstream list(value());
            for (std::string n; std::getline(list, n, ',');) rank_counts.push_back(std::atoi(n.c_str()));
        } else {
            std::puts(
                "bench_orchestrator [--mini-batches N | --full] [--ranks 10,100,1000,10000] [--run-ms MS] "
                "[--rows R] [--row-bytes B] [--credit C]");
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    // The orchestrator's progress line and summary go to stderr; the table to stdout.
    std::printf("rank 0 by simulation: %llu mini-batches of %d x %zu-byte rows, %.2f ms each, credit %d per rank\n",
                static_cast<unsigned long long>(s.mini_batches), s.rows, s.row_bytes, s.run_ms, s.credit);
    std::printf(
        "| ranks | exit | rank 0 CPU per mini-batch | simulation (excluded) | wall | simulated time | peak RSS |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    std::fflush(stdout);
    const double read_s = clock_read_s();
    int worst = 0;
    for (int ranks : rank_counts) {
        int pipe_fd[2];
        if (::pipe(pipe_fd) != 0) return 1;
        const pid_t pid = ::fork();
        if (pid == 0) {  // each count in its own process: its own peak RSS
            ::close(pipe_fd[0]);
            const Figures f = run_one(s, ranks);
            if (::write(pipe_fd[1], &f, sizeof f) != sizeof f) ::_exit(1);
            ::_exit(0);
        }
        ::close(pipe_fd[1]);
        Figures f;
        const bool got = ::read(pipe_fd[0], &f, sizeof f) == sizeof f;
        ::close(pipe_fd[0]);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!got) {
            std::printf("| %d | (the run failed) | | | | | |\n", ranks);
            worst = 1;
            continue;
        }
        const double rank0_s = f.cpu_s - f.sim_s - static_cast<double>(f.scopes) * read_s;
        const double per_mb_us = rank0_s / static_cast<double>(s.mini_batches) * 1e6;
        std::printf("| %d | %d | %.2f µs | %.2f µs | %.1f s | %.0f s | %.0f MB |\n", ranks, f.code, per_mb_us,
                    f.sim_s / static_cast<double>(s.mini_batches) * 1e6, f.wall_s, f.sim_time_s,
                    static_cast<double>(f.hwm_kb) / 1024);
        std::fflush(stdout);
        if (f.code != 0) worst = 1;
    }
    return worst;
}
