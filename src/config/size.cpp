#include "prs/config/size.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace prs::config {

namespace {

std::optional<std::uint64_t> unit_multiplier(std::string_view unit) {
    if (unit.size() != 2 || std::tolower(static_cast<unsigned char>(unit[1])) != 'b') return std::nullopt;
    switch (std::tolower(static_cast<unsigned char>(unit[0]))) {
        case 'k':
            return std::uint64_t{1} << 10;
        case 'm':
            return std::uint64_t{1} << 20;
        case 'g':
            return std::uint64_t{1} << 30;
        default:
            return std::nullopt;
    }
}

}  // namespace

std::optional<std::uint64_t> parse_mini_batch_size(std::string_view text, bool* has_unit) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0) return std::nullopt;

    std::uint64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, number);
    if (ec != std::errc{} || end != text.data() + digits) return std::nullopt;

    std::string_view rest = text.substr(digits);
    if (rest.empty()) {
        if (has_unit) *has_unit = false;
        return number;
    }
    if (rest.front() == ' ') rest.remove_prefix(1);  // "1 GB", as the v1 docs write it
    const auto multiplier = unit_multiplier(rest);
    if (!multiplier || number > std::numeric_limits<std::uint64_t>::max() / *multiplier) return std::nullopt;
    if (has_unit) *has_unit = true;
    return number * *multiplier;
}

}  // namespace prs::config
