"""Reading the files an MLTable names into one pandas DataFrame, as prs_mpi's workers read
them (pandas' C parser over the rows decoded to UTF-8), so that `mltable.load(...)` and
what run() gets agree column for column."""

import glob
import io
import json
import os
import re

from ._errors import UserErrorException

# MLTable's encoding names -> Python codecs.
ENCODINGS = {
    "utf8": "utf-8", "utf-8": "utf-8", "iso88591": "latin-1", "latin1": "latin-1", "latin-1": "latin-1",
    "iso-8859-1": "latin-1", "ascii": "ascii", "utf16": "utf-16", "utf-16": "utf-16", "utf32": "utf-32",
    "utf-32": "utf-32", "utf8bom": "utf-8-sig", "utf-8-sig": "utf-8-sig", "windows1252": "cp1252",
    "cp1252": "cp1252",
}
HEADER_MODES = ("all_files_same_headers", "from_first_file", "no_header", "all_files_different_headers")


def codec(name):
    try:
        return ENCODINGS[str(name).lower()]
    except KeyError:
        raise UserErrorException(
            f"encoding '{name}' is not supported (supported: {', '.join(sorted(set(ENCODINGS)))})") from None


def _files_under(folder):
    """Every regular file under `folder`, hidden ones too, links followed (each real folder
    once, so a link loop ends): as prs_mpi's rank 0 lists folders."""
    files, seen = [], set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        files += [p for p in (os.path.join(root, n) for n in names) if os.path.isfile(p)]
    return files


def list_files(paths, base):
    """The files of MLTable `paths` entries, relative to `base`: sorted, each once."""
    files = []
    for entry in paths:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise UserErrorException(f"paths: expected entries like {{'file': PATH}}, got {entry!r}")
        (kind, value), = entry.items()
        value = str(value)
        if value.startswith("file://"):
            value = value[len("file://"):]
        path = os.path.normpath(os.path.join(base, value))
        if kind == "file":
            if not os.path.isfile(path) and not os.path.exists(path):
                raise UserErrorException(f"paths.file: '{path}' does not exist")
            files.append(path)
        elif kind == "folder":
            if not os.path.isdir(path):
                raise UserErrorException(f"paths.folder: '{path}' is not a folder")
            files += _files_under(path)
        elif kind == "pattern":
            matched = [p for p in glob.glob(path, recursive=True) if not os.path.isdir(p)]
            if not matched:
                raise UserErrorException(f"paths.pattern: pattern '{path}' matches no file")
            files += matched
        else:
            raise UserErrorException(f"paths: unknown kind '{kind}' (use file, folder or pattern)")
    return sorted(dict.fromkeys(files))


def _pandas():
    import pandas
    return pandas


def _na_values(empty_as_string):
    if not empty_as_string:
        return {}
    from pandas._libs.parsers import STR_NA_VALUES
    return {"keep_default_na": False, "na_values": [v for v in STR_NA_VALUES if v != ""]}


def numbered_names(count):
    return [f"Column{i}" for i in range(1, count + 1)]


def read_delimited_text(text, names, options, usecols=None):
    """One block of UTF-8 rows (no header) -> a DataFrame with columns `names` (those of
    `usecols` only, when given): the parse both the worker and mltable.load use."""
    pd = _pandas()
    if not text:
        return pd.DataFrame(columns=[n for n in names if usecols is None or n in usecols])
    kw = dict(sep=options.get("delimiter", ","), header=None, names=list(names), index_col=False,
              encoding="utf-8", engine="c", **_na_values(options.get("empty_as_string", False)))
    if usecols is not None:
        kw["usecols"] = list(usecols)
    if options.get("infer_column_types", True) is False:
        kw["dtype"] = str
    return pd.read_csv(io.BytesIO(text), **kw)


def _split_header(data, options):
    """(header row, rest) of a file's UTF-8 bytes, quote-aware with support_multi_line."""
    if not options.get("support_multi_line", False):
        end = data.find(b"\n")
        return (data, b"") if end < 0 else (data[:end + 1], data[end + 1:])
    quoted = False
    for i, byte in enumerate(data):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x0A and not quoted:
            return data[:i + 1], data[i + 1:]
    return data, b""


def _header_names(row, delimiter):
    import csv
    line = row.decode("utf-8").rstrip("\r\n")
    fields = next(csv.reader([line], delimiter=delimiter)) if line else []
    seen, names = {}, []
    for i, name in enumerate(fields):
        name = name or f"Unnamed: {i}"
        count = seen.get(name, 0)
        seen[name] = count + 1
        names.append(f"{name}.{count}" if count else name)
    return names


_ROW_END = {False: re.compile(rb"\n"), True: re.compile(rb'"[^"]*(?:"|$)|\n')}


def _is_blank(row, delimiter):
    return not row.strip(bytes(c for c in b" \t\r\n" if c != ord(delimiter)))


def row_offsets(data, header, delimiter, multi_line):
    """The byte offset of each row of `data` (a file's bytes) as prs_mpi's workers find
    them: rows end at '\n' (outside quotes with support_multi_line), the header (when
    `header`) and blank rows are no rows. take_random_sample decides rows by them."""
    offsets, start = [], 0
    for m in _ROW_END[bool(multi_line)].finditer(data):
        if m.group() != b"\n":
            continue
        if header:
            header = False
        elif not _is_blank(data[start:m.end()], delimiter):
            offsets.append(start)
        start = m.end()
    if start < len(data) and not header and not _is_blank(data[start:], delimiter):
        offsets.append(start)
    return offsets


def _offset_bytes(raw, encoding, decoded):
    """The bytes offsets are counted in: the file's own for encodings that keep '\n' one
    byte, else (UTF-16/32, which the workers also read with this module) the UTF-8 text."""
    return raw if encoding not in ("utf-16", "utf-32") else decoded


def _blank_lines_dropped(data):
    return b"".join(line for line in data.splitlines(keepends=True) if line.strip(b"\r\n"))


def _checked_offsets(offsets, frame, path):
    if len(offsets) != len(frame):
        raise UserErrorException(f"take_random_sample: found {len(offsets)} rows in {path} but pandas read "
                                 f"{len(frame)}. Fix: remove lines holding only spaces, or check support_multi_line")
    return offsets


def read_delimited_files(files, options, steps=(), want_offsets=False):
    """Every file's rows in one frame, plus each row's file (for path columns), whether the
    path column is to be added, the steps left after folding leading drop/keep steps into
    the parse (see _transform.plan_read) and, when `want_offsets`, each row's byte offset
    in its file (else None)."""
    from ._transform import plan_read
    pd = _pandas()
    plan = None
    mode = options.get("header", "all_files_same_headers")
    if mode not in HEADER_MODES:
        raise UserErrorException(f"read_delimited.header: expected one of {', '.join(HEADER_MODES)}, got '{mode}'")
    encoding = codec(options.get("encoding", "utf8"))
    delimiter = options.get("delimiter", ",")
    names, blocks, row_files, offsets = None, [], [], [] if want_offsets else None
    for index, path in enumerate(files):
        with open(path, "rb") as f:
            raw = f.read()
        data = raw.decode(encoding).lstrip("\ufeff").encode("utf-8")
        has_header = mode in ("all_files_same_headers", "all_files_different_headers") or (
            mode == "from_first_file" and index == 0)
        if want_offsets:
            file_offsets = row_offsets(_offset_bytes(raw, encoding, data), has_header, delimiter,
                                       options.get("support_multi_line", False))
        if has_header:
            header, data = _split_header(data, options)
            if names is None:
                names = _header_names(header, delimiter)
        data = _blank_lines_dropped(data) if not options.get("support_multi_line", False) else data
        if data and not data.endswith(b"\n"):
            data += b"\n"
        if names is None and data:
            names = numbered_names(len(_header_names(_split_header(data, options)[0], delimiter)))
        if plan is None:
            plan = plan_read(options, steps, names or [])
        frame = read_delimited_text(data, names or [], options, plan[0])
        blocks.append(frame)
        row_files += [path] * len(frame)
        if want_offsets:
            offsets += _checked_offsets(file_offsets, frame, path)
    if not blocks:
        return pd.DataFrame(), [], bool(options.get("include_path_column")), list(steps), offsets
    frame = pd.concat(blocks, ignore_index=True) if len(blocks) > 1 else blocks[0]
    return frame, row_files, plan[1], plan[2], offsets


def read_json_lines_files(files, options, want_offsets=False):
    """Every file's lines in one frame, each row's file and, when `want_offsets`, each
    row's byte offset in its file (else None). Lines end at '\n', as the workers split them."""
    pd = _pandas()
    encoding = codec(options.get("encoding", "utf8"))
    invalid = options.get("invalid_lines", "error")
    blocks, row_files, offsets = [], [], [] if want_offsets else None
    for path in files:
        with open(path, "rb") as f:
            raw = f.read()
        wide = encoding in ("utf-16", "utf-32")
        data = raw.decode(encoding).encode("utf-8") if wide else raw
        kept, at = [], 0
        for number, chunk in enumerate(data.split(b"\n"), 1):
            start, at = at, at + len(chunk) + 1
            line = chunk.decode("utf-8" if wide else encoding)
            if number == 1:
                line = line.lstrip("\ufeff")
            if not line.strip():
                continue
            try:
                json.loads(line)
            except ValueError as e:
                if invalid == "drop":
                    continue
                raise UserErrorException(f"invalid JSON line in {path} at line {number}: {e}. "
                                         "Fix: repair the line, or write invalid_lines: drop") from None
            kept.append(line)
            if want_offsets:
                offsets.append(start)
        frame = json_lines_frame("\n".join(kept).encode("utf-8"))
        blocks.append(frame)
        row_files += [path] * len(frame)
    if not blocks:
        return pd.DataFrame(), [], offsets
    return (pd.concat(blocks, ignore_index=True) if len(blocks) > 1 else blocks[0]), row_files, offsets


def json_lines_frame(text):
    pd = _pandas()
    if not text.strip():
        return pd.DataFrame()
    return pd.read_json(io.BytesIO(text), lines=True, orient="records")
