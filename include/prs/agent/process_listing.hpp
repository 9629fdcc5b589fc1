#pragma once
// logs/perf/<node>/os/<%Y%m%d%H>/processes_<%M>: what Azure's `ps` snapshot shows, every
// process on the node in `ps aux`'s columns but TTY, built from /proc (no child process: the
// monitor must stay cheap and must not depend on procps being installed on the node).
// One file per minute; a second snapshot in the same minute replaces the first, so a file
// always holds one whole listing.

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "prs/agent/proc_files.hpp"

namespace prs::agent {

struct ListedProcess {
    int pid = 0;
    std::string user;
    ProcessSample stat;
    std::string command;  // the command line; "[comm]" for a kernel thread
};

// The node's figures each row is relative to.
struct ListingClock {
    double uptime_s = 0;  // /proc/uptime
    std::time_t now = 0;
    std::uint64_t mem_total_kb = 0;
    double ticks_per_s = 100;
    std::uint64_t page_bytes = 4096;
};

// ps's STAT: the state letter, then '<' / 'N' (nice), 's' (session leader), 'l' (threads),
// '+' (foreground on its terminal).
std::string ps_stat(const ListedProcess& p);
// The whole listing: a header line "USER PID %CPU %MEM VSZ RSS STAT START TIME COMMAND"
// and one line per process, in `processes`' order.
std::string render_process_listing(const std::vector<ListedProcess>& processes, const ListingClock& clock);
// <perf_dir>/os/<%Y%m%d%H>/processes_<%M>, local time.
std::filesystem::path process_listing_file(const std::filesystem::path& perf_dir, std::time_t when);

class ProcessListing {
public:
    explicit ProcessListing(std::filesystem::path perf_dir) : perf_dir_(std::move(perf_dir)) {}
    // Writes this minute's file; errors are dropped (a log must never stop the agent).
    void write() noexcept;

private:
    std::vector<ListedProcess> read_processes();
    const std::string& user_name(uid_t uid);

    std::filesystem::path perf_dir_;
    std::map<uid_t, std::string> users_;  // NSS lookups (LDAP on clusters) once per uid
};

}  // namespace prs::agent
