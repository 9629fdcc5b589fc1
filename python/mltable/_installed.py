"""A real (Azure's) mltable wins wherever this folder stands on sys.path: command steps
put it on PYTHONPATH, which comes before site-packages."""

import importlib.machinery
import importlib.util
import os
import sys


def defer_to_installed(name, init_file):
    """When imported as `mltable` and another `mltable` is on sys.path, load that one in
    our place (import returns what sys.modules holds once the package has run)."""
    if name != "mltable":
        return False  # the workers' private copy (_prs_mltable) is always ours
    ours = os.path.dirname(os.path.dirname(os.path.abspath(init_file)))
    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != ours]
    spec = importlib.machinery.PathFinder.find_spec("mltable", others)
    if spec is None or spec.origin is None or os.path.abspath(spec.origin) == os.path.abspath(init_file):
        return False
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return True
