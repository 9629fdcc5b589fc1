#pragma once
// prs_mpi's own Python packages (the `mltable` stand-in, python/ in the source tree):
// copied to <build>/python next to the binaries, installed to
// <prefix>/share/prs_mpi/python. Workers append the folder to sys.path after
// site-packages (a real package wins); command steps put it on their PYTHONPATH.

#include <filesystem>

namespace prs::util {

// The folder for the binary at `executable`: <bin dir>/python when it holds
// mltable/__init__.py (a build tree), else <bin dir>/../share/prs_mpi/python when that
// does (an install); empty when neither does.
std::filesystem::path bundled_python_dir(const std::filesystem::path& executable);

// The same for the running binary (/proc/self/exe).
std::filesystem::path bundled_python_dir();

}  // namespace prs::util
