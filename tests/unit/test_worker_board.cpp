#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "prs/protocol/worker_board.hpp"

namespace prs::protocol {
namespace {

std::int64_t mono_ns_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

TEST(WorkerBoard, NewBoardShowsNothingRunning) {
    const auto board = WorkerBoard::create();
    const auto r = board.read();
    EXPECT_EQ(r.started, 0u);
    EXPECT_EQ(r.finished, 0u);
    EXPECT_FALSE(r.running());
}

TEST(WorkerBoard, BeginAndFinishAreSeenAcrossProcessesAndAfterTheWriterDied) {
    auto board = WorkerBoard::create();
    const std::int64_t before = mono_ns_now();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // What a worker does: its own mapping of the inherited descriptor.
        auto mine = WorkerBoard::map_and_close(::dup(board.fd()));
        mine.begin();
        mine.finish();
        mine.begin();  // the second mini-batch runs when the worker dies
        std::_Exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    const auto r = board.read();
    EXPECT_EQ(r.started, 2u);
    EXPECT_EQ(r.finished, 1u);
    EXPECT_TRUE(r.running());
    EXPECT_GE(r.start_mono_ns, before);
    EXPECT_LE(r.start_mono_ns, mono_ns_now());
    EXPECT_GT(r.start_epoch_us, 0);
}

TEST(WorkerBoard, AMiniBatchLoadedAheadBeginsAsOfItsLoadsStart) {
    auto board = WorkerBoard::create();
    board.begin();
    board.finish();
    board.begin(12345, 678);  // its load began while the one before it ran
    const auto r = board.read();
    EXPECT_EQ(r.started, 2u);
    EXPECT_TRUE(r.running());
    EXPECT_EQ(r.start_mono_ns, 12345);
    EXPECT_EQ(r.start_epoch_us, 678);
}

TEST(WorkerBoard, ReadingsWhileTheWorkerWritesNeverRunAhead) {
    // A reader racing the writer could see `finished` of a later begin() than its
    // `started`, and call a finished worker idle one mini-batch early.
    auto board = WorkerBoard::create();
    constexpr std::uint64_t kRounds = 200000;
    std::thread writer([&] {
        for (std::uint64_t i = 0; i < kRounds; ++i) {
            board.begin();
            board.finish();
        }
    });
    std::uint64_t last = 0;
    for (std::uint64_t i = 0; i < kRounds; ++i) {
        const auto r = board.read();
        ASSERT_LE(r.finished, r.started);
        ASSERT_GE(r.started, last);
        last = r.started;
    }
    writer.join();
    EXPECT_EQ(board.read().started, kRounds);
}

}  // namespace
}  // namespace prs::protocol
