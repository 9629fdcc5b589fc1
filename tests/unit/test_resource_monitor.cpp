// logs/perf: parsing /proc text (fixed input, as the kernel writes it), the disks a job
// uses, and the ps-like process listing.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <iterator>
#include <regex>
#include <sstream>

#include "prs/agent/disk_usage.hpp"
#include "prs/agent/process_listing.hpp"
#include "prs/agent/resource_monitor.hpp"

using namespace prs::agent;
namespace fs = std::filesystem;

TEST(ResourceMonitor, ProcStatCountsIdleAndIowaitAsNotBusy) {
    const auto t = parse_proc_stat("cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->total, 1000u);
    EXPECT_EQ(t->busy, 160u);
    EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n"));
}

TEST(ResourceMonitor, PidStatSurvivesSpacesAndParenthesesInTheName) {
    const std::string stat =
        "4242 (prs (worker) 1) S 4200 4242 4200 0 -1 4194560 1200 0 0 0 350 25 0 0 20 0 7 0 123456 "
        "300000000 5120 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
    const auto s = parse_pid_stat(stat);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->state, 'S');
    EXPECT_EQ(s->cpu_ticks, 375u);
    EXPECT_EQ(s->threads, 7u);
    EXPECT_EQ(s->rss_pages, 5120u);
    EXPECT_EQ(s->comm, "prs (worker) 1");
    EXPECT_EQ(s->pgrp, 4242);
    EXPECT_EQ(s->session, 4200);
    EXPECT_EQ(s->tpgid, -1);
    EXPECT_EQ(s->nice, 0);
    EXPECT_EQ(s->start_ticks, 123456u);
    EXPECT_EQ(s->vsize_bytes, 300000000u);
    EXPECT_FALSE(parse_pid_stat("4242 (short"));
}

TEST(ResourceMonitor, PidStatReadsANegativeNice) {
    const auto s = parse_pid_stat(
        "7 (kworker/0:1H) I 2 0 0 0 -1 69238880 0 0 0 0 0 3 0 0 0 -20 1 0 90 0 0 "
        "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0\n");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->nice, -20);
    EXPECT_EQ(s->cpu_ticks, 3u);
    EXPECT_EQ(s->start_ticks, 90u);
}

TEST(ResourceMonitor, UptimeIsTheFirstFigure) {
    EXPECT_DOUBLE_EQ(*parse_uptime("350735.47 234388.90\n"), 350735.47);
    EXPECT_FALSE(parse_uptime(""));
    EXPECT_FALSE(parse_uptime("up 3 days\n"));
}

TEST(ResourceMonitor, MeminfoFindsWholeKeysOnly) {
    const std::string text = "MemTotal:       16000000 kB\nMemFree:         1000 kB\nMemAvailable:    8000000 kB\n";
    EXPECT_EQ(meminfo_kb(text, "MemTotal"), 16000000u);
    EXPECT_EQ(meminfo_kb(text, "MemAvailable"), 8000000u);
    EXPECT_FALSE(meminfo_kb(text, "Mem"));
    EXPECT_FALSE(meminfo_kb(text, "SwapTotal"));
}

TEST(DiskUsage, MountinfoGivesUnescapedMountPointsAndTypes) {
    const auto mounts = parse_mountinfo(
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        "98 27 0:51 / /scratch/my\\040data rw,nosuid shared:40 master:2 - lustre 10.0.0.1@tcp:/fs rw\n"
        "broken line\n");
    ASSERT_EQ(mounts.size(), 2u);
    EXPECT_EQ(mounts[0], (Mount{"/", "ext4"}));
    EXPECT_EQ(mounts[1], (Mount{"/scratch/my data", "lustre"}));
}

TEST(DiskUsage, EachFolderGoesToItsDeepestMountAndSharedDisksShareARow) {
    const std::vector<Mount> mounts = {
        {"/", "ext4"}, {"/scratch", "lustre"}, {"/scratch", "nfs"}, {"/scratchpad", "xfs"}};
    const auto watched = watched_filesystems({{"run directory", "/scratch/run"},
                                              {"output", "/scratch/run/outputs/not-yet-created"},
                                              {"input", "/scratchpad/in"},
                                              {"temporary files", "/tmp"}},
                                             mounts);
    ASSERT_EQ(watched.size(), 3u);
    // The later of two mounts on one point hides the earlier.
    EXPECT_EQ(watched[0].mount, (Mount{"/scratch", "nfs"}));
    EXPECT_EQ(watched[0].roles, "run directory; output");
    EXPECT_EQ(watched[1].mount, (Mount{"/scratchpad", "xfs"}));
    EXPECT_EQ(watched[1].roles, "input");
    EXPECT_EQ(watched[2].mount, (Mount{"/", "ext4"}));
    EXPECT_EQ(watched[2].roles, "temporary files");
}

TEST(DiskUsage, StatvfsFiguresAddUp) {
    const auto d = disk_space("/");
    ASSERT_TRUE(d);
    EXPECT_GT(d->total, 0u);
    EXPECT_LE(d->used + d->free, d->total);
    EXPECT_GE(d->used_percent, 0.0);
    EXPECT_LE(d->used_percent, 100.0);
    EXPECT_FALSE(disk_space("/no/such/mount/point"));
}

namespace {
ListedProcess python_worker() {
    ListedProcess p;
    p.pid = 4242;
    p.user = "alice";
    p.stat.state = 'S';
    p.stat.pgrp = 4242;
    p.stat.session = 4242;
    p.stat.tpgid = 4242;
    p.stat.threads = 3;
    p.stat.cpu_ticks = 15000;     // 150 s of CPU
    p.stat.start_ticks = 100000;  // 1000 s after boot
    p.stat.vsize_bytes = 2048u * 1024 * 1024;
    p.stat.rss_pages = 25600;  // 100 MiB
    p.command = "/usr/bin/prs_mpi_worker --fd 3";
    return p;
}
}  // namespace

TEST(ProcessListing, StatFlagsAreThoseOfPs) {
    auto p = python_worker();
    EXPECT_EQ(ps_stat(p), "Ssl+");
    p.stat.nice = 5;
    p.stat.session = 1;
    p.stat.threads = 1;
    p.stat.tpgid = -1;
    EXPECT_EQ(ps_stat(p), "SN");
    p.stat.nice = -20;
    p.stat.state = 'R';
    EXPECT_EQ(ps_stat(p), "R<");
}

TEST(ProcessListing, RowsHavePsAuxColumns) {
    ListingClock clock;
    clock.uptime_s = 1300;  // the worker has lived 300 s and used 150 s of CPU: 50 %
    clock.now = 1700000000;
    clock.mem_total_kb = 1024000;  // 100 MiB of 1000 MiB: 10 %
    clock.ticks_per_s = 100;
    clock.page_bytes = 4096;
    auto kernel = python_worker();
    kernel.pid = 2;
    kernel.user = "root";
    kernel.command = "[kthreadd]";
    kernel.stat.start_ticks = 0;
    kernel.stat.cpu_ticks = 0;
    const std::string text = render_process_listing({kernel, python_worker()}, clock);
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        rows.emplace_back(std::istream_iterator<std::string>(words), std::istream_iterator<std::string>());
    }
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "STAT", "START", "TIME",
                                                 "COMMAND"}));
    EXPECT_EQ(rows[1][1], "2");
    EXPECT_EQ(rows[1][9], "[kthreadd]");
    const auto& worker = rows[2];
    ASSERT_EQ(worker.size(), 12u);
    EXPECT_EQ(std::vector<std::string>(worker.begin(), worker.begin() + 7),
              (std::vector<std::string>{"alice", "4242", "50.0", "10.0", "2097152", "102400", "Ssl+"}));
    EXPECT_TRUE(std::regex_match(worker[7], std::regex(R"(\d\d:\d\d)"))) << worker[7];  // today: the time of day
    EXPECT_EQ(worker[8], "2:30");
    EXPECT_EQ(std::vector<std::string>(worker.begin() + 9, worker.end()),
              (std::vector<std::string>{"/usr/bin/prs_mpi_worker", "--fd", "3"}));
}

TEST(ProcessListing, OneFilePerMinuteInAnHourlyFolder) {
    std::tm tm{};
    tm.tm_year = 2024 - 1900;
    tm.tm_mon = 2;
    tm.tm_mday = 5;
    tm.tm_hour = 14;
    tm.tm_min = 7;
    tm.tm_sec = 59;
    tm.tm_isdst = -1;
    EXPECT_EQ(process_listing_file("/run/logs/perf/0", std::mktime(&tm)),
              fs::path("/run/logs/perf/0/os/2024030514/processes_07"));
}
