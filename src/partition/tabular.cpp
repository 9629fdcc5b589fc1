#include "prs/partition/tabular.hpp"

namespace prs::partition {

protocol::InputFormat mltable_input_format(const config::JobSpec& job) {
    throw InputError("input '" + job.major().name + "': MLTable inputs are not supported by this build yet");
}

std::unique_ptr<Partition> make_mltable_partition(const config::JobSpec& job, const protocol::InputFormat&) {
    throw InputError("input '" + job.major().name + "': MLTable inputs are not supported by this build yet");
}

}  // namespace prs::partition
