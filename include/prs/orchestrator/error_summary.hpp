#pragma once
// logs/job_error.txt: the entry script's errors grouped by message, with a count,
// sample mini-batches and one traceback each, so a thousand identical failures read
// as one entry. Messages that differ every time (a path in each) would make a group per
// failure; past kMaxGroups groups the others are only counted, so rank 0 stays small.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::orchestrator {

class ErrorSummary {
public:
    static constexpr std::size_t kMaxGroups = 1000;

    void add(const protocol::AttemptResult& r);
    void add_init_failure(const std::string& process, const std::string& message);
    bool empty() const { return groups_.empty(); }
    std::string first_message() const;
    std::string render() const;

private:
    struct Group {
        std::uint64_t count = 0;
        std::size_t order = 0;
        std::vector<std::string> samples;  // "mini-batch 3 (attempt 1, node 0 process001)"
        std::string traceback;
    };
    Group* group(std::string key);  // null once kMaxGroups others exist
    std::map<std::string, Group> groups_;
    std::uint64_t ungrouped_ = 0;  // failures whose error came after kMaxGroups others
};

}  // namespace prs::orchestrator
