#include "prs/orchestrator/error_summary.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace prs::orchestrator {

namespace {
constexpr std::size_t kSamples = 5;

// Where to read more about one failed attempt.
std::string sample(const protocol::AttemptResult& r) {
    // No process: rank 0 failed the mini-batch because its rank stopped working.
    if (r.process.empty())
        return fmt::format("mini-batch {} (attempt {}, node {}; see logs/sys/master_role.txt)", r.mini_batch_id,
                           r.attempt + 1, r.node_id);
    return fmt::format("mini-batch {} (attempt {}, node {} {}; see logs/user/stderr/{}/{}.stderr.txt)",
                       r.mini_batch_id, r.attempt + 1, r.node_id, r.process, r.node_id, r.process);
}
}  // namespace

void ErrorSummary::add(const protocol::AttemptResult& r) {
    const std::string key = fmt::format("{}: {}", protocol::status_name(r.status), r.error_message);
    auto [it, fresh] = groups_.try_emplace(key);
    if (fresh) {
        it->second.order = groups_.size();
        it->second.traceback = r.traceback;
    }
    ++it->second.count;
    if (it->second.samples.size() < kSamples) it->second.samples.push_back(sample(r));
}

void ErrorSummary::add_init_failure(const std::string& process, const std::string& message) {
    auto [it, fresh] = groups_.try_emplace("INIT_FAILED: " + message);
    if (fresh) it->second.order = groups_.size();
    ++it->second.count;
    if (it->second.samples.size() < kSamples) it->second.samples.push_back(process);
}

std::string ErrorSummary::first_message() const {
    const auto it = std::min_element(groups_.begin(), groups_.end(),
                                     [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
    return it == groups_.end() ? std::string() : it->first;
}

std::string ErrorSummary::render() const {
    std::vector<const std::pair<const std::string, Group>*> sorted;
    for (const auto& g : groups_) sorted.push_back(&g);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
        return a->second.count != b->second.count ? a->second.count > b->second.count
                                                  : a->second.order < b->second.order;
    });
    std::string out = fmt::format("{} distinct error(s) from the entry script.\n", sorted.size());
    for (const auto* g : sorted) {
        out += fmt::format("\n== {} time(s): {}\n", g->second.count, g->first);
        for (const auto& s : g->second.samples) out += "   " + s + "\n";
        if (!g->second.traceback.empty()) out += g->second.traceback + (g->second.traceback.ends_with('\n') ? "" : "\n");
    }
    return out;
}

}  // namespace prs::orchestrator
