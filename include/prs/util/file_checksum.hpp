#pragma once
// CRC-32 (zlib's: the IEEE polynomial, as gzip and zip use) of bytes and of a range of a
// file, extended piece by piece: the journal keeps the running CRC of the output's
// committed bytes, so a rerun can tell whether the output still holds them.

#include <cstdint>
#include <string_view>

namespace prs::util {

std::uint32_t crc32_extend(std::uint32_t crc, std::string_view bytes);

// Extends `crc` by the bytes [from, to) of `fd` (pread: the file offset is untouched).
// 0 on success, else the errno (EIO when the file ends before `to`).
int crc32_extend_from_file(std::uint32_t& crc, int fd, std::uint64_t from, std::uint64_t to);

}  // namespace prs::util
