"""The module's API: MLTable, load, from_* and DataType (see __init__.py)."""

import copy
import os

import yaml

from ._errors import MLTableError, UserErrorException
from ._read import ENCODINGS, list_files, read_delimited_files, read_json_lines_files
from ._transform import READERS, apply_step, plan_read, split_step

__all__ = ["MLTable", "DataType", "MLTableHeaders", "MLTableFileEncoding", "UserErrorException", "load",
           "from_delimited_files", "from_json_lines_files", "from_paths", "from_parquet_files", "from_delta_lake",
           "MLTableError"]


class DataType:
    """Column types for convert_column_types, as Azure's mltable.DataType builds them."""

    def __init__(self, name, options=None):
        self._spec = (name, options or {})

    def __repr__(self):
        return f"DataType({self._spec[0]!r}, {self._spec[1]!r})"

    def _yaml(self):
        name, options = self._spec
        return {name: options} if options else name

    @staticmethod
    def to_string():
        return DataType("string")

    @staticmethod
    def to_int():
        return DataType("int")

    @staticmethod
    def to_float():
        return DataType("float")

    @staticmethod
    def to_bool(true_values=None, false_values=None, mismatch_as=None):
        options = {}
        if true_values is not None:
            options["true_values"] = list(true_values)
        if false_values is not None:
            options["false_values"] = list(false_values)
        if mismatch_as is not None:
            options["mismatch_as"] = mismatch_as
        return DataType("boolean", options)

    @staticmethod
    def to_datetime(formats=None, date_constant=None):
        if isinstance(formats, str):
            formats = [formats]
        return DataType("datetime", {"formats": list(formats)} if formats else {})


class MLTableHeaders:
    no_header = "no_header"
    from_first_file = "from_first_file"
    all_files_same_headers = "all_files_same_headers"
    all_files_different_headers = "all_files_different_headers"


class MLTableFileEncoding:
    utf8 = "utf8"
    iso88591 = "iso88591"
    latin1 = "latin1"
    ascii = "ascii"
    utf16 = "utf16"
    utf32 = "utf32"
    utf8bom = "utf8bom"
    windows1252 = "windows1252"


def _enum_value(v):
    return getattr(v, "value", v)


class MLTable:
    """An MLTable: paths and transformations, evaluated when data is asked for."""

    def __init__(self, paths=None, transformations=None, base=".", extra=None):
        self._paths = list(paths or [])
        self._transformations = list(transformations or [])
        self._base = os.path.abspath(base)
        self._extra = dict(extra or {})

    # ------------------------------------------------------------ what it is
    @property
    def paths(self):
        return copy.deepcopy(self._paths)

    def _with(self, step):
        return MLTable(self._paths, self._transformations + [step], self._base, self._extra)

    def _files(self):
        return list_files(self._paths, self._base)

    def __repr__(self):
        return yaml.safe_dump(self._document(), sort_keys=False)

    __str__ = __repr__

    def _document(self):
        doc = {"type": "mltable", "paths": self._paths}
        if self._transformations:
            doc["transformations"] = self._transformations
        doc.update({k: v for k, v in self._extra.items() if k not in doc})
        return doc

    # ------------------------------------------------------------ evaluating
    def to_pandas_dataframe(self):
        return self._evaluate(self._files())

    def _evaluate(self, files):
        import pandas as pd
        steps = list(self._transformations)
        reader, options = (split_step(steps[0]) if steps else (None, None))
        if reader in ("read_parquet", "read_delta_lake"):
            raise UserErrorException(f"{reader}: prs_mpi's mltable reads delimited text and JSON lines only. Fix: "
                                     "convert the data to CSV or JSON lines and use read_delimited")
        options = options or {}
        for step in steps[1:]:
            if split_step(step)[0] in READERS:
                raise UserErrorException(f"{split_step(step)[0]}: a second read transformation; keep one")
        add_path = bool(options.get("include_path_column"))
        # take_random_sample decides rows by their byte offsets, found only when needed.
        offsets = any(split_step(s)[0] == "take_random_sample" for s in steps)
        if reader == "read_delimited":
            frame, row_files, add_path, steps, offsets = read_delimited_files(files, options, steps[1:], offsets)
        elif reader == "read_json_lines":
            frame, row_files, offsets = read_json_lines_files(files, options, offsets)
            steps = steps[1:]
        else:  # a table of paths: a path's "offset" is 0, its file decides
            frame, row_files = pd.DataFrame({"Path": files}), files
            options, add_path, offsets = {}, False, [0] * len(files)
        return _apply_worker_steps(frame, options.get("path_column", "Path") if add_path else None, steps, row_files,
                                   offsets, self._base)

    def show(self, count=20):
        return self.take(count).to_pandas_dataframe()

    def get_partition_count(self):
        return max(1, len(self._files()))

    # ------------------------------------------------------------ transformations
    def take(self, count=20):
        return self._with({"take": int(count)})

    def skip(self, count):
        return self._with({"skip": int(count)})

    def take_random_sample(self, probability, seed=None):
        options = {"probability": float(probability)}
        if seed is not None:
            options["seed"] = int(seed)
        return self._with({"take_random_sample": options})

    def drop_columns(self, columns):
        return self._with({"drop_columns": [columns] if isinstance(columns, str) else list(columns)})

    def keep_columns(self, columns):
        return self._with({"keep_columns": [columns] if isinstance(columns, str) else list(columns)})

    def filter(self, expression):
        return self._with({"filter": str(expression)})

    def convert_column_types(self, column_types):
        specs = []
        for columns, data_type in column_types.items():
            if isinstance(data_type, str):
                data_type = DataType(data_type)
            specs.append({"columns": list(columns) if isinstance(columns, tuple) else columns,
                          "column_type": data_type._yaml()})
        return self._with({"convert_column_types": specs})

    def extract_columns_from_partition_format(self, partition_format):
        return self._with({"extract_columns_from_partition_format": {"partition_format": partition_format}})

    def random_split(self, percent=0.5, seed=None):
        raise UserErrorException("random_split is not supported by prs_mpi's mltable. Fix: use "
                                 "take_random_sample, or filter on a column")

    # ------------------------------------------------------------ saving
    def save(self, path=None, overwrite=True, colocated=False, show_progress=False, if_err_remove_files=True):
        """Writes <path>/MLTable. Paths are written relative to `path` when they lie under
        it, else absolute, so the folder can be read back from anywhere."""
        folder = os.path.abspath(path or ".")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, "MLTable")
        if os.path.exists(target) and not overwrite:
            raise UserErrorException(f"'{target}' exists. Fix: pass overwrite=True")
        paths = []
        for entry in self._paths:
            (kind, value), = entry.items()
            value = str(value)
            if value.startswith("file://"):
                value = value[len("file://"):]
            absolute = os.path.normpath(os.path.join(self._base, value))
            relative = os.path.relpath(absolute, folder)
            paths.append({kind: relative if not relative.startswith("..") else absolute})
        doc = self._document()
        doc["paths"] = paths
        with open(target, "w", encoding="utf-8") as f:
            yaml.safe_dump(doc, f, sort_keys=False)
        return MLTable(paths, self._transformations, folder, self._extra)


def load(uri, storage_options=None, ml_client=None):
    """Reads <folder>/MLTable (or the MLTable file itself)."""
    path = str(uri)
    if path.startswith("file://"):
        path = path[len("file://"):]
    if os.path.isdir(path):
        path = os.path.join(path, "MLTable")
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except OSError as e:
        raise UserErrorException(f"cannot read '{path}': {e.strerror}. Fix: pass a folder holding an MLTable file")
    if not isinstance(doc, dict) or "paths" not in doc:
        raise UserErrorException(f"{path}: expected a mapping with paths:")
    extra = {k: v for k, v in doc.items() if k not in ("paths", "transformations", "type")}
    return MLTable(doc["paths"], doc.get("transformations") or [], os.path.dirname(os.path.abspath(path)), extra)


def _worker_steps(mltable_file):
    """(read options, steps after the read) of an MLTable file rank 0 has checked."""
    with open(mltable_file, encoding="utf-8") as f:
        steps = list((yaml.safe_load(f) or {}).get("transformations") or [])
    reader, options = split_step(steps[0]) if steps else (None, None)
    if reader in ("read_delimited", "read_json_lines"):
        steps = steps[1:]
    else:
        options = {}
    # skip/take are rank 0's: it cut only the window's rows (they come before any filter).
    return options or {}, [s for s in steps if split_step(s)[0] not in ("skip", "take")]


def _read_worker_files(mltable_file, files):
    """A mini-batch of whole files (UTF-16/32): read and transformed as load() does."""
    table = load(mltable_file)
    return table._evaluate(files)


def _worker_plan(mltable_file, names):
    """For a delimited mini-batch with columns `names`: (the columns to parse or None, the
    path column to add or None, the steps left)."""
    options, steps = _worker_steps(mltable_file)
    usecols, keep_path, rest = plan_read(options, steps, names)
    return usecols, (options.get("path_column", "Path") if keep_path else None), rest


def _apply_worker_steps(frame, path_column, steps, row_files, offsets=None, base="."):
    """What prs_mpi's workers do to each mini-batch's frame: the same as
    to_pandas_dataframe() does after reading. `offsets`: each row's byte offset in its
    file; `base`: the MLTable's folder (take_random_sample hashes paths relative to it)."""
    if path_column:
        frame.insert(0, path_column, row_files if isinstance(row_files, str) else list(row_files))
    for step in steps:
        name, step_options = split_step(step)
        frame, row_files, offsets = apply_step(frame, name, step_options, row_files, offsets, base)
    return frame.reset_index(drop=True)


def _paths_arg(paths):
    if isinstance(paths, (str, os.PathLike)):
        return [{"file": str(paths)}]
    return [dict(p) if isinstance(p, dict) else {"file": str(p)} for p in paths]


def from_delimited_files(paths, header="all_files_same_headers", delimiter=",", support_multi_line=False,
                         empty_as_string=False, encoding="utf8", include_path_column=False,
                         infer_column_types=True):
    options = {"delimiter": delimiter, "header": _enum_value(header), "encoding": _enum_value(encoding),
               "empty_as_string": bool(empty_as_string), "support_multi_line": bool(support_multi_line),
               "include_path_column": bool(include_path_column)}
    if infer_column_types is False:
        options["infer_column_types"] = False
    return MLTable(_paths_arg(paths), [{"read_delimited": options}])


def from_json_lines_files(paths, invalid_lines="error", encoding="utf8", include_path_column=False):
    options = {"invalid_lines": invalid_lines, "encoding": _enum_value(encoding),
               "include_path_column": bool(include_path_column)}
    return MLTable(_paths_arg(paths), [{"read_json_lines": options}])


def from_paths(paths):
    return MLTable(_paths_arg(paths))


def from_parquet_files(*args, **kwargs):
    raise UserErrorException("prs_mpi's mltable reads no Parquet (no Parquet reader among Debian 12's packages). "
                             "Fix: convert the data to CSV and use from_delimited_files")


from_delta_lake = from_parquet_files
