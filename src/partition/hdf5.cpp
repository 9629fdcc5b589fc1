#include "prs/partition/hdf5.hpp"

namespace prs::partition {

std::unique_ptr<Partition> make_hdf5_partition(const config::JobSpec& job, const protocol::InputFormat&) {
    throw InputError("input '" + job.major().name + "': HDF5 inputs are not supported by this build yet");
}

}  // namespace prs::partition
