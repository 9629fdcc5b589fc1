#include "prs/pipeline/command_step.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "prs/logs/log_file.hpp"
#include "prs/orchestrator/stop_request.hpp"
#include "prs/util/bundled_python.hpp"

extern char** environ;

namespace prs::pipeline {

namespace fs = std::filesystem;

namespace {

// The launcher's variables: a command that imports mpi4py or calls mpirun must not join
// (or confuse) this MPI job.
bool launcher_variable(std::string_view entry) {
    for (const char* prefix : {"OMPI_", "PMIX_", "PMI_", "OPAL_", "HYDRA_"})
        if (entry.starts_with(prefix)) return true;
    return false;
}

std::vector<std::string> child_environment(const config::PipelineStep& step, const fs::path& bin,
                                           const fs::path& modules, const fs::path& log_dir) {
    std::vector<std::string> env;
    std::string path = bin.string(), python_path = modules.string();
    for (const auto& p : step.command.python_path) python_path += (python_path.empty() ? "" : ":") + p.string();
    for (char** e = environ; *e; ++e) {
        const std::string_view entry(*e);
        if (launcher_variable(entry)) continue;
        if (entry.starts_with("PATH=")) {
            path += ":" + std::string(entry.substr(5));
            continue;
        }
        if (entry.starts_with("PYTHONPATH=")) {
            if (entry.size() > 11) python_path += (python_path.empty() ? "" : ":") + std::string(entry.substr(11));
            continue;
        }
        const auto name = entry.substr(0, entry.find('='));
        bool overridden = false;
        for (const auto& [k, v] : step.command.environment_variables) overridden |= k == name;
        if (!overridden) env.emplace_back(entry);
    }
    env.push_back("PATH=" + path);
    env.push_back("PRS_STEP_LOG_DIR=" + log_dir.string());
    // The `mltable` stand-in, last: a real mltable package still wins (python/mltable/_installed.py).
    if (const auto bundled = util::bundled_python_dir(); !bundled.empty())
        python_path += (python_path.empty() ? "" : ":") + bundled.string();
    env.push_back("PYTHONPATH=" + python_path);
    for (const auto& [k, v] : step.command.environment_variables) env.push_back(k + "=" + v);
    return env;
}

// prs_mpi's azureml_user helper for scripts that command steps share with entry scripts: the
// same names as in the workers (src/worker/prs_runtime.py), pointing at the step's folders.
constexpr const char* kEntryScriptModule = R"("""azureml_user.parallel_run, as prs_mpi gives it to command steps."""
import logging
import os


class EntryScript:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @property
    def logger(self):
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO)
        return logging.getLogger("ParallelRunStep")

    @property
    def log_dir(self):
        return os.environ.get("PRS_STEP_LOG_DIR", os.getcwd())

    @property
    def output_dir(self):
        return os.getcwd()

    @property
    def working_dir(self):
        return os.getcwd()

    @property
    def agent_name(self):
        return "command"

    @property
    def node_id(self):
        return 0
)";

void write_compat_modules(const fs::path& dir) {
    fs::create_directories(dir / "azureml_user");
    logs::write_file_atomically(dir / "azureml_user" / "__init__.py", "");
    logs::write_file_atomically(dir / "azureml_user" / "parallel_run.py", kEntryScriptModule);
    logs::write_file_atomically(dir / "prs_mpi.py", "from azureml_user.parallel_run import EntryScript\n");
}

void link_python(const fs::path& bin, const fs::path& python) {
    fs::create_directories(bin);
    for (const char* name : {"python", "python3"}) {
        std::error_code ec;
        fs::remove(bin / name, ec);
        fs::create_symlink(python, bin / name);
    }
}

}  // namespace

fs::path step_python(const config::CommandStep& step) {
    if (step.venv) {
        for (const char* name : {"bin/python3", "bin/python"})
            if (fs::exists(*step.venv / name)) return *step.venv / name;
    }
    return PRS_PYTHON_EXECUTABLE;
}

CommandOutcome run_command_step(const config::PipelineStep& step, const fs::path& step_dir, const fs::path& log) {
    const fs::path bin = step_dir / "bin";
    link_python(bin, step_python(step.command));
    fs::create_directories(log.parent_path());
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log.string() + ": " + std::strerror(errno));
    write_compat_modules(step_dir / "python");
    const auto env = child_environment(step, bin, step_dir / "python", log.parent_path());
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const std::string dir = step.command.code_dir.string();
    std::string bash = "bash", dash_c = "-c", command = step.command.command;
    std::vector<char*> argv = {bash.data(), dash_c.data(), command.data(), nullptr};

    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(log_fd);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::setpgid(0, 0);  // its own group: a stop ends the whole command, children included
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        ::close_range(3, ~0u, 0);  // MPI's sockets and our files stay ours
        for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGPIPE}) ::signal(s, SIG_DFL);
        if (::chdir(dir.c_str()) != 0) {
            dprintf(2, "prs_mpi: cannot enter the step's code folder %s: %s\n", dir.c_str(), std::strerror(errno));
            ::_exit(127);
        }
        ::execve("/bin/bash", argv.data(), envp.data());
        dprintf(2, "prs_mpi: cannot run /bin/bash: %s\n", std::strerror(errno));
        ::_exit(127);
    }
    ::close(log_fd);
    ::setpgid(pid, pid);
    CommandOutcome outcome;
    int status = 0;
    bool signalled = false;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
        const auto stop = orchestrator::stop_request();
        if (stop.signal && !signalled) {
            ::kill(-pid, SIGTERM);
            signalled = true;
            outcome.stopped = true;
        }
        if (stop.count > 1) ::kill(-pid, SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return outcome;
}

}  // namespace prs::pipeline
