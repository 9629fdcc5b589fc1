#include "prs/util/bundled_python.hpp"

#include <system_error>

namespace prs::util {

namespace fs = std::filesystem;

fs::path bundled_python_dir(const fs::path& executable) {
    const fs::path bin = executable.parent_path();
    std::error_code ec;
    // `bin` is /proc/self/exe's folder, free of links: "<bin>/.." may be taken lexically.
    // A build folder; an installed prs_mpi (<prefix>/bin); an installed worker
    // (<prefix>/libexec/prs_mpi).
    for (const fs::path& dir : {bin / "python", (bin / ".." / "share" / "prs_mpi" / "python").lexically_normal(),
                                (bin / ".." / ".." / "share" / "prs_mpi" / "python").lexically_normal()})
        if (fs::exists(dir / "mltable" / "__init__.py", ec)) return dir;
    return {};
}

fs::path bundled_python_dir() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : bundled_python_dir(self);
}

}  // namespace prs::util
