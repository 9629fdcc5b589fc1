#include <gtest/gtest.h>

#include <set>

#include "prs/orchestrator/scheduler.hpp"
#include "prs/partition/file_list.hpp"

using namespace prs;
using orchestrator::Scheduler;
using orchestrator::Verdict;

namespace {

partition::PathList names(int n) {
    partition::PathList v;
    for (int i = 0; i < n; ++i) v.add("/f" + std::to_string(i));
    return v;
}

protocol::AttemptResult result_for(const protocol::MiniBatchDescriptor& d, bool ok) {
    protocol::AttemptResult r;
    r.mini_batch_id = d.id;
    r.attempt = d.attempt;
    r.total = static_cast<std::uint32_t>(d.files.size());
    r.succeeded = ok ? r.total : 0;
    r.status = ok ? protocol::AttemptStatus::RunDone : protocol::AttemptStatus::RunException;
    return r;
}

}  // namespace

TEST(Scheduler, HandsOutNoMoreThanEachAgentsCredit) {
    partition::FileListPartition p(names(10), 1);
    Scheduler s(p, 2);
    s.add_agent(2);
    s.add_agent(3);
    const auto a = s.assign();
    ASSERT_EQ(a.size(), 5u);
    EXPECT_EQ(std::count_if(a.begin(), a.end(), [](auto& x) { return x.agent == 0; }), 2);
    EXPECT_TRUE(s.assign().empty()) << "no credit left";
    EXPECT_EQ(s.on_result(0, result_for(a[0].descriptor, true)), Verdict::Succeeded);
    const auto more = s.assign();
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(more[0].agent, a[0].agent);
}

TEST(Scheduler, EveryMiniBatchIsFinalExactlyOnce) {
    partition::FileListPartition p(names(25), 2);
    Scheduler s(p, 2);
    s.add_agent(4);
    s.add_agent(4);
    std::multiset<std::uint64_t> finals;
    int round = 0;
    while (!s.finished()) {
        for (auto& a : s.assign()) {
            // every third first attempt fails, then succeeds on retry
            const bool ok = !(a.descriptor.id % 3 == 0 && a.descriptor.attempt == 0);
            const auto v = s.on_result(a.agent, result_for(a.descriptor, ok));
            if (v == Verdict::Succeeded || v == Verdict::Failed) finals.insert(a.descriptor.id);
        }
        ASSERT_LT(++round, 100);
    }
    ASSERT_EQ(finals.size(), 13u);
    for (std::uint64_t id = 0; id < 13; ++id) EXPECT_EQ(finals.count(id), 1u) << id;
}

TEST(Scheduler, RetriesUntilMaxRetriesThenFails) {
    partition::FileListPartition p(names(1), 1);
    Scheduler s(p, 2);
    s.add_agent(1);
    std::vector<Verdict> verdicts;
    std::vector<std::uint32_t> attempts;
    while (!s.finished()) {
        for (auto& a : s.assign()) {
            attempts.push_back(a.descriptor.attempt);
            verdicts.push_back(s.on_result(a.agent, result_for(a.descriptor, false)));
        }
    }
    EXPECT_EQ(attempts, (std::vector<std::uint32_t>{0, 1, 2}));
    EXPECT_EQ(verdicts, (std::vector<Verdict>{Verdict::WillRetry, Verdict::WillRetry, Verdict::Failed}));
}

TEST(Scheduler, RetryPrefersAnotherAgent) {
    partition::FileListPartition p(names(1), 1);
    Scheduler s(p, 1);
    s.add_agent(1);
    s.add_agent(1);
    auto first = s.assign();
    ASSERT_EQ(first.size(), 1u);
    const int failed_on = first[0].agent;
    s.on_result(failed_on, result_for(first[0].descriptor, false));
    auto retry = s.assign();
    ASSERT_EQ(retry.size(), 1u);
    EXPECT_NE(retry[0].agent, failed_on);
    EXPECT_EQ(retry[0].descriptor.attempt, 1u);
}

TEST(Scheduler, StaleAndDuplicateResultsAreIgnored) {
    partition::FileListPartition p(names(1), 1);
    Scheduler s(p, 2);
    s.add_agent(1);
    auto a = s.assign();
    auto r = result_for(a[0].descriptor, true);
    EXPECT_EQ(s.on_result(0, r), Verdict::Succeeded);
    EXPECT_EQ(s.on_result(0, r), Verdict::Stale);
}

TEST(Scheduler, LostAgentsWorkGoesElsewhere) {
    partition::FileListPartition p(names(4), 1);
    Scheduler s(p, 2);
    s.add_agent(2);
    s.add_agent(2);
    auto a = s.assign();
    ASSERT_EQ(a.size(), 4u);
    const auto lost = s.on_agent_lost(1);
    EXPECT_EQ(lost.size(), 2u);
    for (auto& [d, v] : lost) EXPECT_EQ(v, Verdict::WillRetry);
    EXPECT_FALSE(s.agent_alive(1));
    for (auto& x : a)
        if (x.agent == 0) s.on_result(0, result_for(x.descriptor, true));
    auto again = s.assign();
    ASSERT_EQ(again.size(), 2u);
    for (auto& x : again) EXPECT_EQ(x.agent, 0);
}

TEST(Scheduler, StopDispatchingFinishesWhenInFlightReturn) {
    partition::FileListPartition p(names(10), 1);
    Scheduler s(p, 2);
    s.add_agent(2);
    auto a = s.assign();
    s.stop_dispatching();
    EXPECT_FALSE(s.finished());
    for (auto& x : a) s.on_result(0, result_for(x.descriptor, true));
    EXPECT_TRUE(s.finished());
    EXPECT_TRUE(s.assign().empty());
}

TEST(Scheduler, FailuresWhileStoppingAreNotFinal) {
    partition::FileListPartition p(names(3), 1);
    Scheduler s(p, 2);
    s.add_agent(3);
    auto a = s.assign();
    ASSERT_EQ(a.size(), 3u);
    s.stop_dispatching();
    EXPECT_EQ(s.on_result(0, result_for(a[0].descriptor, true)), Verdict::Succeeded);
    EXPECT_EQ(s.on_result(0, result_for(a[1].descriptor, false)), Verdict::Interrupted);
    EXPECT_EQ(s.on_result(0, result_for(a[2].descriptor, false)), Verdict::Interrupted);
    EXPECT_TRUE(s.finished());
    EXPECT_TRUE(s.assign().empty()) << "an interrupted mini-batch is not retried in this run";
}

TEST(Scheduler, ResumedRunSkipsDoneMiniBatches) {
    partition::FileListPartition p(names(5), 1);
    Scheduler s(p, 2);
    s.add_agent(10);
    s.skip({true, false, true, true});
    std::vector<std::uint64_t> ids;
    for (auto& a : s.assign()) ids.push_back(a.descriptor.id);
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 4}));
}

TEST(Scheduler, CreditChangesAreFollowedAndTheRoundRobinGoesOneEach) {
    partition::FileListPartition p(names(40), 1);
    Scheduler s(p, 2);
    s.add_agent(0);  // remote agents start without credit
    s.add_agent(0);
    s.add_agent(0);
    EXPECT_TRUE(s.assign().empty());
    s.set_credit(0, 2);
    s.set_credit(2, 3);
    // One each in index order, then again, until each agent's credit is spent.
    std::vector<int> order;
    std::vector<protocol::MiniBatchDescriptor> held;
    for (auto& a : s.assign()) {
        order.push_back(a.agent);
        held.push_back(a.descriptor);
    }
    EXPECT_EQ(order, (std::vector<int>{0, 2, 0, 2, 2}));
    // Lowered below what it holds: nothing more until it holds less than the new credit.
    s.set_credit(2, 1);
    EXPECT_TRUE(s.assign().empty());
    EXPECT_EQ(s.on_result(2, result_for(held[1], true)), Verdict::Succeeded);
    EXPECT_TRUE(s.assign().empty()) << "agent 2 still holds 2 with credit 1";
    EXPECT_EQ(s.on_result(2, result_for(held[3], true)), Verdict::Succeeded);
    EXPECT_TRUE(s.assign().empty()) << "agent 2 holds 1 with credit 1";
    s.set_credit(2, 2);
    auto more = s.assign();
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(more[0].agent, 2);
    // A lost agent takes nothing, whatever its credit; the live count follows.
    EXPECT_EQ(s.live_agents(), 3);
    s.on_agent_lost(1);
    s.set_credit(1, 5);
    EXPECT_EQ(s.live_agents(), 2);
    EXPECT_TRUE(s.assign().empty());
    s.on_agent_lost(1);  // twice: still one fewer
    EXPECT_EQ(s.live_agents(), 2);
}
