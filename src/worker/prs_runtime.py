"""Python half of prs_mpi_worker (Azure's "processNNN").

The C++ host executes this text into a module named ``prs_runtime`` and calls
start() once, run_mini_batch() per mini-batch and shutdown() at the end. What crosses
between the two is defined once, in C++, by the host's ``_prs_host`` module
(src/worker/host_module.cpp): start()'s RuntimeSetup (read by attribute), the RunOutcome
run_mini_batch() returns, the AttemptStatus values and the log files' paths. What the
entry script can see (sys.path, logging, the EntryScript helper) and what is done
with run()'s return (type check, append_row text) lives here, so that a mini-batch
costs the host a single Python call.

Text goes back to the host as UTF-8 bytes; surrogate escapes (undecodable file
names) become their original bytes again.
"""

import faulthandler
import importlib.machinery
import importlib.util
import logging
import os
import site
import sys
import time
import traceback
import types

import _prs_host
from _prs_host import AttemptStatus

_ROOT_FORMAT = "%(asctime)s|%(name)s|%(levelname)s|%(message)s"
_ENTRY_SCRIPT_FORMAT = "%(asctime)s|%(name)s|%(funcName)s()|%(levelname)s|%(message)s"

# Frames of this module and of importlib say nothing about the user's error.
_HIDDEN_FRAMES = ("<prs_runtime>", "<frozen importlib._bootstrap>",
                  "<frozen importlib._bootstrap_external>")

_setup = None              # the host's _prs_host.RuntimeSetup
_run = None
_run_takes_context = False
_shutdown = None
_profiler = None  # --profiling_module's Profile(), wrapped around every run() call
_to_csv_kwargs = {}
_host_writes_frames = True  # to_csv's arguments are the defaults: _prs_host.frame_text may write the rows
_header_argument = True    # to_csv(header=...) for the --append_row_dataframe_header line
_SETTINGS_FILE = "parallel_run_step.settings.json"


# ---------------------------------------------------------------- EntryScript helper

class EntryScript:
    """azureml_user.parallel_run.EntryScript: where the entry script may log and write."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @property
    def logger(self):
        return logging.getLogger("ParallelRunStep")

    @property
    def log_dir(self):
        return _entry_script_log_dir()

    @property
    def output_dir(self):
        return _setup.output_dir

    @property
    def working_dir(self):
        return os.getcwd()

    @property
    def agent_name(self):
        return _setup.process_name

    @property
    def node_id(self):
        return _setup.node_id


def _entry_script_log_dir():
    return os.path.dirname(_setup.entry_script_log)


def _register_helper_modules():
    # Registered in sys.modules so the import works whether or not an azureml
    # package is installed, and always finds this implementation.
    package = types.ModuleType("azureml_user")
    package.__path__ = []
    parallel_run = types.ModuleType("azureml_user.parallel_run")
    parallel_run.EntryScript = EntryScript
    package.parallel_run = parallel_run
    prs_mpi = types.ModuleType("prs_mpi")
    prs_mpi.EntryScript = EntryScript
    sys.modules.update({"azureml_user": package, "azureml_user.parallel_run": parallel_run,
                        "prs_mpi": prs_mpi})


# ---------------------------------------------------------------- start

def _level(name):
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO


def _configure_streams():
    # Line buffering: a worker killed for a timeout or OOM keeps what it printed.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.reconfigure(line_buffering=True)
    # A segfault in an extension module leaves a Python traceback in the stderr log.
    if sys.stderr is not None:
        faulthandler.enable(file=sys.stderr, all_threads=True)


def _configure_sys_path(code_dir, entry_script, python_path, bundled_python):
    front = [code_dir, os.path.dirname(entry_script), *python_path]
    sys.path[:0] = [p for p in dict.fromkeys(front) if p]
    for directory in python_path:
        site.addsitedir(directory)  # .pth files of a venv (editable installs) count too
    # prs_mpi's `mltable` last: a real one installed anywhere on the path wins.
    if bundled_python and bundled_python not in sys.path:
        sys.path.append(bundled_python)


# ---------------------------------------------------------------- MLTable steps

_mltable_steps = {}  # (MLTable file, column names) -> (columns to parse, path column, steps)


def _bundled_mltable():
    """prs_mpi's own mltable package under a private name: the steps applied to each
    mini-batch are its code even when the entry script imports Azure's."""
    module = sys.modules.get("_prs_mltable")
    if module is None:
        import importlib.util
        folder = os.path.join(_setup.bundled_python, "mltable")
        spec = importlib.util.spec_from_file_location(
            "_prs_mltable", os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
        module = importlib.util.module_from_spec(spec)
        sys.modules["_prs_mltable"] = module
        spec.loader.exec_module(module)
    return module


def mltable_read(mltable_file, files):
    """UTF-16/32 files: the mini-batch's files read whole by the mltable module, then its steps."""
    mltable = _mltable_or_fail()
    return mltable._read_worker_files(mltable_file, files)


def _mltable_or_fail():
    if not _setup.bundled_python:
        raise RuntimeError("prs_mpi's python folder (mltable) was not found next to prs_mpi_worker; reinstall prs_mpi")
    return _bundled_mltable()


def _plan(mltable_file, names):
    key = (mltable_file, tuple(names) if names is not None else None)
    if key not in _mltable_steps:
        mltable = _mltable_or_fail()
        if names is None:  # JSON lines: the columns are the lines' keys, nothing to fold
            options, steps = mltable._worker_steps(mltable_file)
            path = options.get("path_column", "Path") if options.get("include_path_column") else None
            _mltable_steps[key] = (None, path, steps)
        else:
            _mltable_steps[key] = mltable._worker_plan(mltable_file, list(names))
    return _mltable_steps[key]


def mltable_usecols(mltable_file, names):
    """The columns of `names` a delimited mini-batch's parse needs (None: all)."""
    return _plan(mltable_file, names)[0]


def mltable_frame(frame, mltable_file, names, files, file_rows, row_offsets=b""):
    """A mini-batch's frame with the MLTable's path column and steps applied. `names` are
    the file's columns (None for JSON lines), `files` the descriptor's files, `file_rows`
    the rows each gave, `row_offsets` each row's byte offset in its file (native uint64s)."""
    import numpy as np
    _, path_column, steps = _plan(mltable_file, names)
    if len(files) == 1:
        row_files = files[0]
    else:
        row_files = [f for f, n in zip(files, file_rows) for _ in range(n)]
    offsets = np.frombuffer(row_offsets, dtype=np.uint64)
    return _bundled_mltable()._apply_worker_steps(frame, path_column, steps, row_files,
                                                  offsets if len(offsets) == len(frame) else None,
                                                  os.path.dirname(mltable_file))


def _configure_logging(level):
    logging.basicConfig(level=level, format=_ROOT_FORMAT, stream=sys.stdout, force=True)
    os.makedirs(_entry_script_log_dir(), exist_ok=True)
    handler = logging.FileHandler(_setup.entry_script_log, delay=True)
    handler.setFormatter(logging.Formatter(_ENTRY_SCRIPT_FORMAT))
    logger = logging.getLogger("ParallelRunStep")
    logger.setLevel(level)
    logger.addHandler(handler)


def _configure_to_csv(kwargs_json):
    global _to_csv_kwargs, _header_argument, _host_writes_frames
    kwargs = {"sep": " ", "index": False}
    if kwargs_json:
        import json  # here: most jobs have no settings file, and a worker's start-up is short
        try:
            overrides = json.loads(kwargs_json)
        except ValueError as e:
            raise ValueError(f"{_SETTINGS_FILE} in the code folder is not valid JSON: {e}") from None
        if not isinstance(overrides, dict):
            raise ValueError(f"to_csv arguments of {_SETTINGS_FILE} must be an object")
        # The file as Azure reads it: {"append_row": {"pandas.DataFrame.to_csv": {...}}}
        if "append_row" in overrides:
            overrides = (overrides["append_row"] or {}).get("pandas.DataFrame.to_csv", {})
        kwargs.update(overrides)
    # Rows come back as text; the header is written once, apart from the rows.
    kwargs.pop("path_or_buf", None)
    header = kwargs.pop("header", True)
    _header_argument = header if isinstance(header, (list, tuple)) else True
    _to_csv_kwargs = kwargs
    # A separator that a number's text can hold ("." in "1.5", "e" in "1e-05") makes
    # to_csv quote numbers too.
    sep = kwargs.get("sep")
    _host_writes_frames = (set(kwargs) == {"sep", "index"} and kwargs["index"] is False and isinstance(sep, str)
                           and len(sep) == 1 and not sep.isalnum() and sep not in '"\r\n.+-')
    if kwargs_json:
        _check_to_csv_arguments(kwargs)


def _check_to_csv_arguments(kwargs):
    """Arguments to_csv rejects fail the start, naming the file, rather than every mini-batch."""
    try:
        import pandas
    except ImportError:
        return  # no DataFrame can come back
    try:
        pandas.DataFrame({"column": [1]}).to_csv(header=False, **kwargs)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{_SETTINGS_FILE}: pandas.DataFrame.to_csv rejects {kwargs}: {e}") from None


def _import_entry_script(path):
    name = os.path.splitext(os.path.basename(path))[0]
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def _function(module, *names):
    for name in names:
        f = getattr(module, name, None)
        if callable(f):
            return f
    return None


def _takes_context(f):
    # A plain function's code says it without importing inspect (~10 ms of a worker's
    # start-up); what inspect.signature would look through (__wrapped__, __signature__,
    # partials, methods, callable objects) goes to it.
    if type(f) is types.FunctionType and not hasattr(f, "__wrapped__") and not hasattr(f, "__signature__"):
        return f.__code__.co_argcount >= 2
    import inspect
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in positional for p in parameters) >= 2


def start(setup):
    """Prepares the interpreter, imports the entry script and calls its init().
    `setup` is a _prs_host.RuntimeSetup.

    Returns (ok, error_message, traceback)."""
    global _setup, _run, _run_takes_context, _shutdown, _profiler
    _setup = setup
    entry_script = setup.entry_script
    try:
        _configure_streams()
        _configure_sys_path(setup.code_dir, entry_script, setup.python_path, setup.bundled_python)
        _register_helper_modules()
        _configure_logging(_level(setup.logging_level))
        _configure_to_csv(setup.to_csv_kwargs_json)
        if setup.profiling_module:
            _profiler = _start_profiler(setup.profiling_module)
        module = _import_entry_script(entry_script)
        init = _function(module, "init", "Init")
        if init is not None:
            init()
        _run = _function(module, "run", "Run")
        if _run is None:
            message = f"entry script {entry_script} has no run(mini_batch) function"
            print(message, file=sys.stderr)
            return False, _encode(message), b""
        _run_takes_context = _takes_context(_run)
        _shutdown = _function(module, "shutdown", "Shutdown")
        return True, b"", b""
    except BaseException as e:  # SystemExit in init() too: the worker reports, not dies
        message, tb = _report(e, f"entry script {entry_script} failed to start")
        return False, _encode(message), _encode(tb)
    finally:
        flush()


# ---------------------------------------------------------------- run

class MiniBatchContext(dict):
    """run()'s second argument: attributes, or keys as in a dict."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def run_mini_batch(mini_batch, index, total, partition_key_value):
    """Calls run() and judges its return.

    Returns a _prs_host.RunOutcome. Its rows are a str; the host ends their last line and
    counts the lines (no copy of the text is made here for that)."""
    run_seconds = 0.0
    try:
        args = (mini_batch,)
        if _run_takes_context:
            args = (mini_batch, MiniBatchContext(minibatch_index=index, partition_key_value=partition_key_value,
                                                 dataset=_setup.input_path))
        started = time.perf_counter()
        try:
            result = _profiler.runcall(_run, *args) if _profiler else _run(*args)
        finally:
            run_seconds = time.perf_counter() - started
        return _judge(result, total, index, run_seconds)
    except BaseException as e:  # sys.exit() in run() fails the attempt, not the worker
        message, tb = _report(e, f"mini-batch {index}: run() raised")
        return _outcome(AttemptStatus.RUN_EXCEPTION, run_seconds, error_category=b"UserError",
                        error_message=_encode(message), traceback=_encode(tb))
    finally:
        flush()


def _judge(result, total, index, run_seconds):
    header = ""
    pandas = sys.modules.get("pandas")
    if isinstance(result, (list, tuple)) or _is_array(result):
        succeeded = len(result)
        rows = _list_rows(result) if _setup.append_rows and succeeded else ""
    elif pandas is not None and isinstance(result, pandas.DataFrame):
        succeeded = len(result)
        rows = ""
        if _setup.append_rows:
            if succeeded:
                rows = _frame_rows(result)
            if _setup.dataframe_header:
                header = _end_line(result.head(0).to_csv(header=_header_argument, **_to_csv_kwargs))
    else:
        message = ("The run() method in the entry script should return a list, tuple or pandas "
                   f"DataFrame, got {type(result).__name__}. The length of the returned result is "
                   "counted as the number of succeeded items.")
        print(f"mini-batch {index}: {message}", file=sys.stderr)
        return _outcome(AttemptStatus.RUN_BAD_RETURN, run_seconds, error_category=b"UserError",
                        error_message=_encode(message))
    if succeeded > total:
        print(f"WARNING: mini-batch {index}: run() returned {succeeded} results for {total} items; "
              "all are kept", file=sys.stderr)
    return _outcome(AttemptStatus.RUN_DONE, run_seconds, succeeded=succeeded, rows=rows, header=_encode(header))


def _list_rows(result):
    """A line per item, str(item). A list of str (the common return) is joined as it is,
    a fifth of the time of calling str() on each (a str subclass gives its value)."""
    try:
        return "\n".join(result)
    except TypeError:
        return "\n".join(map(str, result))


def _frame_rows(frame):
    """to_csv's rows of a DataFrame. Written by the host from the columns' arrays when
    to_csv's arguments are the defaults and every column is numbers, bools or text that
    needs no quoting (a scoring run()'s id and prediction: to_csv cost more than the
    model); by to_csv otherwise."""
    if _host_writes_frames:
        numpy = sys.modules["numpy"]  # pandas imported it
        arrays = []
        for i in range(frame.shape[1]):
            values = frame.iloc[:, i]
            dtype = values.dtype
            if not isinstance(dtype, numpy.dtype):  # extension types (nullable, categorical, ...)
                break
            if dtype.kind == "i":
                dtype = numpy.int64
            elif dtype.kind == "u":
                dtype = numpy.uint64
            elif not ((dtype.kind == "f" and dtype.itemsize == 8) or dtype.kind in "bO"):
                break
            arrays.append(numpy.ascontiguousarray(values.to_numpy(), dtype=dtype))
        else:
            text = _prs_host.frame_text(arrays, len(frame), _to_csv_kwargs["sep"])
            if text is not None:
                return text
    return frame.to_csv(header=False, **_to_csv_kwargs)


def _outcome(status, run_seconds, **fields):
    """A RunOutcome; the fields not given keep their empty defaults."""
    outcome = _prs_host.RunOutcome()
    outcome.status = status
    outcome.run_method_s = run_seconds
    for name, value in fields.items():
        setattr(outcome, name, value)
    return outcome


def _is_array(result):
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(result, numpy.ndarray) and result.ndim > 0


def _end_line(text):
    return text if not text or text.endswith("\n") else text + "\n"


# ---------------------------------------------------------------- shutdown and helpers

def shutdown():
    """Calls the entry script's shutdown(); its errors are logged, never raised."""
    try:
        if _shutdown is not None:
            _shutdown()
    except BaseException as e:
        _report(e, "shutdown() raised")
    finally:
        _dump_profile()
        flush()


def _start_profiler(name):
    """The module's Profile() (cProfile or profile); any other module fails init clearly."""
    module = importlib.import_module(name)
    if not hasattr(module, "Profile"):
        raise ValueError(f"--profiling_module {name}: the module has no Profile class; use cProfile")
    return module.Profile()


def _dump_profile():
    # Next to the worker's system log (sys/node/<node>/<process>.txt); read it with pstats.
    # A worker killed (timeout, crash) never gets here, so its profile is lost.
    if _profiler is None:
        return
    try:
        path = _setup.profile
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _profiler.dump_stats(path)
    except Exception as e:
        _report(e, "could not write the profile")


def flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a stream the entry script closed or replaced by None
            pass


def _report(exc, heading):
    """One-line "<ExcType>: <msg>" and the traceback, which also goes to stderr
    under the heading (which mini-batch, which step)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in _HIDDEN_FRAMES:
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    sys.stderr.write(f"{heading}:\n{text}")
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    try:
        detail = str(exc)
    except Exception:
        detail = "<str() of the exception failed>"
    return " ".join(f"{name}: {detail}".splitlines()) if detail else name, text


def _encode(text):
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # lone surrogates that no file name produced
        return text.encode("utf-8", "backslashreplace")
