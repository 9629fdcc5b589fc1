#include "prs/util/text.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace prs::util {

namespace {
bool needs_json_escape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }
}  // namespace

void append_json_quoted(std::string& out, std::string_view s) {
    out += '"';
    // Runs of plain characters are appended whole: paths rarely hold anything to escape.
    while (!s.empty()) {
        // A lambda, not the function's address, so that the test is inlined.
        const auto escaped = std::find_if(s.begin(), s.end(), [](char c) { return needs_json_escape(c); });
        const auto plain = static_cast<std::size_t>(escaped - s.begin());
        out.append(s.data(), plain);
        if (plain == s.size()) break;
        const char c = s[plain];
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                fmt::format_to(std::back_inserter(out), "\\u{:04x}",
                               static_cast<unsigned>(static_cast<unsigned char>(c)));
        }
        s.remove_prefix(plain + 1);
    }
    out += '"';
}

void append_csv_field(std::string& out, std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += s;
        return;
    }
    out += '"';
    for (auto quote = s.find('"'); quote != std::string_view::npos; quote = s.find('"')) {
        out.append(s.data(), quote + 1);
        out += '"';  // doubled
        s.remove_prefix(quote + 1);
    }
    out += s;
    out += '"';
}

void append_fixed(std::string& out, double value, int decimals) {
    static constexpr std::uint64_t kScale[] = {1,      10,      100,      1000,      10000,
                                               100000, 1000000, 10000000, 100000000, 1000000000};
    const std::uint64_t scale = kScale[std::clamp(decimals, 0, 9)];
    const double scaled = std::max(value, 0.0) * static_cast<double>(scale) + 0.5;
    if (!(scaled < 1.8e19)) {  // beyond 64 bits (or NaN): the general code
        fmt::format_to(std::back_inserter(out), "{:.{}f}", value, decimals);
        return;
    }
    const auto units = static_cast<std::uint64_t>(scaled);
    char text[32];
    char* end = std::to_chars(text, text + 20, units / scale).ptr;
    if (decimals > 0) {
        *end++ = '.';
        auto frac = units % scale;
        for (int i = decimals - 1; i >= 0; --i, frac /= 10) end[i] = static_cast<char>('0' + frac % 10);
        end += decimals;
    }
    out.append(text, end);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += separator;
        out += items[i];
    }
    return out;
}

std::string json_quote(std::string_view s) {
    std::string out;
    append_json_quoted(out, s);
    return out;
}

std::string csv_field(std::string_view s) {
    std::string out;
    append_csv_field(out, s);
    return out;
}

std::string html_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string read_text_if_exists(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace prs::util
