#pragma once
// --isolate_failed_items: a mini-batch whose every attempt raised, crashed or timed out is
// split in halves and each half is run once; a half that fails the same way is split
// again, down to single items. The items of halves that succeed are done once; only the
// failing items fail. For k failing items among n that costs at most 2·k·ceil(log2 n)
// extra attempts: at each of the ceil(log2 n) levels only pieces holding a failing item
// fail, at most k, and each is run as two halves.
//
// Pieces are ranges [lo, hi) of the mini-batch's items: its files, its HDF5 rows, or its
// tabular rows (row_starts: where each row begins, found by rank 0 in the mini-batch's bytes).

#include <cstdint>
#include <string_view>
#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::orchestrator {

struct ItemRange {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::uint64_t size() const { return hi - lo; }
    bool operator==(const ItemRange&) const = default;
};

// A failure isolation splits on: run() raised, the worker died (segfault, OOM kill), run() timed out.
bool isolates(protocol::AttemptStatus status);

// The most extra attempts bisection spends on `bad` failing items among `items`.
std::uint64_t bisection_bound(std::uint64_t bad, std::uint64_t items);

// One mini-batch's bisection.
class Bisection {
public:
    explicit Bisection(std::uint64_t items);  // at least 2
    // The two halves of the whole: the first pieces to run.
    std::vector<ItemRange> start();
    // A piece's outcome. Returns its halves to run when it failed and `split` (a failure that
    // isolation splits on, more than one item); otherwise none.
    std::vector<ItemRange> settle(ItemRange piece, bool ok, bool split);
    bool done() const { return outstanding_ == 0; }
    std::uint64_t items() const { return items_; }
    std::uint64_t attempts() const { return attempts_; }
    std::uint64_t failed_items() const;
    const std::vector<ItemRange>& failed() const { return failed_; }  // in the order they failed

private:
    std::uint64_t items_;
    std::uint64_t outstanding_ = 0;
    std::uint64_t attempts_ = 0;
    std::vector<ItemRange> failed_;
};

// Where each row of a tabular mini-batch's `bytes` (found at file offset `begin`) starts; a
// line break inside double quotes does not end a row when `quoted` (support_multi_line).
std::vector<std::uint64_t> row_starts(std::string_view bytes, std::uint64_t begin, bool quoted);

// How many items rank 0 can split `d` into: its files, its HDF5 rows, `rows` (the row starts
// of a tabular one); 0 for a partition_keys mini-batch, which is indivisible.
std::uint64_t divisible_items(const protocol::MiniBatchDescriptor& d, const std::vector<std::uint64_t>& rows);

// The descriptor of the items `r` of `whole`, under the id `id`.
protocol::MiniBatchDescriptor piece_of(const protocol::MiniBatchDescriptor& whole, ItemRange r,
                                       const std::vector<std::uint64_t>& rows, std::uint64_t id);

}  // namespace prs::orchestrator
