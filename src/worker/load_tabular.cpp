#include "loaders.hpp"

namespace prs::worker {

LoadedMiniBatch load_tabular(const protocol::MiniBatchDescriptor&, const protocol::InputFormat&) {
    throw LoadError("tabular inputs are not supported by this build yet");
}

}  // namespace prs::worker
