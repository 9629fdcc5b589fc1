"""MLTable's row and column transformations on a pandas DataFrame, vectorised.

One implementation for both users: `mltable.load(...).to_pandas_dataframe()` applies
them to the whole table, and prs_mpi's workers apply them to each mini-batch's frame
after loading its rows (`apply_steps`), so both give the same columns, dtypes and values.
`row_files` is each row's file (a list, or one path for all rows): path columns and
partition formats are read from it. `offsets` is each row's byte offset in its file:
take_random_sample decides a row by (seed, file, offset), never by its place in the
frame, so a mini-batch's rows are kept or dropped as in the whole table."""

import ast
import hashlib
import os
import re

from ._errors import UserErrorException

READERS = ("read_delimited", "read_json_lines", "read_parquet", "read_delta_lake")
# Steps that depend on a row's place in the whole table, not on the row itself.
GLOBAL_STEPS = ("take", "skip", "random_split")
# take_random_sample depends on the row only (see sample_mask).
STEPS = ("drop_columns", "keep_columns", "convert_column_types", "extract_columns_from_partition_format",
         "filter", "take_random_sample") + GLOBAL_STEPS
DEFAULT_TRUE = ["True", "true", "TRUE", "1", "yes", "Yes", "YES", "t", "T", "y", "Y"]
DEFAULT_FALSE = ["False", "false", "FALSE", "0", "no", "No", "NO", "f", "F", "n", "N"]


def split_step(step):
    """`{'take': 5}` or `'take'` -> ('take', 5)."""
    if isinstance(step, str):
        return step, None
    if isinstance(step, dict) and len(step) == 1:
        return next(iter(step.items()))
    raise UserErrorException(f"transformations: expected one transformation name, got {step!r}")


def _column_list(value, step):
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set)) and all(isinstance(c, str) for c in value):
        return list(value)
    raise UserErrorException(f"{step}: expected a column name or a list of them, got {value!r}")


def _missing(frame, columns, step):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserErrorException(
            f"{step}: column{'s' if len(missing) > 1 else ''} {', '.join(repr(c) for c in missing)} not found "
            f"(columns: {', '.join(map(str, frame.columns))}). Fix: name an existing column")


def add_path_column(frame, name, row_files):
    frame.insert(0, name, row_files if isinstance(row_files, str) else list(row_files))
    return frame


# ---------------------------------------------------------------- partition formats

_DATE_PARTS = {"yyyy": r"\d{4}", "MM": r"\d{2}", "dd": r"\d{2}", "HH": r"\d{2}", "mm": r"\d{2}", "ss": r"\d{2}"}
_DATE_CODES = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


class PartitionFormat:
    """'{Store}/{Brand}/{file_name}.{extension}' matched against the tail of a path:
    `{name}` is a string column (one path segment or part of one), `{name:yyyy/MM/dd}` a
    datetime column."""

    def __init__(self, text):
        self.text = text
        self.columns, self.date_formats = [], {}
        pattern, at = "", 0
        for m in re.finditer(r"\{([^{}:]+)(?::([^{}]*))?\}", text):
            pattern += re.escape(text[at:m.start()])
            name, date = m.group(1), m.group(2)
            if name in self.columns:
                raise UserErrorException(f"extract_columns_from_partition_format: '{text}' names '{name}' twice")
            group = f"g{len(self.columns)}"
            self.columns.append(name)
            if date is None:
                pattern += f"(?P<{group}>[^/]+)"
            else:
                parts = re.split(r"(yyyy|MM|dd|HH|mm|ss)", date)
                pattern += f"(?P<{group}>" + "".join(_DATE_PARTS.get(p, re.escape(p)) for p in parts) + ")"
                self.date_formats[name] = "".join(_DATE_CODES.get(p, p) for p in parts)
            at = m.end()
        pattern += re.escape(text[at:])
        if not self.columns:
            raise UserErrorException(f"extract_columns_from_partition_format: '{text}' has no {{column}} part")
        self.regex = re.compile(("" if text.startswith("/") else "(?:^|/)") + pattern + "$")

    def values(self, path):
        m = self.regex.search(path)
        return None if m is None else [m.group(f"g{i}") for i in range(len(self.columns))]


def extract_columns(frame, options, row_files):
    import pandas as pd
    text = options.get("partition_format") if isinstance(options, dict) else options
    if not isinstance(text, str):
        raise UserErrorException("extract_columns_from_partition_format: expected partition_format: '{col}/...'")
    fmt = PartitionFormat(text)
    files = [row_files] if isinstance(row_files, str) else list(dict.fromkeys(row_files))
    per_file = {}
    for path in files:
        values = fmt.values(path)
        if values is None:
            raise UserErrorException(f"extract_columns_from_partition_format: '{text}' does not match the path "
                                     f"'{path}'. Fix: write the format of the path's tail, e.g. "
                                     "'{Store}/{Brand}/{file_name}.{extension}'")
        per_file[path] = values
    for i, name in enumerate(fmt.columns):
        if isinstance(row_files, str):
            column = [per_file[row_files][i]] * len(frame)
        else:
            column = [per_file[p][i] for p in row_files]
        series = pd.Series(column, index=frame.index, dtype=object)
        if name in fmt.date_formats:
            series = pd.to_datetime(series, format=fmt.date_formats[name])
        frame[name] = series
    return frame


# ---------------------------------------------------------------- convert_column_types

def _type_spec(value):
    """'int' or {'boolean': {...}} or a DataType -> (name, options)."""
    if hasattr(value, "_spec"):
        return value._spec
    if isinstance(value, str):
        return value, {}
    if isinstance(value, dict) and len(value) == 1:
        name, options = next(iter(value.items()))
        return name, options or {}
    raise UserErrorException(f"convert_column_types: column_type {value!r} is not a type name")


def convert(series, type_name, options):
    import numpy as np
    import pandas as pd
    if type_name in ("int", "integer"):
        if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_extension_array_dtype(series.dtype):
            return series.astype("int64", copy=False)
        numbers = series if pd.api.types.is_float_dtype(series.dtype) else pd.to_numeric(series, errors="coerce")
        whole = numbers.dropna()
        if numbers.isna().any() or (len(whole) and (whole != np.floor(whole)).any()):
            return numbers.where(numbers == np.floor(numbers)).astype("float64")
        return numbers.astype("int64")
    if type_name in ("float", "double", "decimal"):
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            return series.astype("float64", copy=False)
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if type_name == "string":
        return series.astype(str).astype(object).where(series.notna(), series.astype(object))
    if type_name in ("boolean", "bool"):
        true_values = [str(v) for v in options.get("true_values", DEFAULT_TRUE)]
        false_values = [str(v) for v in options.get("false_values", DEFAULT_FALSE)]
        mismatch = str(options.get("mismatch_as", "error")).lower()
        if series.dtype == bool:
            return series
        text = series if series.dtype == object else series.astype(str)
        is_true, is_false = text.isin(true_values).values, text.isin(false_values).values
        if mismatch in ("true", "false"):
            rest = ~(is_true | is_false) & series.notna().values
            is_true = is_true | (rest & (mismatch == "true"))
            is_false = is_false | (rest & (mismatch == "false"))
        if (is_true | is_false).all():
            return pd.Series(is_true, index=series.index)
        out = pd.Series(pd.NA, index=series.index, dtype=object)
        out[is_true] = True
        out[is_false] = False
        return out
    if type_name == "datetime":
        formats = options.get("formats") or [None]
        if isinstance(formats, str):
            formats = [formats]
        result = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
        for f in formats:
            parsed = pd.to_datetime(series.where(result.isna()), format=f, errors="coerce")
            result = result.fillna(parsed)
        return result
    raise UserErrorException(f"convert_column_types: unknown column_type '{type_name}' "
                             "(use int, float, boolean, string or datetime)")


def convert_column_types(frame, specs):
    if isinstance(specs, dict):
        specs = [{"columns": c, "column_type": t} for c, t in specs.items()]
    if not isinstance(specs, list):
        raise UserErrorException("convert_column_types: expected a list of {columns:, column_type:} entries")
    for spec in specs:
        if not isinstance(spec, dict) or "columns" not in spec or "column_type" not in spec:
            raise UserErrorException(f"convert_column_types: entry {spec!r} needs columns: and column_type:")
        columns = _column_list(spec["columns"], "convert_column_types")
        _missing(frame, columns, "convert_column_types")
        name, options = _type_spec(spec["column_type"])
        for c in columns:
            frame[c] = convert(frame[c], name, options)
    return frame


# ---------------------------------------------------------------- filter

_COMPARE = {ast.Eq: "__eq__", ast.NotEq: "__ne__", ast.Lt: "__lt__", ast.LtE: "__le__", ast.Gt: "__gt__",
            ast.GtE: "__ge__"}


class FilterExpression:
    """Azure's filter expressions: col("name") compared (==, !=, <, <=, >, >=) with a
    number, string, True/False or datetime(y, m, d[, H, M, S]), joined with and / or / not
    (or & | ~), parenthesised."""

    def __init__(self, text):
        self.text = text
        try:
            self.tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as e:
            raise UserErrorException(f"filter: cannot parse '{text}': {e.msg}") from None
        self._check(self.tree)

    def _unsupported(self, node):
        raise UserErrorException(
            f"filter: cannot evaluate '{ast.unparse(node)}' in '{self.text}'. Fix: write comparisons of "
            "col(\"name\") with a number, string or True/False, joined with and / or / not")

    def _check(self, node):
        if isinstance(node, ast.BoolOp) or isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
            for child in (node.values if isinstance(node, ast.BoolOp) else [node.operand]):
                self._check(child)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _COMPARE:
                    self._unsupported(node)
            for operand in [node.left, *node.comparators]:
                if not (self._is_col(operand) or isinstance(operand, ast.Constant) or self._is_datetime(operand)):
                    self._unsupported(operand)
        elif not self._is_col(node):
            self._unsupported(node)

    @staticmethod
    def _is_col(node):
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "col"
                and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str))

    @staticmethod
    def _is_datetime(node):
        """datetime(2024, 1, 31[, hour, minute, second]), as Azure's examples write dates."""
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "datetime"
                and 3 <= len(node.args) <= 6 and not node.keywords
                and all(isinstance(a, ast.Constant) and type(a.value) is int for a in node.args))

    def columns(self):
        return [n.args[0].value for n in ast.walk(self.tree) if self._is_col(n)]

    def mask(self, frame):
        _missing(frame, self.columns(), "filter")
        return self._eval(self.tree, frame).fillna(False).astype(bool)

    def _eval(self, node, frame):
        import pandas as pd
        if self._is_col(node):
            return frame[node.args[0].value]
        if isinstance(node, ast.Constant):
            return node.value
        if self._is_datetime(node):
            return pd.Timestamp(*[a.value for a in node.args])
        if isinstance(node, ast.BoolOp):
            values = [self._as_bool(self._eval(v, frame), frame) for v in node.values]
            out = values[0]
            for v in values[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.UnaryOp):
            return ~self._as_bool(self._eval(node.operand, frame), frame)
        if isinstance(node, ast.BinOp):
            left = self._as_bool(self._eval(node.left, frame), frame)
            right = self._as_bool(self._eval(node.right, frame), frame)
            return (left & right) if isinstance(node.op, ast.BitAnd) else (left | right)
        out = None
        left = self._eval(node.left, frame)
        for op, comparator in zip(node.ops, node.comparators):
            right = self._eval(comparator, frame)
            result = getattr(pd.Series(left, index=frame.index) if not isinstance(left, pd.Series) else left,
                             _COMPARE[type(op)])(right)
            out = result if out is None else out & result
            left = right
        return out

    @staticmethod
    def _as_bool(value, frame):
        import pandas as pd
        if not isinstance(value, pd.Series):
            value = pd.Series(bool(value), index=frame.index)
        return value.fillna(False).astype(bool)


# ---------------------------------------------------------------- the steps

def _count(value, step):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UserErrorException(f"{step}: expected a row count (a whole number >= 0), got {value!r}")
    return value


def _sample_settings(options):
    probability = options.get("probability") if isinstance(options, dict) else options
    seed = options.get("seed", 0) if isinstance(options, dict) else 0
    if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 < probability <= 1:
        raise UserErrorException(f"take_random_sample: probability {probability!r} is not in (0, 1]. Fix: write "
                                 "the fraction of rows to keep, e.g. probability: 0.1")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UserErrorException(f"take_random_sample: seed {seed!r} is not a whole number. Fix: write e.g. seed: 7")
    return float(probability), seed


def _mix64(x):
    """splitmix64's finaliser on a uint64 array: every input bit reaches every output bit."""
    import numpy as np
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def sample_mask(options, row_files, offsets, base):
    """take_random_sample: a row is kept when a hash of (seed, its file relative to the
    MLTable's folder `base`, its byte offset in the file) maps below the probability in
    [0, 1). The same row gets the same answer whatever else is in the frame, so the
    union of the mini-batches' samples is the whole table's, for any cut. It is not the
    sample Azure's mltable draws (its generator is not public)."""
    import numpy as np
    import pandas as pd
    probability, seed = _sample_settings(options)
    if offsets is None:
        raise UserErrorException("take_random_sample: the rows' offsets in their files are not known here")
    files = [row_files] if isinstance(row_files, str) else list(row_files)
    codes, uniques = (np.zeros(len(offsets), dtype=np.int64), files) if isinstance(row_files, str) else \
        pd.factorize(pd.Series(files, dtype=object))
    keys = np.array([int.from_bytes(hashlib.blake2b(f"{seed}\n{os.path.relpath(f, base)}".encode("utf-8"),
                                                    digest_size=8).digest(), "little") for f in uniques],
                    dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = _mix64(np.asarray(offsets, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + keys[codes])
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53)) < probability


def _kept(row_files, offsets, mask):
    import numpy as np
    rows = row_files if isinstance(row_files, str) else [f for f, keep in zip(row_files, mask) if keep]
    return rows, (None if offsets is None else np.asarray(offsets)[np.asarray(mask, dtype=bool)])


def apply_step(frame, name, options, row_files, offsets=None, base="."):
    """One transformation; returns the new frame, its rows' files and their offsets
    (None when not known). `base`: the MLTable's folder."""
    if name == "drop_columns":
        columns = _column_list(options, name)
        _missing(frame, columns, name)
        return frame.drop(columns=columns), row_files, offsets
    if name == "keep_columns":
        columns = _column_list(options, name)
        _missing(frame, columns, name)
        return frame.loc[:, columns], row_files, offsets
    if name == "convert_column_types":
        # A shallow copy: converted columns are replaced, the others shared.
        return convert_column_types(frame.copy(deep=False), options), row_files, offsets
    if name == "extract_columns_from_partition_format":
        return extract_columns(frame.copy(), options, row_files), row_files, offsets
    if name in ("filter", "take_random_sample"):
        mask = (FilterExpression(str(options)).mask(frame).values if name == "filter"
                else sample_mask(options, row_files, offsets, base))
        return (frame[mask].reset_index(drop=True),) + _kept(row_files, offsets, mask)
    if name in ("take", "skip"):
        n = _count(options, name)
        part = slice(0, n) if name == "take" else slice(n, None)
        return (frame.iloc[part].reset_index(drop=True), row_files if isinstance(row_files, str)
                else list(row_files)[part], None if offsets is None else offsets[part])
    if name == "random_split":
        raise UserErrorException("random_split: gives two tables, not one. Fix: use mltable's "
                                 "random_split() in a script, or take_random_sample")
    raise UserErrorException(f"unknown transformation '{name}' (known: {', '.join(READERS + STEPS)})")


def plan_read(options, steps, names):
    """Leading drop_columns/keep_columns steps folded into the read: (the file columns to
    parse, or None for all; whether the path column survives them; the steps left).
    pandas then never parses the dropped columns, so these steps cost less than nothing.
    Only names the steps can be checked against are folded; anything else stays a step
    and reports its own error."""
    path_column = options.get("path_column", "Path") if options.get("include_path_column") else None
    columns = ([path_column] if path_column else []) + list(names)
    if len(set(columns)) != len(columns):
        return None, path_column is not None, list(steps)
    folded = 0
    for step in steps:
        name, value = split_step(step)
        if name not in ("drop_columns", "keep_columns"):
            break
        try:
            named = _column_list(value, name)
        except UserErrorException:
            break
        if any(c not in columns for c in named) or len(set(named)) != len(named):
            break
        columns = [c for c in columns if c not in named] if name == "drop_columns" else named
        folded += 1
    if not folded:
        return None, path_column is not None, list(steps)
    keep_path = path_column in columns if path_column else False
    usecols = [c for c in columns if c != path_column]
    # pandas gives usecols in the file's order; keep_columns' own order is one cheap reorder.
    file_order = [c for c in ([path_column] if path_column else []) + list(names) if c in columns]
    reorder = [] if columns == file_order else [{"keep_columns": columns}]
    return usecols, keep_path, reorder + list(steps[folded:])


def apply_steps(frame, steps, row_files, offsets=None, base="."):
    """The transformations after the read one, in order."""
    for step in steps:
        name, options = split_step(step)
        frame, row_files, offsets = apply_step(frame, name, options, row_files, offsets, base)
    return frame
