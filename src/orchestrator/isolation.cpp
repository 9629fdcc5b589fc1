#include "prs/orchestrator/isolation.hpp"

#include <bit>

namespace prs::orchestrator {

using protocol::AttemptStatus;
using protocol::InputKind;

bool isolates(AttemptStatus status) {
    return status == AttemptStatus::RunException || status == AttemptStatus::ProcessDied ||
           status == AttemptStatus::RunTimeout;
}

std::uint64_t bisection_bound(std::uint64_t bad, std::uint64_t items) {
    if (items < 2) return 0;
    const auto levels = static_cast<std::uint64_t>(std::bit_width(items - 1));  // ceil(log2 items)
    return 2 * bad * levels;
}

Bisection::Bisection(std::uint64_t items) : items_(items) {}

namespace {
std::vector<ItemRange> halves(ItemRange r) {
    const auto mid = r.lo + r.size() / 2;
    return {ItemRange{r.lo, mid}, ItemRange{mid, r.hi}};
}
}  // namespace

std::vector<ItemRange> Bisection::start() {
    auto pieces = halves(ItemRange{0, items_});
    outstanding_ += pieces.size();
    attempts_ += pieces.size();
    return pieces;
}

std::vector<ItemRange> Bisection::settle(ItemRange piece, bool ok, bool split) {
    --outstanding_;
    if (ok) return {};
    if (!split || piece.size() < 2) {
        failed_.push_back(piece);
        return {};
    }
    auto pieces = halves(piece);
    outstanding_ += pieces.size();
    attempts_ += pieces.size();
    return pieces;
}

std::uint64_t Bisection::failed_items() const {
    std::uint64_t n = 0;
    for (const auto& r : failed_) n += r.size();
    return n;
}

std::vector<std::uint64_t> row_starts(std::string_view bytes, std::uint64_t begin, bool quoted) {
    std::vector<std::uint64_t> starts;
    bool in_quotes = false;
    bool at_start = true;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (at_start) {
            starts.push_back(begin + i);
            at_start = false;
        }
        const char c = bytes[i];
        if (quoted && c == '"')
            in_quotes = !in_quotes;
        else if (c == '\n' && !in_quotes)
            at_start = true;
    }
    return starts;
}

std::uint64_t divisible_items(const protocol::MiniBatchDescriptor& d, const std::vector<std::uint64_t>& rows) {
    if (!d.partition_values.empty()) return 0;
    switch (d.kind) {
        case InputKind::FileList:
            return d.files.size();
        case InputKind::Hdf5:
            return d.end - d.begin;
        case InputKind::Delimited:
        case InputKind::JsonLines:
            return rows.size();
    }
    return 0;
}

protocol::MiniBatchDescriptor piece_of(const protocol::MiniBatchDescriptor& whole, ItemRange r,
                                       const std::vector<std::uint64_t>& rows, std::uint64_t id) {
    protocol::MiniBatchDescriptor d = whole;
    d.id = id;
    d.attempt = 0;
    switch (whole.kind) {
        case InputKind::FileList:
            d.files.assign(whole.files.begin() + static_cast<std::ptrdiff_t>(r.lo),
                           whole.files.begin() + static_cast<std::ptrdiff_t>(r.hi));
            d.items = static_cast<std::uint32_t>(r.size());
            break;
        case InputKind::Hdf5:
            d.begin = whole.begin + r.lo;
            d.end = whole.begin + r.hi;
            d.items = static_cast<std::uint32_t>(r.size());
            break;
        case InputKind::Delimited:
        case InputKind::JsonLines:
            d.begin = rows[r.lo];
            d.end = r.hi < rows.size() ? rows[r.hi] : whole.end;  // 0: to the end of the file, as the whole
            break;
    }
    return d;
}

}  // namespace prs::orchestrator
