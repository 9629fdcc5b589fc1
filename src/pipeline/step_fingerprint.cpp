#include "prs/pipeline/step_fingerprint.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace prs::pipeline {

namespace fs = std::filesystem;

namespace {

bool skipped(const fs::path& p, const std::vector<fs::path>& skip) {
    return std::find(skip.begin(), skip.end(), p) != skip.end();
}

// "path size mtime" per file under `root` (or of `root` itself), sorted.
void append_listing(std::string& out, const fs::path& root, const std::vector<fs::path>& skip) {
    std::error_code ec;
    std::vector<std::string> lines;
    const auto line = [&](const fs::path& p) {
        const auto size = fs::file_size(p, ec);
        const auto mtime = fs::last_write_time(p, ec).time_since_epoch().count();
        lines.push_back(fmt::format("{} {} {}", p.string(), ec ? 0 : size, ec ? 0 : mtime));
    };
    if (fs::is_regular_file(root, ec)) {
        line(root);
    } else if (fs::is_directory(root, ec)) {
        for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            const auto& p = it->path();
            const std::string name = p.filename().string();
            if (it->is_directory(ec) && (skipped(p, skip) || name.starts_with(".") || name == "__pycache__")) {
                it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file(ec)) line(p);
        }
    } else {
        lines.push_back(root.string() + " missing");
    }
    std::sort(lines.begin(), lines.end());
    for (const auto& l : lines) out += l + "\n";
}

}  // namespace

std::string fnv1a_hex(const std::string& bytes) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return fmt::format("{:016x}", h);
}

std::string step_fingerprint(const config::PipelineStep& step, const std::vector<fs::path>& skip) {
    const auto& c = step.command;
    std::string text = "command\n" + c.command + "\ncode " + c.code_dir.string() + "\n";
    for (const auto& [k, v] : c.environment_variables) text += "env " + k + "=" + v + "\n";
    for (const auto& p : c.python_path) text += "python_path " + p.string() + "\n";
    if (c.venv) text += "venv " + c.venv->string() + "\n";
    for (const auto& o : step.outputs) text += "output " + o.name + " " + o.path.string() + "\n";
    append_listing(text, c.code_dir, skip);
    for (const auto& p : step.input_paths) append_listing(text, p, skip);
    return fnv1a_hex(text);
}

}  // namespace prs::pipeline
