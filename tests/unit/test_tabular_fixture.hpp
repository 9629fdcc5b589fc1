#pragma once
// Tabular tests' scratch folder: writes data files and MLTable files, and builds the
// JobSpec of an mltable (or uri_folder) input over it.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "prs/config/job_spec.hpp"
#include "prs/partition/partition.hpp"

namespace prs::partition::testing {

namespace fs = std::filesystem;

class TabularDir : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/prs_tabular_XXXXXX";
        dir_ = ::mkdtemp(tmpl);
    }
    void TearDown() override { fs::remove_all(dir_); }

    const fs::path& dir() const { return dir_; }

    std::string write(const std::string& rel, const std::string& bytes) const {
        const fs::path p = dir_ / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << bytes;
        return p.string();
    }

    config::JobSpec job(config::InputType type = config::InputType::MLTable,
                        std::vector<std::string> partition_keys = {}) const {
        config::JobSpec j;
        j.inputs.push_back(config::InputSpec{"input_data", type, dir_, "", {}, ""});
        j.major_input = "input_data";
        j.partition_keys = std::move(partition_keys);
        return j;
    }

    // Every descriptor of a partition, in order.
    static std::vector<protocol::MiniBatchDescriptor> drain(Partition& p) {
        std::vector<protocol::MiniBatchDescriptor> out;
        while (auto d = p.next()) out.push_back(std::move(*d));
        return out;
    }

private:
    fs::path dir_;
};

}  // namespace prs::partition::testing
