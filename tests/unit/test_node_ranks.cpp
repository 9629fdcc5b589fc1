#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prs/hpc/node_ranks.hpp"

namespace prs::hpc {
namespace {

pid_t start_sleeper() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    return pid;
}

TEST(NodeRanks, KillsTheRankItHolds) {
    const pid_t child = start_sleeper();
    ASSERT_GT(child, 0);
    const NodeRanks ranks({{3, child}});
    EXPECT_EQ(ranks.pid(3), child);
    EXPECT_TRUE(ranks.kill(3));
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(NodeRanks, ARankOnAnotherNodeOrGoneIsNotKilled) {
    const pid_t child = start_sleeper();
    ASSERT_GT(child, 0);
    const NodeRanks ranks({{3, child}});
    EXPECT_FALSE(ranks.kill(4));
    EXPECT_EQ(ranks.pid(4), -1);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    // Reaped: its pid may belong to a stranger by now, but the pidfd still names the dead one.
    EXPECT_FALSE(ranks.kill(3));
}

}  // namespace
}  // namespace prs::hpc
