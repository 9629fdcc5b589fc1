#include "prs/pipeline/pipeline_summary.hpp"

#include <fmt/format.h>

#include "prs/logs/log_file.hpp"
#include "prs/orchestrator/exit_codes.hpp"
#include "prs/util/text.hpp"

namespace prs::pipeline {

std::string pipeline_result(int exit_code) {
    if (exit_code == kExitSucceeded) return "succeeded";
    if (exit_code == kExitResumable) return "stopped";
    return "failed";
}

std::string summary_text(const std::string& pipeline, int exit_code, const std::vector<StepResult>& steps) {
    std::string out = fmt::format("pipeline {}: {} (exit code {})\n", pipeline, pipeline_result(exit_code), exit_code);
    for (const auto& s : steps) {
        out += fmt::format("  {:<24} {:<8} {:<9} {:>8.1f} s  {}\n", s.name, s.type, s.status, s.seconds,
                           s.logs.empty() ? "" : s.logs.string());
        if (!s.detail.empty()) out += fmt::format("      {}\n", s.detail);
    }
    return out;
}

std::string summary_json(const std::string& pipeline, int exit_code, const std::vector<StepResult>& steps) {
    std::string out =
        fmt::format("{{\n  \"pipeline\": {},\n  \"result\": \"{}\",\n  \"exit_code\": {},\n  \"steps\": [",
                    util::json_quote(pipeline), pipeline_result(exit_code), exit_code);
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& s = steps[i];
        out += fmt::format(
            "{}\n    {{\"name\": {}, \"type\": \"{}\", \"status\": \"{}\", \"seconds\": {:.3f}, "
            "\"exit_code\": {}, \"logs\": {}, \"detail\": {}}}",
            i ? "," : "", util::json_quote(s.name), s.type, s.status, s.seconds, s.exit_code,
            util::json_quote(s.logs.string()), util::json_quote(s.detail));
    }
    return out + "\n  ]\n}\n";
}

std::string summary_html(const std::string& pipeline, int exit_code, const std::vector<StepResult>& steps,
                         const std::filesystem::path& run_dir) {
    std::string rows;
    for (const auto& s : steps) {
        const auto rel = s.logs.empty() ? std::string() : s.logs.lexically_relative(run_dir / "logs").string();
        const bool parallel = s.type == "parallel";
        const std::string link = rel.empty() ? "" : parallel ? rel + "/report.html" : rel;
        rows += fmt::format(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{:.1f} s</td><td>{}</td><td>{}"
            "</td></tr>\n",
            util::html_escape(s.status), util::html_escape(s.name), s.type, util::html_escape(s.status), s.seconds,
            link.empty() ? "" : fmt::format("<a href=\"{0}\">{0}</a>", util::html_escape(link)),
            util::html_escape(s.detail));
    }
    return fmt::format(R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{0}: pipeline report</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;
padding:4px 8px;text-align:left}} .failed td{{background:#fbe3e3}}
.succeeded td,.reused td{{background:#e6f4e1}}</style>
</head><body>
<h1>Pipeline {0}: {1}</h1>
<table><tr><th>step</th><th>type</th><th>status</th><th>duration</th><th>logs</th><th>detail</th></tr>
{2}</table>
</body></html>
)",
                       util::html_escape(pipeline), pipeline_result(exit_code), rows);
}

void write_summary(const std::filesystem::path& run_dir, const std::string& pipeline, int exit_code,
                   const std::vector<StepResult>& steps) {
    const auto logs = run_dir / "logs";
    std::filesystem::create_directories(logs);
    logs::write_file_atomically(logs / "job_result.txt", summary_text(pipeline, exit_code, steps));
    logs::write_file_atomically(logs / "job_summary.json", summary_json(pipeline, exit_code, steps));
    logs::write_file_atomically(logs / "report.html", summary_html(pipeline, exit_code, steps, run_dir));
}

}  // namespace prs::pipeline
