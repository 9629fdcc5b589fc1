// The Agent's worker lifecycle with the real prs_mpi_worker: no credit for a worker still
// in init(), a bounded shutdown, a worker stuck in init() ended once the agent drains.

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "prs/agent/agent.hpp"

namespace prs::agent {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class AgentLifecycle : public testing::Test {
protected:
    void SetUp() override {
        const auto* info = testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("prs_agent_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "code");
        cfg_.slots = 1;
        cfg_.timeout_s = 1;
        cfg_.run_dir = dir_ / "run";
        cfg_.launch.worker_binary = PRS_WORKER_BINARY;
        auto& s = cfg_.setup;
        s.entry_script = (dir_ / "code/score.py").string();
        s.code_dir = (dir_ / "code").string();
        s.argv = {s.entry_script};
        s.logging_level = "INFO";
        s.log_dir = (cfg_.run_dir / "logs").string();
        s.output_dir = (dir_ / "out").string();
        s.input_path = (dir_ / "in").string();
    }
    void TearDown() override {
        agent_.reset();
        fs::remove_all(dir_);
    }

    void start(const std::string& script) {
        std::ofstream(cfg_.setup.entry_script) << script;
        agent_.emplace(cfg_);
        agent_->start();
    }

    // Polls until `done` holds or `limit` passes; collects every event.
    template <class Done>
    bool poll_until(Done done, std::chrono::seconds limit = std::chrono::seconds(30)) {
        const auto deadline = Clock::now() + limit;
        while (Clock::now() < deadline) {
            for (auto& m : agent_->poll(50))
                if (auto* e = std::get_if<protocol::WorkerEvent>(&m)) events_.push_back(*e);
            if (done()) return true;
        }
        return false;
    }
    bool ready() const {
        return std::any_of(events_.begin(), events_.end(),
                           [](const auto& e) { return e.kind == protocol::WorkerEvent::Kind::Ready; });
    }
    std::string exits() const {
        std::string out;
        for (const auto& e : events_)
            if (e.kind == protocol::WorkerEvent::Kind::Exited) out += e.message + "\n";
        return out;
    }

    fs::path dir_;
    AgentConfig cfg_;
    std::optional<Agent> agent_;
    std::vector<protocol::WorkerEvent> events_;
};

TEST_F(AgentLifecycle, NoCreditUntilAWorkerFinishedInit) {
    start("import time\ndef init():\n    time.sleep(0.5)\n\ndef run(mini_batch):\n    return mini_batch\n");
    EXPECT_EQ(agent_->wanted_credit(), 0);
    ASSERT_TRUE(poll_until([&] { return ready(); }));
    EXPECT_EQ(agent_->wanted_credit(), 2);  // one worker: its pipeline of 1, plus 1 queued here
}

TEST_F(AgentLifecycle, AShutdownThatNeverReturnsIsKilledAfterTheTimeout) {
    start(
        "import time\ndef init():\n    pass\n\ndef run(mini_batch):\n    return mini_batch\n\n"
        "def shutdown():\n    time.sleep(3600)\n");
    ASSERT_TRUE(poll_until([&] { return ready(); }));
    agent_->drain();
    const auto drained = Clock::now();
    ASSERT_TRUE(poll_until([&] { return agent_->finished(); }));
    EXPECT_LT(Clock::now() - drained, std::chrono::seconds(10));
    EXPECT_NE(exits().find("killed: shutdown() and its exit took longer than retry_settings.timeout = 1 s"),
              std::string::npos)
        << exits();
}

TEST_F(AgentLifecycle, AWorkerStuckInInitIsKilledOnceTheAgentDrains) {
    start("import time\ndef init():\n    time.sleep(3600)\n\ndef run(mini_batch):\n    return mini_batch\n");
    ASSERT_FALSE(poll_until([&] { return ready(); }, std::chrono::seconds(1)));
    agent_->drain();
    ASSERT_TRUE(poll_until([&] { return agent_->finished(); }, std::chrono::seconds(10)));
    EXPECT_NE(exits().find("killed: its init() had not finished retry_settings.timeout = 1 s after the job's work "
                           "was done"),
              std::string::npos)
        << exits();
}

}  // namespace
}  // namespace prs::agent
