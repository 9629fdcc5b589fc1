#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <set>

#include "prs/orchestrator/isolation.hpp"

using namespace prs::orchestrator;
using prs::protocol::InputKind;

namespace {

// Runs a whole bisection of `n` items of which `bad` fail; returns the attempts and fills `failed`.
std::uint64_t bisect(std::uint64_t n, const std::set<std::uint64_t>& bad, std::vector<ItemRange>& failed) {
    Bisection b(n);
    std::deque<ItemRange> queue;
    for (const auto& p : b.start()) queue.push_back(p);
    while (!queue.empty()) {
        const auto piece = queue.front();
        queue.pop_front();
        const bool ok = bad.lower_bound(piece.lo) == bad.end() || *bad.lower_bound(piece.lo) >= piece.hi;
        for (const auto& p : b.settle(piece, ok, true)) queue.push_back(p);
    }
    EXPECT_TRUE(b.done());
    failed = b.failed();
    return b.attempts();
}

}  // namespace

TEST(Isolation, BisectionFindsExactlyTheBadItemsWithinTheBound) {
    std::mt19937_64 rng(17);
    for (const std::uint64_t n : {2ull, 3ull, 10ull, 100ull, 1000ull, 4096ull}) {
        for (std::uint64_t k = 1; k <= std::min<std::uint64_t>(n, 8); ++k) {
            std::set<std::uint64_t> bad;
            while (bad.size() < k) bad.insert(rng() % n);
            std::vector<ItemRange> failed;
            const auto attempts = bisect(n, bad, failed);
            std::set<std::uint64_t> found;
            for (const auto& r : failed) {
                EXPECT_EQ(r.size(), 1u);
                found.insert(r.lo);
            }
            EXPECT_EQ(found, bad) << "n " << n << " k " << k;
            EXPECT_LE(attempts, bisection_bound(k, n)) << "n " << n << " k " << k;
        }
    }
    std::vector<ItemRange> failed;
    EXPECT_EQ(bisect(1000, {999}, failed), 20u) << "one bad item of 1000: two halves on each of 10 levels";
    EXPECT_EQ(bisection_bound(1, 1000), 20u);
    EXPECT_EQ(bisection_bound(3, 16), 24u);
}

TEST(Isolation, APieceThatFailsAnotherWayIsNotSplit) {
    Bisection b(8);
    const auto halves = b.start();
    ASSERT_EQ(halves, (std::vector<ItemRange>{{0, 4}, {4, 8}}));
    EXPECT_TRUE(b.settle(halves[0], false, false).empty()) << "e.g. a short return: not isolated further";
    EXPECT_TRUE(b.settle(halves[1], true, true).empty());
    EXPECT_TRUE(b.done());
    EXPECT_EQ(b.failed_items(), 4u);
    EXPECT_EQ(b.attempts(), 2u);
}

TEST(Isolation, OnlyExceptionsCrashesAndTimeoutsAreIsolated) {
    using S = prs::protocol::AttemptStatus;
    EXPECT_TRUE(isolates(S::RunException));
    EXPECT_TRUE(isolates(S::ProcessDied));
    EXPECT_TRUE(isolates(S::RunTimeout));
    EXPECT_FALSE(isolates(S::RunDone));
    EXPECT_FALSE(isolates(S::BadReturn));
    EXPECT_FALSE(isolates(S::LoadFailed));
}

TEST(Isolation, RowStartsSkipQuotedLineBreaksWhenAsked) {
    const std::string bytes = "1,a\n2,\"b\nc\"\n3,d";
    EXPECT_EQ(row_starts(bytes, 100, false), (std::vector<std::uint64_t>{100, 104, 109, 112}));
    EXPECT_EQ(row_starts(bytes, 100, true), (std::vector<std::uint64_t>{100, 104, 112}));
    EXPECT_TRUE(row_starts("", 0, false).empty());
}

TEST(Isolation, PiecesOfEachKind) {
    prs::protocol::MiniBatchDescriptor files;
    files.id = 4;
    files.attempt = 2;
    files.files = {"a", "b", "c", "d"};
    files.items = 4;
    const auto f = piece_of(files, {1, 3}, {}, 99);
    EXPECT_EQ(f.id, 99u);
    EXPECT_EQ(f.attempt, 0u);
    EXPECT_EQ(f.files, (std::vector<std::string>{"b", "c"}));
    EXPECT_EQ(f.items, 2u);
    EXPECT_EQ(divisible_items(files, {}), 4u);

    prs::protocol::MiniBatchDescriptor h5;
    h5.kind = InputKind::Hdf5;
    h5.files = {"x.h5"};
    h5.begin = 1000;
    h5.end = 2000;
    const auto h = piece_of(h5, {500, 1000}, {}, 7);
    EXPECT_EQ(h.begin, 1500u);
    EXPECT_EQ(h.end, 2000u);
    EXPECT_EQ(h.items, 500u);
    EXPECT_EQ(divisible_items(h5, {}), 1000u);

    prs::protocol::MiniBatchDescriptor csv;
    csv.kind = InputKind::Delimited;
    csv.files = {"t.csv"};
    csv.begin = 8;
    csv.end = 0;  // to the end of the file
    const std::vector<std::uint64_t> rows{8, 12, 16, 20};
    EXPECT_EQ(piece_of(csv, {1, 3}, rows, 5).begin, 12u);
    EXPECT_EQ(piece_of(csv, {1, 3}, rows, 5).end, 20u);
    EXPECT_EQ(piece_of(csv, {2, 4}, rows, 5).end, 0u) << "the last piece reads to the end, as the whole";
    EXPECT_EQ(divisible_items(csv, rows), 4u);

    csv.partition_values = {"1001"};
    EXPECT_EQ(divisible_items(csv, rows), 0u) << "a partition_keys mini-batch is indivisible";
}
