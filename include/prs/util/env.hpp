#pragma once
// The process environment behind a lookup function, so that what is read from it can be
// tested with a map instead.

#include <functional>
#include <optional>
#include <string>

namespace prs::util {

// Reads the environment variable NAME, or nullopt.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// This process's environment.
EnvLookup process_env();

}  // namespace prs::util
