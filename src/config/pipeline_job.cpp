// A pipeline job (`type: pipeline`, `jobs:`): prs_mpi runs its parallel step.

#include <fmt/format.h>

#include "forms.hpp"
#include "prs/config/load_job.hpp"

namespace prs::config::detail {

namespace {

std::string step_type(const Field& step) {
    if (!step.value.IsMap()) return "?";
    const YAML::Node type = step.value["type"];
    return type.IsDefined() && type.IsScalar() ? type.Scalar() : "command";  // Azure's default step type
}

std::string list_steps(const std::vector<Field>& steps) {
    std::string out;
    for (const auto& s : steps) out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", s.key.Scalar(), step_type(s));
    return out;
}

}  // namespace

void read_pipeline_jobs(const JobFile& file, const Mapping& jobs, const ParentScope* parent,
                        const std::optional<std::string>& chosen, JobSpec& spec) {
    std::vector<Field> parallel;
    for (const Field& step : jobs.fields())
        if (step_type(step) == "parallel") parallel.push_back(step);

    const Field* picked = nullptr;
    if (chosen) {
        for (const Field& step : jobs.fields())
            if (step.key.Scalar() == *chosen) picked = &step;
        if (!picked)
            throw JobError(util::Problem{"",
                                         fmt::format("--job {}: the pipeline has no step of that name; its steps: {}",
                                                     *chosen, list_steps(jobs.fields())),
                                         "pass --job with one of the parallel steps",
                                         {}});
        if (step_type(*picked) != "parallel")
            file.fail(*picked,
                      fmt::format("--job {} names a {} step; prs_mpi runs only parallel steps", *chosen,
                                  step_type(*picked)),
                      parallel.empty() ? "run that step with its own tool; this pipeline has no parallel step"
                                       : fmt::format("pass --job with a parallel step: {}", list_steps(parallel)));
    } else if (parallel.empty()) {
        file.fail(jobs.node(), "jobs",
                  fmt::format("the pipeline has no `type: parallel` step (its steps: {})", list_steps(jobs.fields())),
                  "prs_mpi runs parallel jobs; run the other step types with their own tools");
    } else if (parallel.size() > 1) {
        file.fail(jobs.node(), "jobs", fmt::format("the pipeline has several parallel steps: {}", list_steps(parallel)),
                  fmt::format("choose one with --job NAME, e.g. prs_mpi --job {} {}", parallel.front().key.Scalar(),
                              file.name()));
    } else {
        picked = &parallel.front();
    }

    spec.form = JobForm::Pipeline;
    spec.job_name = picked->key.Scalar();
    read_parallel_job(file, Mapping(file, *picked), parent, spec);
}

}  // namespace prs::config::detail
