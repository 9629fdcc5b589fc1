#include "prs/output/frame_text.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace prs::output {

namespace {

template <typename T>
void append_integer(std::string& out, T value) {
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
    out.append(buf, end);
}

// csv.QUOTE_MINIMAL (to_csv's default) quotes such a field; an empty one alone on its
// line is written as "" too.
bool plain_text(std::string_view s, char sep) {
    if (s.empty()) return false;
    for (const char c : s)
        if (c == sep || c == '"' || c == '\n' || c == '\r') return false;
    return true;
}

bool column_plain(const FrameColumn& column, char sep) {
    if (const auto* d = std::get_if<std::span<const double>>(&column)) {
        for (const double v : *d)
            if (std::isnan(v)) return false;
    } else if (const auto* t = std::get_if<std::span<const std::string_view>>(&column)) {
        for (const auto s : *t)
            if (!plain_text(s, sep)) return false;
    }
    return true;
}

struct AppendValue {
    std::string& out;
    std::size_t row;
    void operator()(std::span<const std::int64_t> c) const { append_integer(out, c[row]); }
    void operator()(std::span<const std::uint64_t> c) const { append_integer(out, c[row]); }
    void operator()(std::span<const double> c) const { append_python_repr(out, c[row]); }
    void operator()(Booleans c) const { out += c.values[row] ? "True" : "False"; }
    void operator()(std::span<const std::string_view> c) const { out += c[row]; }
};

}  // namespace

void append_python_repr(std::string& out, double value) {
    if (std::isinf(value)) {
        out += value < 0 ? "-inf" : "inf";
        return;
    }
    // The shortest round-trip digits, as d[.ddd]e±XX; laid out again as repr does.
    char sci[32];
    const auto end = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific).ptr;
    const std::string_view text(sci, static_cast<std::size_t>(end - sci));
    const auto e = text.find('e');
    int exponent = 0;
    const char* digits_at = text.data() + e + 1 + (text[e + 1] == '+');  // from_chars takes no '+'
    std::from_chars(digits_at, end, exponent);
    if (exponent < -4 || exponent >= 16) {
        out += text;  // already Python's form: at least two exponent digits, with a sign
        return;
    }
    std::string_view mantissa = text.substr(0, e);
    if (mantissa.front() == '-') {
        out += '-';
        mantissa.remove_prefix(1);
    }
    std::string digits(1, mantissa.front());
    if (mantissa.size() > 2) digits.append(mantissa.substr(2));    // without the point
    const auto point = static_cast<std::ptrdiff_t>(exponent) + 1;  // digits before the point
    if (point <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-point), '0');
        out += digits;
    } else if (static_cast<std::size_t>(point) >= digits.size()) {
        out += digits;
        out.append(static_cast<std::size_t>(point) - digits.size(), '0');
        out += ".0";
    } else {
        out.append(digits, 0, static_cast<std::size_t>(point));
        out += '.';
        out.append(digits, static_cast<std::size_t>(point));
    }
}

bool append_frame_text(std::string& out, const std::vector<FrameColumn>& columns, std::size_t rows, char sep) {
    if (columns.empty()) return false;
    for (const auto& column : columns)
        if (!column_plain(column, sep)) return false;
    out.reserve(out.size() + rows * columns.size() * 8);
    for (std::size_t row = 0; row < rows; ++row) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (i) out += sep;
            std::visit(AppendValue{out, row}, columns[i]);
        }
        out += '\n';
    }
    return true;
}

}  // namespace prs::output
