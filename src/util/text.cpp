#include "prs/util/text.hpp"

#include <fmt/format.h>

namespace prs::util {

void append_json_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20)
                    fmt::format_to(std::back_inserter(out), "\\u{:04x}",
                                   static_cast<unsigned>(static_cast<unsigned char>(c)));
                else
                    out += c;
        }
    }
    out += '"';
}

void append_csv_field(std::string& out, std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += s;
        return;
    }
    out += '"';
    for (const char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
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

}  // namespace prs::util
