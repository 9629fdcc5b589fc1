#pragma once
// MLTable inputs: the MLTable file's paths, and read_delimited / read_json_lines cut
// into byte ranges of whole rows.

#include <memory>

#include "prs/partition/partition.hpp"

namespace prs::partition {

// Reads <input>/MLTable. Throws InputError naming the file, line and fix.
protocol::InputFormat mltable_input_format(const config::JobSpec& job);
std::unique_ptr<Partition> make_mltable_partition(const config::JobSpec& job, const protocol::InputFormat& format);

}  // namespace prs::partition
