#include "prs/partition/plain_rows.hpp"

#include <bit>
#include <cstring>

#include "prs/partition/delimited_rows.hpp"

namespace prs::partition {

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

// The high bit of each byte of `word` that equals `c`, and no other bit (no carry crosses
// a byte: (t & 0x7f) + 0x7f <= 0xfe).
std::uint64_t bytes_equal(std::uint64_t word, char c) {
    const std::uint64_t t = word ^ (kOnes * static_cast<unsigned char>(c));
    return ~(((t & ~kHighs) + ~kHighs) | t | ~kHighs);
}

// Eight bytes, the first in the lowest bits: a '\n' found by its lowest set bit is the
// first in the word on every machine.
std::uint64_t load_word(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    return w;
}

// The bytes bytes_equal() marked: their high bits summed into the top byte (std::popcount
// is a library call on the baseline x86-64 this builds for).
std::size_t marked(std::uint64_t mask) { return static_cast<std::size_t>(((mask >> 7) * kOnes) >> 56); }

// Eight bytes a step: each '\n' ends a row, whose delimiters are counted from the word's
// delimiter bits below it. A row with no delimiter may be blank (only then is it read).
class Scan {
public:
    Scan(std::string_view bytes, char delimiter, std::size_t fields, std::vector<std::uint64_t>* row_starts)
        : bytes_(bytes), delimiter_(delimiter), fields_(fields), row_starts_(row_starts) {}

    std::optional<PlainRows> run() {
        const char* const data = bytes_.data();
        const std::size_t words = bytes_.size() / 8;
        std::uint64_t any = 0, quotes = 0;
        for (std::size_t i = 0; i < words; ++i) {
            const std::uint64_t w = load_word(data + 8 * i);
            any |= w;
            std::uint64_t delimiters = 0;
            if (delimiter_) {
                quotes |= bytes_equal(w, '"');
                delimiters = bytes_equal(w, delimiter_);
            }
            for (std::uint64_t breaks = bytes_equal(w, '\n'); breaks; breaks &= breaks - 1) {
                const int bit = std::countr_zero(breaks);
                const std::uint64_t below = (std::uint64_t{1} << bit) - 1;
                count_ += marked(delimiters & below);
                delimiters &= ~below;
                if (!end_row(8 * i + static_cast<std::size_t>(bit / 8) + 1)) return std::nullopt;
            }
            count_ += marked(delimiters);
        }
        for (std::size_t i = 8 * words; i < bytes_.size(); ++i) {
            const char c = data[i];
            any |= static_cast<unsigned char>(c);
            if (delimiter_ && c == '"') quotes = 1;
            if (delimiter_ && c == delimiter_) ++count_;
            if (c == '\n' && !end_row(i + 1)) return std::nullopt;
        }
        if ((any & kHighs) != 0 || quotes != 0) return std::nullopt;
        return PlainRows{rows_, delimiter_ ? fields_ : 0};
    }

private:
    bool end_row(std::size_t end) {
        const std::size_t start = start_;
        start_ = end;
        const std::size_t fields = count_ + 1;
        count_ = 0;
        if (fields == 1 && is_blank_row(bytes_.substr(start, end - start), delimiter_)) return false;
        if (delimiter_) {
            if (fields_ == 0) fields_ = fields;
            if (fields != fields_) return false;
        }
        if (row_starts_) row_starts_->push_back(start);
        ++rows_;
        return true;
    }

    std::string_view bytes_;
    char delimiter_;
    std::size_t fields_;
    std::vector<std::uint64_t>* row_starts_;
    std::size_t start_ = 0;
    std::size_t count_ = 0;
    std::uint32_t rows_ = 0;
};

}  // namespace

std::optional<PlainRows> scan_plain_rows(std::string_view bytes, char delimiter, std::size_t fields,
                                         std::vector<std::uint64_t>* row_starts) {
    return Scan(bytes, delimiter, fields, row_starts).run();
}

}  // namespace prs::partition
