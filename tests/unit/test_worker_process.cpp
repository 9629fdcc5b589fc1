// The real prs_mpi_worker, spawned through agent::WorkerProcess, running small entry
// scripts written to a temporary folder.

#include "prs/agent/worker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace prs::agent {
namespace {

// A file-list mini-batch, as FileListPartition makes them.
protocol::RunTask file_task(std::uint64_t id, std::uint32_t attempt, std::vector<std::string> files) {
    protocol::MiniBatchDescriptor d;
    d.id = id;
    d.attempt = attempt;
    d.items = static_cast<std::uint32_t>(files.size());
    d.files = std::move(files);
    return protocol::RunTask{std::move(d)};
}

namespace fs = std::filesystem;
using namespace protocol;

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The next message, or nullopt when the worker closed the channel. A worker that
// says nothing for this long is a failure, not a hang of the test run.
std::optional<WorkerToAgent> receive(ChannelToWorker& channel, std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (auto m = channel.next()) return m;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("timed out waiting for the worker");
        pollfd p{channel.fd(), POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(left.count()));
        if (!channel.read_available()) return channel.next();
    }
}

class WorkerProcessTest : public testing::Test {
protected:
    void SetUp() override {
        const auto* info = testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("prs_worker_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "code");
        launch_.worker_binary = PRS_WORKER_BINARY;
        launch_.stdout_file = dir_ / "logs/user/stdout/0/process007.stdout.txt";
        launch_.stderr_file = dir_ / "logs/user/stderr/0/process007.stderr.txt";
        setup_.entry_script = (dir_ / "code/score.py").string();
        setup_.code_dir = (dir_ / "code").string();
        setup_.argv = {setup_.entry_script};
        setup_.logging_level = "INFO";
        setup_.process_name = "process007";
        setup_.node_id = 0;
        setup_.log_dir = (dir_ / "logs").string();
        setup_.output_dir = (dir_ / "out").string();
        setup_.input_path = "/data/in";
    }
    void TearDown() override {
        worker_.reset();
        fs::remove_all(dir_);
    }

    void write_script(const std::string& text) { std::ofstream(setup_.entry_script) << text; }

    // Spawns a worker on the script, sends the setup and returns its WorkerReady.
    WorkerReady start(const std::string& script) {
        write_script(script);
        worker_ = WorkerProcess::spawn(launch_);
        EXPECT_TRUE(worker_->channel().send(setup_));
        auto m = receive(worker_->channel());
        if (!m || !std::holds_alternative<WorkerReady>(*m))
            throw std::runtime_error("no WorkerReady; stderr: " + read_file(launch_.stderr_file));
        return std::get<WorkerReady>(*m);
    }
    void start_ok(const std::string& script) {
        const auto ready = start(script);
        ASSERT_TRUE(ready.ok) << ready.error_message << "\n" << ready.traceback;
    }

    AttemptResult run(std::vector<std::string> files, std::uint64_t id = 0) {
        EXPECT_TRUE(worker_->channel().send(file_task(id, 1, std::move(files))));
        auto m = receive(worker_->channel());
        if (!m || !std::holds_alternative<TaskDone>(*m))
            throw std::runtime_error("no TaskDone; stderr: " + read_file(launch_.stderr_file));
        return std::get<TaskDone>(*m).result;
    }

    std::vector<std::string> files(int n) const {
        std::vector<std::string> f;
        for (int i = 0; i < n; ++i) f.push_back((dir_ / ("in/f" + std::to_string(i) + ".txt")).string());
        return f;
    }

    fs::path dir_;
    WorkerLaunch launch_;
    WorkerSetup setup_;
    std::optional<WorkerProcess> worker_;
};

constexpr const char* k_echo = "def init():\n    pass\n\ndef run(mini_batch):\n    return mini_batch\n";

TEST_F(WorkerProcessTest, ListReturnCountsEveryItemAndBecomesRows) {
    start_ok(k_echo);
    const auto before_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const auto f = files(3);
    const auto r = run(f, 5);
    EXPECT_EQ(r.status, AttemptStatus::RunDone);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.mini_batch_id, 5u);
    EXPECT_EQ(r.attempt, 1u);
    EXPECT_EQ(r.total, 3u);
    EXPECT_EQ(r.succeeded, 3u);
    EXPECT_EQ(r.rows, f[0] + "\n" + f[1] + "\n" + f[2] + "\n");
    EXPECT_EQ(r.row_count, 3u);
    EXPECT_EQ(r.header, "");
    EXPECT_EQ(r.process, "process007");
    EXPECT_EQ(r.node_id, 0);
    EXPECT_EQ(r.pid, worker_->pid());
    EXPECT_GE(r.start_us, before_us);
    EXPECT_LT(r.start_us, before_us + 10'000'000);
    EXPECT_GE(r.elapsed_s, r.run_method_s);
    EXPECT_GE(r.run_method_s, 0.0);
    EXPECT_GE(r.process_cpu_s, 0.0);
}

TEST_F(WorkerProcessTest, UndecodableFileNamesRoundTrip) {
    start_ok("import os\ndef run(mini_batch):\n    return mini_batch + [os.path.exists(mini_batch[0])]\n");
    const std::string name = (dir_ / "caf\xe9-latin1.txt").string();
    std::ofstream(name) << "x";
    EXPECT_EQ(run({name}).rows, name + "\nTrue\n");
}

TEST_F(WorkerProcessTest, OnlyTheLineWithALoneSurrogateIsEscaped) {
    // U+D800 cannot be UTF-8 even with surrogate escapes; U+DCFE is a file name's byte 0xfe.
    start_ok("def run(mini_batch):\n    return ['ok', 'bad\\ud800', 'f\\udcfe.txt ok', 'ok2']\n");
    EXPECT_EQ(run(files(4)).rows, "ok\nbad\\ud800\nf\xfe.txt ok\nok2\n");
}

TEST_F(WorkerProcessTest, SummaryOnlySendsNoRows) {
    setup_.append_rows = false;
    start_ok(k_echo);
    const auto r = run(files(2));
    EXPECT_EQ(r.succeeded, 2u);
    EXPECT_EQ(r.rows, "");
    EXPECT_EQ(r.row_count, 0u);
}

TEST_F(WorkerProcessTest, DataFrameRowsAndHeader) {
    setup_.dataframe_header = true;
    start_ok(
        "import os\nimport pandas as pd\n"
        "def init():\n    pass\n"
        "def run(mini_batch):\n"
        "    return pd.DataFrame({'name': [os.path.basename(f) for f in mini_batch],\n"
        "                         'score': [0.5 * i for i in range(len(mini_batch))]})\n");
    const auto r = run(files(2));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.succeeded, 2u);
    EXPECT_EQ(r.rows, "f0.txt 0.0\nf1.txt 0.5\n");
    EXPECT_EQ(r.row_count, 2u);
    EXPECT_EQ(r.header, "name score\n");
}

TEST_F(WorkerProcessTest, DataFrameToCsvArgumentsFromSettings) {
    setup_.to_csv_kwargs_json = R"({"sep": ",", "float_format": "%.2f"})";
    start_ok(
        "import pandas as pd\n"
        "def init():\n    pass\n"
        "def run(mini_batch):\n"
        "    return pd.DataFrame({'a': [1.0, 2.5], 'b': ['x', 'y']})\n");
    const auto r = run(files(2));
    EXPECT_EQ(r.rows, "1.00,x\n2.50,y\n");
    EXPECT_EQ(r.header, "");  // not asked for
}

TEST_F(WorkerProcessTest, TupleAndShortReturns) {
    start_ok(
        "def init():\n    pass\n"
        "def run(mini_batch):\n"
        "    if len(mini_batch) == 2:\n        return tuple(len(f) for f in mini_batch)\n"
        "    return mini_batch[:1]\n");
    const auto f = files(2);
    auto r = run(f);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.rows, std::to_string(f[0].size()) + "\n" + std::to_string(f[1].size()) + "\n");

    r = run(files(3));
    EXPECT_EQ(r.status, AttemptStatus::RunDone);
    EXPECT_EQ(r.total, 3u);
    EXPECT_EQ(r.succeeded, 1u);
    EXPECT_FALSE(r.ok());
}

TEST_F(WorkerProcessTest, MoreRowsThanItemsAreKeptWithAWarning) {
    start_ok("def run(mini_batch):\n    return mini_batch * 2\n");  // no init(): allowed
    const auto r = run(files(2));
    EXPECT_EQ(r.total, 2u);
    EXPECT_EQ(r.succeeded, 4u);
    EXPECT_EQ(r.row_count, 4u);
    EXPECT_NE(read_file(launch_.stderr_file).find("run() returned 4 results for 2 items"), std::string::npos);
}

TEST_F(WorkerProcessTest, ExceptionPrintAndLoggingGoToTheirFiles) {
    start_ok(
        "import logging\n"
        "def init():\n    pass\n"
        "def run(mini_batch):\n"
        "    print('hello from run')\n"
        "    logging.info('logged from run')\n"
        "    raise ValueError('bad input %d' % len(mini_batch))\n");
    const auto r = run(files(2));
    EXPECT_EQ(r.status, AttemptStatus::RunException);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.succeeded, 0u);
    EXPECT_EQ(r.error_category, "UserError");
    EXPECT_EQ(r.error_message, "ValueError: bad input 2");
    EXPECT_NE(r.traceback.find("raise ValueError('bad input %d' % len(mini_batch))"), std::string::npos) << r.traceback;
    EXPECT_NE(r.traceback.find("score.py\", line 7, in run"), std::string::npos) << r.traceback;
    EXPECT_EQ(r.traceback.find("<prs_runtime>"), std::string::npos) << r.traceback;

    const std::string out = read_file(launch_.stdout_file);
    EXPECT_NE(out.find("hello from run\n"), std::string::npos) << out;
    EXPECT_NE(out.find("|root|INFO|logged from run\n"), std::string::npos) << out;
    const std::string err = read_file(launch_.stderr_file);
    EXPECT_NE(err.find("mini-batch 0: run() raised:\nTraceback"), std::string::npos) << err;
    EXPECT_NE(err.find("ValueError: bad input 2"), std::string::npos) << err;
    EXPECT_NE(err.find("raise ValueError"), std::string::npos) << err;

    EXPECT_EQ(run(files(1)).error_message, "ValueError: bad input 1");  // the worker lives on
}

TEST_F(WorkerProcessTest, WrongReturnTypeIsNamed) {
    start_ok(
        "def init():\n    pass\n"
        "def run(mini_batch):\n    return None if len(mini_batch) == 1 else {'a': 1}\n");
    auto r = run(files(1));
    EXPECT_EQ(r.status, AttemptStatus::BadReturn);
    EXPECT_EQ(r.error_category, "UserError");
    EXPECT_NE(r.error_message.find("should return a list, tuple or pandas DataFrame, got NoneType"), std::string::npos)
        << r.error_message;
    EXPECT_EQ(r.succeeded, 0u);
    r = run(files(2));
    EXPECT_EQ(r.status, AttemptStatus::BadReturn);
    EXPECT_NE(r.error_message.find("got dict"), std::string::npos) << r.error_message;
}

TEST_F(WorkerProcessTest, RunWithContext) {
    start_ok(
        "def init():\n    pass\n"
        "def run(mini_batch, mini_batch_context):\n"
        "    c = mini_batch_context\n"
        "    return ['%d %s %r %s' % (c.minibatch_index, c.dataset, c.partition_key_value,\n"
        "                             c['minibatch_index'])]\n");
    const auto r = run(files(1), 41);
    EXPECT_EQ(r.rows, "41 /data/in {} 41\n");
}

TEST_F(WorkerProcessTest, ArgvAndEnvironment) {
    ::setenv("OMPI_COMM_WORLD_RANK", "5", 1);
    ::setenv("PMIX_RANK", "5", 1);
    ::setenv("PRS_TEST_REMOVED", "x", 1);
    launch_.env = {{"PRS_TEST_VAR", "hello"}, {"PRS_TEST_REMOVED", ""}};
    setup_.argv = {setup_.entry_script, "--model", "m 1", "--resource_monitor_interva", "20"};
    start_ok(
        "import os, sys\n"
        "def init():\n    pass\n"
        "def run(mini_batch):\n"
        "    env = os.environ\n"
        "    return [sys.argv[1:], env.get('PRS_TEST_VAR'), env.get('PRS_TEST_REMOVED'),\n"
        "            [k for k in env if k.startswith(('OMPI_', 'PMIX_'))]]\n");
    ::unsetenv("OMPI_COMM_WORLD_RANK");
    ::unsetenv("PMIX_RANK");
    ::unsetenv("PRS_TEST_REMOVED");
    const auto r = run(files(1));
    EXPECT_EQ(r.rows, "['--model', 'm 1', '--resource_monitor_interva', '20']\nhello\nNone\n[]\n");
}

TEST_F(WorkerProcessTest, EntryScriptHelper) {
    start_ok(
        "from azureml_user.parallel_run import EntryScript\n"
        "import prs_mpi\n"
        "def init():\n    EntryScript().logger.info('model loaded')\n"
        "def run(mini_batch):\n"
        "    es = EntryScript()\n"
        "    assert es is prs_mpi.EntryScript()\n"
        "    return [es.agent_name, es.node_id, es.output_dir, es.log_dir]\n");
    const auto r = run(files(1));
    const fs::path log_dir = dir_ / "logs/user/entry_script_log/0";
    EXPECT_EQ(r.rows, "process007\n0\n" + (dir_ / "out").string() + "\n" + log_dir.string() + "\n");
    const std::string log = read_file(log_dir / "process007.log.txt");
    EXPECT_NE(log.find("|ParallelRunStep|init()|INFO|model loaded\n"), std::string::npos) << log;
}

TEST_F(WorkerProcessTest, CodeDirAndPythonPathComeFirst) {
    fs::create_directories(dir_ / "lib");
    std::ofstream(dir_ / "code/helper_in_code.py") << "VALUE = 'code'\n";
    std::ofstream(dir_ / "lib/helper_in_lib.py") << "VALUE = 'lib'\n";
    setup_.python_path = {(dir_ / "lib").string()};
    start_ok(
        "import sys, helper_in_code, helper_in_lib\n"
        "def run(mini_batch):\n"
        "    return [helper_in_code.VALUE, helper_in_lib.VALUE, sys.path[0]]\n");
    EXPECT_EQ(run(files(1)).rows, "code\nlib\n" + setup_.code_dir + "\n");
}

TEST_F(WorkerProcessTest, StartsWithoutInheritedDescriptorsOrBlockedSignals) {
    // What an agent under mpirun looks like: descriptors without O_CLOEXEC (Open MPI's)
    // and signals blocked for a signalfd event loop.
    const util::UniqueFd inheritable(::open("/dev/null", O_RDONLY));
    sigset_t blocked, old;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGCHLD);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &blocked, &old), 0);
    start_ok(
        "import os\n"
        "def run(mini_batch):\n"
        "    fds = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))\n"
        "    status = open('/proc/self/status').read().split()\n"
        "    return [fds, status[status.index('SigBlk:') + 1]]\n");
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    // 0-2, the socket, and the descriptor listdir() itself holds open.
    EXPECT_EQ(run(files(1)).rows, "[0, 1, 2, 3, 4]\n0000000000000000\n");
}

TEST_F(WorkerProcessTest, ChildrenOfTheScriptDoNotInheritTheChannelAndShareTheWorkersGroup) {
    start_ok(
        "import os\n"
        "def run(mini_batch):\n"
        "    return [os.get_inheritable(3), os.getpgid(0) == os.getpid()]\n");
    EXPECT_EQ(run(files(1)).rows, "False\nTrue\n");
}

bool process_gone(pid_t pid) {
    // Reparented to init once its parent is reaped; a zombie there has ended all the same.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const auto state = line.rfind(')');
    return state != std::string::npos && line.substr(state + 2, 1) == "Z";
}

TEST_F(WorkerProcessTest, ExitIsSeenAndTheGroupEndsWhileAForkedChildHoldsTheChannel) {
    // The child keeps descriptor 3 open: no EOF comes, the pidfd tells the exit.
    start_ok(
        "import os, time\n"
        "def run(mini_batch):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        time.sleep(120)\n"
        "        os._exit(0)\n"
        "    return [pid]\n");
    const pid_t child = static_cast<pid_t>(std::stoi(run(files(1)).rows));
    ASSERT_TRUE(worker_->channel().send(StopWorker{}));
    ASSERT_GE(worker_->exit_fd(), 0);
    pollfd p{worker_->exit_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 30000), 1);
    EXPECT_TRUE(worker_->exited());
    EXPECT_TRUE(worker_->channel().read_available());  // the socket is still open...
    EXPECT_EQ(worker_->try_reap(), 0);
    for (int i = 0; i < 500 && !process_gone(child); ++i) ::usleep(10000);
    EXPECT_TRUE(process_gone(child));  // ...until the group was killed with the worker
}

TEST_F(WorkerProcessTest, MissingRunIsNotReady) {
    const auto ready = start("def init():\n    pass\n");
    EXPECT_FALSE(ready.ok);
    EXPECT_EQ(ready.error_message, "entry script " + setup_.entry_script + " has no run(mini_batch) function");
    EXPECT_EQ(worker_->wait(), 1);
}

TEST_F(WorkerProcessTest, InitExceptionIsNotReady) {
    const auto ready = start(
        "def init():\n    raise RuntimeError('no model at /models/x')\n"
        "def run(mb):\n    return mb\n");
    EXPECT_FALSE(ready.ok);
    EXPECT_EQ(ready.error_message, "RuntimeError: no model at /models/x");
    EXPECT_NE(ready.traceback.find("in init"), std::string::npos) << ready.traceback;
    EXPECT_NE(read_file(launch_.stderr_file).find("RuntimeError: no model at /models/x"), std::string::npos);
    EXPECT_EQ(worker_->wait(), 1);
}

TEST_F(WorkerProcessTest, ImportErrorIsNotReady) {
    const auto ready = start("import module_that_does_not_exist_42\n");
    EXPECT_FALSE(ready.ok);
    EXPECT_EQ(ready.error_message, "ModuleNotFoundError: No module named 'module_that_does_not_exist_42'");
    EXPECT_EQ(ready.traceback.find("importlib"), std::string::npos) << ready.traceback;
}

TEST_F(WorkerProcessTest, ExitInRunClosesTheChannel) {
    start_ok("import os\ndef init():\n    pass\ndef run(mini_batch):\n    os._exit(3)\n");
    ASSERT_TRUE(worker_->channel().send(file_task(0, 0, files(1))));
    EXPECT_FALSE(receive(worker_->channel()));
    EXPECT_EQ(worker_->wait(), 3);
    EXPECT_EQ(worker_->try_reap(), 3);
    EXPECT_FALSE(worker_->running());
}

TEST_F(WorkerProcessTest, KillIsReportedAsMinusSignal) {
    start_ok(k_echo);
    EXPECT_FALSE(worker_->try_reap());
    worker_->kill(SIGKILL);
    EXPECT_EQ(worker_->wait(), -SIGKILL);
    EXPECT_EQ(worker_->returncode(), -SIGKILL);
}

TEST_F(WorkerProcessTest, SurvivesJobStopSignals) {
    // Slurm and mpirun signal every process of the job; the agent decides when to stop.
    start_ok(k_echo);
    worker_->kill(SIGTERM);
    worker_->kill(SIGINT);
    EXPECT_EQ(run(files(2)).succeeded, 2u);
    EXPECT_FALSE(worker_->try_reap());
}

TEST_F(WorkerProcessTest, StopWorkerCallsShutdown) {
    const fs::path marker = dir_ / "shutdown.marker";
    start_ok(
        "def init():\n    pass\ndef run(mb):\n    return mb\n"
        "def shutdown():\n    open(" +
        ("'" + marker.string() + "'") + ", 'w').write('done')\n");
    ASSERT_TRUE(worker_->channel().send(StopWorker{}));
    EXPECT_EQ(worker_->wait(), 0);
    EXPECT_EQ(read_file(marker), "done");
}

TEST_F(WorkerProcessTest, ClosingTheChannelEndsTheWorker) {
    start_ok(k_echo);
    worker_->channel() = ChannelToWorker();
    EXPECT_EQ(worker_->wait(), 0);
}

TEST_F(WorkerProcessTest, DestructorKillsARunningWorker) {
    start_ok("import time\ndef run(mb):\n    time.sleep(600)\n");
    ASSERT_TRUE(worker_->channel().send(file_task(0, 0, files(1))));
    const pid_t pid = worker_->pid();
    worker_.reset();  // killed and reaped
    EXPECT_EQ(::kill(pid, 0), -1);
    EXPECT_EQ(errno, ESRCH);
}

TEST(WorkerProcess, MissingBinaryThrows) {
    const auto dir = fs::temp_directory_path();
    EXPECT_THROW(WorkerProcess::spawn({.worker_binary = "/nonexistent/prs_mpi_worker",
                                       .env = {},
                                       .stdout_file = dir / "prs_missing_worker.out",
                                       .stderr_file = dir / "prs_missing_worker.err"}),
                 std::system_error);
}

TEST(WorkerProcess, DefaultBinaryHonoursEnvironment) {
    ::setenv("PRS_MPI_WORKER", "/opt/prs/bin/prs_mpi_worker", 1);
    EXPECT_EQ(default_worker_binary(), "/opt/prs/bin/prs_mpi_worker");
    ::unsetenv("PRS_MPI_WORKER");
    EXPECT_EQ(default_worker_binary().filename(), "prs_mpi_worker");
}

}  // namespace
}  // namespace prs::agent
