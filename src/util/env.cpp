#include "prs/util/env.hpp"

#include <cstdlib>

namespace prs::util {

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
    };
}

}  // namespace prs::util
