#pragma once
// Config tests' job folder: a temporary directory holding the seed's entry script and the
// input folders the seed's YAML examples name, into which tests copy or write job files.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "prs/config/load_job.hpp"

namespace prs::config::testing {

namespace fs = std::filesystem;

class JobDir : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / (std::string("prs_config_") + test->test_suite_name() + "_" + test->name() +
                                            "_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "script");
        fs::copy_file(data_dir() / "script" / "iris_prediction.py", dir_ / "script" / "iris_prediction.py");
        for (const char* folder : {"neural-iris-mltable", "iris-model", "mnist", "labels"})
            fs::create_directories(dir_ / folder);
        write("neural-iris-mltable/MLTable", "paths:\n  - file: ./iris.csv\ntransformations:\n  - read_delimited:\n");
        write("mnist/0.png", "");
    }
    void TearDown() override { fs::remove_all(dir_); }

    static fs::path data_dir() { return fs::path(PRS_SOURCE_DIR) / "tests" / "unit" / "data" / "config"; }
    const fs::path& dir() const { return dir_; }

    fs::path copy_data(const std::string& name) {
        fs::copy_file(data_dir() / name, dir_ / name, fs::copy_options::overwrite_existing);
        return dir_ / name;
    }

    fs::path write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
        return dir_ / name;
    }

    static CommandLine cli(const fs::path& job, std::map<std::string, std::string> overrides = {},
                           std::optional<std::string> step = std::nullopt) {
        CommandLine c;
        c.job_file = job;
        c.overrides = std::move(overrides);
        c.job = std::move(step);
        return c;
    }

    JobSpec load(const std::string& name, std::map<std::string, std::string> overrides = {},
                 std::optional<std::string> step = std::nullopt) {
        return load_job(cli(dir_ / name, std::move(overrides), std::move(step)));
    }

    // The JobError message loading `name` gives; fails the test if it loads.
    std::string error_of(const std::string& name, std::map<std::string, std::string> overrides = {},
                         std::optional<std::string> step = std::nullopt) {
        try {
            load(name, std::move(overrides), std::move(step));
        } catch (const JobError& e) {
            return e.what();
        }
        ADD_FAILURE() << name << " loaded, but an error was expected";
        return {};
    }

private:
    fs::path dir_;
};

}  // namespace prs::config::testing
