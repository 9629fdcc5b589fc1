// Where the workers (and command steps) find prs_mpi's python folder: next to the binary
// in a build tree, under share/prs_mpi/python in an install.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "prs/util/bundled_python.hpp"

namespace prs::util {
namespace {

namespace fs = std::filesystem;

class BundledPython : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("prs_bundled_python_" + std::to_string(::getpid()));
        fs::remove_all(root_);
    }
    void TearDown() override { fs::remove_all(root_); }
    void package_at(const fs::path& dir) {
        fs::create_directories(dir / "mltable");
        std::ofstream(dir / "mltable" / "__init__.py") << "";
    }
    fs::path root_;
};

TEST_F(BundledPython, BuildTreeThenInstallThenNone) {
    const fs::path worker = root_ / "bin" / "prs_mpi_worker";
    EXPECT_EQ(bundled_python_dir(worker), fs::path());
    package_at(root_ / "share" / "prs_mpi" / "python");
    EXPECT_EQ(bundled_python_dir(worker), root_ / "share" / "prs_mpi" / "python");
    package_at(root_ / "bin" / "python");
    EXPECT_EQ(bundled_python_dir(worker), root_ / "bin" / "python");
}

TEST(BundledPythonOfThisBinary, IsTheBuildTreesFolderNextToTheWorker) {
    // The unit tests run from <build>/tests; the package is copied to <build>/python.
    const fs::path self = fs::read_symlink("/proc/self/exe");
    EXPECT_EQ(bundled_python_dir(self.parent_path().parent_path() / "prs_mpi_worker"),
              (self.parent_path().parent_path() / "python").lexically_normal());
}

}  // namespace
}  // namespace prs::util
