#pragma once
// write(2) until every byte is written, retrying interrupted calls.

#include <string_view>

namespace prs::util {

// 0 when all of `bytes` reached `fd`, else the errno that stopped it. Callers decide
// whether a failure matters (the output and journal) or is dropped (courtesy logs).
int write_fully(int fd, std::string_view bytes);

}  // namespace prs::util
