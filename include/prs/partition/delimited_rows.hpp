#pragma once
// How delimited text splits into rows and fields, the way pandas' C parser reads it
// with its defaults: quotechar '"', a doubled quote inside quotes is one quote, a quoted
// field may hold the delimiter and line breaks, a quote inside an unquoted field is an
// ordinary character. Rank 0 uses it to find row starts (support_multi_line) and to
// read partition key columns; workers use it to check rows before pandas sees them, so
// both sides agree on where every row begins and ends.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace prs::partition {

class DelimitedScanner {
public:
    explicit DelimitedScanner(char delimiter) : delimiter_(delimiter) {}

    // Consumes [p, end) up to and including the first '\n' outside quotes and returns the
    // position after it; returns nullptr when there is none, keeping the quote state for
    // the next call (a row may span several reads).
    const char* row_end(const char* p, const char* end);
    // Fields (delimiters outside quotes + 1) of the row the last row_end() completed.
    std::size_t fields() const { return completed_fields_; }

private:
    enum class State : std::uint8_t { FieldStart, Unquoted, Quoted, QuoteInQuoted };
    char delimiter_;
    State state_ = State::FieldStart;
    std::size_t fields_ = 1;
    std::size_t completed_fields_ = 0;
};

// A row without its line break ("\n", "\r\n"): the bytes pandas sees as the row.
std::string_view trim_line_break(std::string_view row);

// pandas skips lines holding only blanks (' ', '\t' that are not the delimiter).
bool is_blank_row(std::string_view row, char delimiter);

// The fields of one row (line break already trimmed), unquoted as pandas unquotes them.
void split_fields(std::string_view row, char delimiter, std::vector<std::string>& out);

// Column names from header fields as pandas names them: an empty name becomes
// "Unnamed: <i>", a repeated name gets ".1", ".2", ...
std::vector<std::string> column_names(std::vector<std::string> header_fields);

// Names for files without a header, as Azure's mltable gives them: Column1, Column2, ...
std::vector<std::string> numbered_column_names(std::size_t count);

}  // namespace prs::partition
