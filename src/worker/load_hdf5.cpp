#include "loaders.hpp"

namespace prs::worker {

LoadedMiniBatch load_hdf5(const protocol::MiniBatchDescriptor&, const protocol::InputFormat&) {
    throw LoadError("HDF5 inputs are not supported by this build yet");
}

}  // namespace prs::worker
