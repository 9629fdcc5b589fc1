#include "prs/partition/text_encoding.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace prs::partition {

namespace {

// Lower case without '-', '_' and ' ': "UTF-8", "utf_8" and "utf8" are one name.
std::string squeeze(std::string_view name) {
    std::string s;
    for (const char c : name)
        if (c != '-' && c != '_' && c != ' ') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Windows-1252's 0x80..0x9F; 0 marks the five bytes it leaves undefined (Python's cp1252
// refuses them too).
constexpr std::array<std::uint16_t, 32> kCp1252High = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                                       0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                                       0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                                       0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Length of the valid UTF-8 sequence at s[i], 0 if invalid (overlong forms, surrogates
// and code points above U+10FFFF are invalid, as for Python's strict decoder).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) {
        return static_cast<unsigned char>(s[i + k]);
    };
    const unsigned char c = b(0);
    const std::size_t left = s.size() - i;
    const auto cont = [&](std::size_t k) {
        return k < left && (b(k) & 0xC0) == 0x80;
    };
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
        if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
        if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

}  // namespace

std::optional<Encoding> parse_encoding(std::string_view name) {
    const std::string s = squeeze(name);
    if (s == "utf8") return Encoding::Utf8;
    if (s == "utf8bom" || s == "utf8sig") return Encoding::Utf8Bom;
    if (s == "ascii" || s == "usascii") return Encoding::Ascii;
    if (s == "latin1" || s == "iso88591" || s == "l1") return Encoding::Latin1;
    if (s == "windows1252" || s == "cp1252") return Encoding::Windows1252;
    return std::nullopt;
}

const char* encoding_name(Encoding e) {
    switch (e) {
        case Encoding::Utf8:
            return "utf8";
        case Encoding::Utf8Bom:
            return "utf8bom";
        case Encoding::Ascii:
            return "ascii";
        case Encoding::Latin1:
            return "latin1";
        case Encoding::Windows1252:
            return "windows1252";
    }
    return "utf8";
}

std::optional<std::string> parse_wide_encoding(std::string_view name) {
    const std::string s = squeeze(name);
    if (s == "utf16" || s == "utf32") return s;
    return std::nullopt;
}

bool is_wide_encoding(std::string_view canonical_name) {
    return canonical_name == "utf16" || canonical_name == "utf32";
}

const char* supported_encodings() { return "utf8, utf8bom, ascii, latin1 (iso88591), windows1252, utf16, utf32"; }

std::size_t append_utf8(std::string& out, std::string_view bytes, Encoding e) {
    out.reserve(out.size() + bytes.size());
    std::size_t i = 0;
    while (i < bytes.size()) {
        // Runs of ASCII are copied as they are, whatever the encoding: found eight bytes a
        // step (no high bit set), a mini-batch's megabytes being mostly ASCII.
        std::size_t run = i;
        constexpr std::uint64_t highs = 0x8080808080808080ull;
        for (std::uint64_t w = 0; bytes.size() - run >= 8; run += 8) {
            std::memcpy(&w, bytes.data() + run, sizeof w);
            if (w & highs) break;
        }
        while (run < bytes.size() && static_cast<unsigned char>(bytes[run]) < 0x80) ++run;
        out.append(bytes.data() + i, run - i);
        i = run;
        if (i == bytes.size()) break;
        const auto c = static_cast<unsigned char>(bytes[i]);
        switch (e) {
            case Encoding::Ascii:
                return i;
            case Encoding::Latin1:
                put_utf8(out, c);
                ++i;
                break;
            case Encoding::Windows1252: {
                const std::uint32_t cp = c < 0xA0 ? kCp1252High[c - 0x80] : c;
                if (cp == 0) return i;
                put_utf8(out, cp);
                ++i;
                break;
            }
            case Encoding::Utf8:
            case Encoding::Utf8Bom: {
                const std::size_t n = utf8_sequence(bytes, i);
                if (n == 0) return i;
                out.append(bytes.data() + i, n);
                i += n;
                break;
            }
        }
    }
    return std::string_view::npos;
}

std::string to_utf8_lossy(std::string_view bytes, Encoding e) {
    std::string out;
    for (;;) {
        const std::size_t bad = append_utf8(out, bytes, e);
        if (bad == std::string_view::npos) return out;
        out += "\xEF\xBF\xBD";
        bytes.remove_prefix(bad + 1);
    }
}

}  // namespace prs::partition
