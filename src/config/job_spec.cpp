#include "prs/config/job_spec.hpp"

#include <algorithm>
#include <stdexcept>

namespace prs::config {

const InputSpec& JobSpec::major() const {
    const auto it =
        std::find_if(inputs.begin(), inputs.end(), [&](const InputSpec& i) { return i.name == major_input; });
    // load_job guarantees the major input exists; a hand-built JobSpec may not.
    if (it == inputs.end())
        throw std::logic_error("JobSpec: major input '" + major_input + "' is not among the inputs");
    return *it;
}

}  // namespace prs::config
