// Tabular mini-batches: the rows are read and checked in C++ (partition/mini_batch_rows),
// then pandas parses them from memory into the DataFrame run() gets.

#include <cstdint>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "loaders.hpp"
#include "prs/partition/mini_batch_rows.hpp"
#include "prs/partition/partition.hpp"
#include "prs/partition/text_encoding.hpp"

namespace py = pybind11;

namespace prs::worker {

namespace {

py::list str_list(const std::vector<std::string>& items) {
    py::list list;
    for (const auto& item : items) list.append(py::str(item));
    return list;
}

// The columns to parse: all, unless the MLTable's leading drop/keep steps leave fewer
// (pandas then skips the others: those steps cost nothing).
py::object parsed_columns(const partition::MiniBatchRows& rows, const protocol::InputFormat& format) {
    if (format.mltable_file.empty()) return py::none();
    return py::module_::import("prs_runtime")
        .attr("mltable_usecols")(fs_str(format.mltable_file), str_list(rows.names));
}

py::object delimited_frame(const partition::MiniBatchRows& rows, const protocol::InputFormat& format) {
    const py::module_ pandas = py::module_::import("pandas");
    const py::object usecols = parsed_columns(rows, format);
    if (rows.rows == 0) {
        py::list columns;
        for (const auto& name : rows.names)
            if (usecols.is_none() || usecols.contains(py::str(name))) columns.append(py::str(name));
        return pandas.attr("DataFrame")(py::arg("columns") = columns);
    }
    py::dict kw;
    kw["sep"] = format.delimiter;
    kw["header"] = py::none();
    kw["names"] = str_list(rows.names);
    kw["index_col"] = false;  // never turn a first column into the index
    kw["encoding"] = "utf-8";
    kw["engine"] = "c";
    if (!usecols.is_none()) kw["usecols"] = usecols;
    if (!format.infer_column_types) kw["dtype"] = py::module_::import("builtins").attr("str");
    if (format.empty_as_string) {
        // pandas' own NA strings still mean NA; only an empty field stays "".
        const py::object defaults = py::module_::import("pandas._libs.parsers").attr("STR_NA_VALUES");
        py::list na_values;
        for (const auto& v : defaults)
            if (!v.cast<std::string>().empty()) na_values.append(v);
        kw["keep_default_na"] = false;
        kw["na_values"] = na_values;
    }
    const py::object buffer = py::module_::import("io").attr("BytesIO")(py::bytes(rows.text));
    return pandas.attr("read_csv")(buffer, **kw);
}

// pandas says a line is bad, not which: find the first line json.loads refuses and name
// its file and byte.
[[noreturn]] void throw_bad_json_line(const protocol::MiniBatchDescriptor& d, const partition::MiniBatchRows& rows,
                                      const py::error_already_set& original) {
    const py::object loads = py::module_::import("json").attr("loads");
    const std::string_view text = rows.text;
    std::size_t at = 0;
    for (std::uint32_t i = 0; i < rows.rows; ++i) {
        const auto eol = text.find('\n', at);
        const std::string_view line = text.substr(at, eol - at);
        const auto origin =
            rows.origins.empty() ? partition::MiniBatchRows::Origin{0, rows.text_offset + at} : rows.origins.at(i);
        at = eol + 1;
        try {
            loads(py::bytes(line.data(), line.size()));
        } catch (const py::error_already_set& e) {
            throw LoadError("invalid JSON line in " + d.files.at(origin.file) + " at byte " +
                            std::to_string(origin.offset) + ": " + py::str(e.value()).cast<std::string>() +
                            ". Fix: repair the line (read_json_lines wants one JSON object per line)");
        }
    }
    throw original;
}

// invalid_lines: drop: the lines json.loads accepts, in order; their origins stay in
// step with them (take_random_sample decides rows by them).
std::string valid_json_lines(partition::MiniBatchRows& rows) {
    const py::object loads = py::module_::import("json").attr("loads");
    std::string kept;
    std::vector<partition::MiniBatchRows::Origin> kept_origins;
    std::string_view text = rows.text;
    for (std::size_t i = 0; !text.empty(); ++i) {
        const auto eol = text.find('\n');
        const std::string_view line = text.substr(0, eol + 1);
        text.remove_prefix(line.size());
        try {
            loads(py::bytes(line.data(), line.size()));
            kept += line;
            if (i < rows.origins.size()) kept_origins.push_back(rows.origins[i]);
        } catch (const py::error_already_set& e) {
            if (!e.matches(PyExc_ValueError)) throw;
        }
    }
    rows.origins = std::move(kept_origins);
    return kept;
}

py::object json_lines_frame(const protocol::MiniBatchDescriptor& d, partition::MiniBatchRows& rows,
                            const protocol::InputFormat& format) {
    const py::module_ pandas = py::module_::import("pandas");
    if (rows.rows == 0) return pandas.attr("DataFrame")();
    const std::string kept = format.drop_invalid_lines ? valid_json_lines(rows) : std::string();
    if (format.drop_invalid_lines && kept.empty()) return pandas.attr("DataFrame")();
    const py::object buffer =
        py::module_::import("io").attr("BytesIO")(py::bytes(format.drop_invalid_lines ? kept : rows.text));
    try {
        return pandas.attr("read_json")(buffer, py::arg("lines") = true, py::arg("orient") = "records");
    } catch (const py::error_already_set& e) {
        if (!e.matches(PyExc_ValueError)) throw;
        throw_bad_json_line(d, rows, e);
    }
}

// The MLTable's path column and transformations, by the mltable module's code: run() gets
// what mltable.load(...).to_pandas_dataframe() gives for these rows (docs/design.md §4). A step
// that fails (a column missing in this file, a path the format does not match) fails
// the mini-batch, naming the file.
py::object mltable_steps(const py::object& frame, const protocol::MiniBatchDescriptor& d,
                         const partition::MiniBatchRows& rows, const protocol::InputFormat& format) {
    py::list file_rows;
    for (std::size_t i = 0; i < d.files.size(); ++i)
        file_rows.append(i < rows.file_rows.size() ? rows.file_rows[i] : 0);
    // Each row's byte offset in its file, as native uint64s (numpy reads them in place).
    std::vector<std::uint64_t> offsets;
    offsets.reserve(rows.origins.size());
    for (const auto& origin : rows.origins) offsets.push_back(origin.offset);
    const py::bytes row_offsets(reinterpret_cast<const char*>(offsets.data()), offsets.size() * sizeof(std::uint64_t));
    try {
        return py::module_::import("prs_runtime")
            .attr("mltable_frame")(frame, fs_str(format.mltable_file),
                                   format.kind == protocol::InputKind::Delimited ? py::object(str_list(rows.names))
                                                                                 : py::object(py::none()),
                                   fs_list(d.files), file_rows, row_offsets);
    } catch (const py::error_already_set& e) {
        if (!e.matches(PyExc_ValueError)) throw;
        const std::string where = d.files.size() == 1
                                      ? d.files.front() + fmt::format(" bytes {}-{}", d.begin, d.end)
                                      : fmt::format("{} files from {}", d.files.size(), d.files.front());
        throw LoadError(
            fmt::format("{}: {} (rows of {})", format.mltable_file, py::str(e.value()).cast<std::string>(), where));
    }
}

}  // namespace

// UTF-16/32 files are whole mini-batches, read, decoded and transformed by the mltable
// module (their '\n' is not one byte, so the C++ row scan does not apply).
LoadedMiniBatch load_wide_files(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format) {
    try {
        py::object frame =
            py::module_::import("prs_runtime").attr("mltable_read")(fs_str(format.mltable_file), fs_list(d.files));
        const auto items = static_cast<std::uint32_t>(py::len(frame));
        return {std::move(frame), items};
    } catch (const py::error_already_set& e) {
        if (!e.matches(PyExc_ValueError)) throw;  // UnicodeDecodeError and the module's errors are ValueErrors
        throw LoadError(fmt::format(
            "{}: {} (reading {})", format.mltable_file, py::str(e.value()).cast<std::string>(),
            d.files.size() == 1 ? d.files.front() : fmt::format("{} files from {}", d.files.size(), d.files.front())));
    }
}

LoadedMiniBatch load_tabular(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format) {
    if (partition::is_wide_encoding(format.encoding)) return load_wide_files(d, format);
    partition::MiniBatchRows rows;
    try {
        // Reading and checking the rows is C++ alone: run() (or a file that blocks, a FIFO)
        // goes on meanwhile.
        const py::gil_scoped_release unlocked;
        rows = partition::read_mini_batch_rows(d, format);
    } catch (const partition::DataError& e) {
        throw LoadError(e.what());
    } catch (const partition::InputError& e) {
        throw LoadError(e.what());
    }
    py::object frame = format.kind == protocol::InputKind::JsonLines ? json_lines_frame(d, rows, format)
                                                                     : delimited_frame(rows, format);
    if (!format.mltable_file.empty()) frame = mltable_steps(frame, d, rows, format);
    const auto items = static_cast<std::uint32_t>(py::len(frame));
    return {std::move(frame), items};
}

}  // namespace prs::worker
