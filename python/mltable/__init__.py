"""prs_mpi's `mltable`: the part of Azure's mltable package that entry scripts and
command steps use (load an MLTable, transform it, get a pandas DataFrame, save it), for
machines where Azure's package is not installed. A real `mltable` anywhere on sys.path
wins (_installed.py), wherever this folder stands.

The transformations are the ones prs_mpi's workers apply to each mini-batch (_transform),
so a table read here and the frames run() gets agree."""

from ._installed import defer_to_installed

if not defer_to_installed(__name__, __file__):
    from ._api import *  # noqa: F401,F403
    from ._api import __all__  # noqa: F401
    # What prs_mpi's workers call on their private copy (prs_runtime.py).
    from ._api import _apply_worker_steps, _read_worker_files, _worker_plan, _worker_steps  # noqa: F401
