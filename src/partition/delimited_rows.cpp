#include "prs/partition/delimited_rows.hpp"

#include <cstring>
#include <map>

namespace prs::partition {

namespace {

// The first byte in [p, end) equal to `a` or `b`, else `end`; eight bytes per step
// (a zero byte in v ^ broadcast(a) marks an `a`).
const char* find_either(const char* p, const char* end, char a, char b) {
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t highs = 0x8080808080808080ull;
    const std::uint64_t ka = ones * static_cast<unsigned char>(a);
    const std::uint64_t kb = ones * static_cast<unsigned char>(b);
    for (; end - p >= 8; p += 8) {
        std::uint64_t v;
        std::memcpy(&v, p, sizeof v);
        const std::uint64_t x = v ^ ka;
        const std::uint64_t y = v ^ kb;
        if ((((x - ones) & ~x) | ((y - ones) & ~y)) & highs) break;
    }
    for (; p < end; ++p)
        if (*p == a || *p == b) return p;
    return end;
}

}  // namespace

const char* DelimitedScanner::row_end(const char* p, const char* end) {
    // The four states of pandas' tokenizer that matter for row and field boundaries.
    // Inside a field only the delimiter and '\n' matter, inside quotes only '"': those
    // stretches are skipped by searching, the rest is decided byte by byte.
    while (p < end) {
        if (state_ == State::Quoted) {
            const void* quote = std::memchr(p, '"', static_cast<std::size_t>(end - p));
            if (!quote) return nullptr;
            p = static_cast<const char*>(quote) + 1;
            state_ = State::QuoteInQuoted;
            continue;
        }
        if (state_ == State::Unquoted) {
            p = find_either(p, end, delimiter_, '\n');
            if (p == end) return nullptr;
        }
        const char c = *p++;
        if (c == '\n') {
            completed_fields_ = fields_;
            fields_ = 1;
            state_ = State::FieldStart;
            return p;
        }
        if (c == delimiter_) {
            ++fields_;
            state_ = State::FieldStart;
        } else if (c == '"') {
            // Opens a quoted field at a field start; after a closing quote, "" is one quote.
            state_ = State::Quoted;
        } else {
            state_ = State::Unquoted;
        }
    }
    return nullptr;
}

std::string_view trim_line_break(std::string_view row) {
    if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    return row;
}

bool is_blank_row(std::string_view row, char delimiter) {
    for (const char c : row)
        if (!((c == ' ' || c == '\t' || c == '\r' || c == '\n') && c != delimiter)) return false;
    return true;
}

void split_fields(std::string_view row, char delimiter, std::vector<std::string>& out) {
    out.clear();
    out.emplace_back();
    enum class State { FieldStart, Unquoted, Quoted, QuoteInQuoted } state = State::FieldStart;
    for (const char c : row) {
        if (state == State::Quoted) {
            if (c == '"')
                state = State::QuoteInQuoted;
            else
                out.back() += c;
            continue;
        }
        if (c == delimiter) {
            out.emplace_back();
            state = State::FieldStart;
        } else if (c == '"' && state == State::FieldStart) {
            state = State::Quoted;
        } else if (c == '"' && state == State::QuoteInQuoted) {
            out.back() += '"';
            state = State::Quoted;
        } else {
            out.back() += c;
            state = State::Unquoted;
        }
    }
}

std::vector<std::string> column_names(std::vector<std::string> names) {
    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty()) names[i] = "Unnamed: " + std::to_string(i);
        int& count = seen[names[i]];
        if (count > 0) names[i] += "." + std::to_string(count);
        ++count;
    }
    return names;
}

std::vector<std::string> numbered_column_names(std::size_t count) {
    std::vector<std::string> names;
    for (std::size_t i = 1; i <= count; ++i) names.push_back("Column" + std::to_string(i));
    return names;
}

}  // namespace prs::partition
