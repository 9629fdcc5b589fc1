#pragma once
#include <string>

namespace prs::util {
// This node's first non-loopback IPv4 address (what other nodes reach it by), for the
// per-process logs; "127.0.0.1" when the node has none.
std::string node_address();
}  // namespace prs::util
