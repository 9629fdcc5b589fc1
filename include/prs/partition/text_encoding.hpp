#pragma once
// The MLTable encodings prs_mpi reads. All are ASCII-compatible, so '\n', '"' and the
// delimiter are single bytes that never occur inside a multi-byte character: files can
// be cut and scanned as bytes, and workers decode only their own rows (to UTF-8, which
// pandas reads fastest). UTF-16/32 are read whole per file instead (parse_wide_encoding).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace prs::partition {

enum class Encoding { Utf8, Utf8Bom, Ascii, Latin1, Windows1252 };

// MLTable's names ("utf8", "iso88591", ...) and Python's spellings ("utf-8", "latin-1",
// "cp1252"), any case. nullopt for anything else.
std::optional<Encoding> parse_encoding(std::string_view name);
// The canonical name stored in InputFormat::encoding.
const char* encoding_name(Encoding e);
// For error messages: the names parse_encoding() accepts.
const char* supported_encodings();

// UTF-16 and UTF-32 ("utf16", "utf-32", any case): '\n' is not one byte there, so such
// files are not cut (one mini-batch per file) and the workers read them whole with the
// mltable module's reader, which decodes them as Python does. Returns the canonical
// name stored in InputFormat::encoding ("utf16", "utf32"), or nullopt.
std::optional<std::string> parse_wide_encoding(std::string_view name);
bool is_wide_encoding(std::string_view canonical_name);

// Appends `bytes` decoded from `e` as UTF-8. Returns the offset in `bytes` of the first
// byte that does not decode (nothing from there on is appended), or npos.
std::size_t append_utf8(std::string& out, std::string_view bytes, Encoding e);

// As append_utf8, but each byte that does not decode becomes U+FFFD: for partition key
// values, which rank 0 and the workers must turn into the same text.
std::string to_utf8_lossy(std::string_view bytes, Encoding e);

// The UTF-8 byte order mark that utf8bom files start with.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace prs::partition
