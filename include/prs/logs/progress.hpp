#pragma once
// The live progress shown on rank 0's stderr (docs/design.md §8). On a terminal one line is
// rewritten in place with '\r'; anywhere else (Slurm's log files, pipes) a plain
// timestamped line is printed every 10 s, since '\r' only garbles a file.

#include <chrono>
#include <cstdint>
#include <string>

namespace prs::logs {

struct ProgressCounts {
    std::uint64_t done = 0;   // mini-batches finished (succeeded or failed for good)
    std::uint64_t total = 0;  // 0: not known yet
    std::uint64_t items_done = 0;
    std::uint64_t items_total = 0;      // 0: not known yet
    std::uint64_t failed = 0;           // mini-batches failed for good
    std::uint64_t failed_attempts = 0;  // every failed attempt, retried ones included
    std::uint64_t resumed = 0;          // of `done`, finished by an earlier run: not in the rate
};

// "12/40 mini-batches, 60/200 items, 3.2/s, ETA 0:00:08, 1 failed (3 failed attempts)"
std::string progress_text(const ProgressCounts& c, double elapsed_s);
// The terminal form: a bar in front of progress_text, the whole fitting in `width` columns.
std::string progress_bar_line(const ProgressCounts& c, double elapsed_s, int width);

// What runs, named in every progress line from now on ("step score" in a pipeline); empty:
// nothing (a single job).
void set_progress_label(std::string label);

class ProgressDisplay {
public:
    explicit ProgressDisplay(int fd);  // decides TTY or plain once, from `fd`
    // Shows `c` if enough time passed since the last update (¼ s on a terminal, 10 s otherwise).
    void update(const ProgressCounts& c);
    // The last line, always shown; a terminal's line is ended so later text starts afresh.
    void finish(const ProgressCounts& c);
    // Ends a terminal's pending line before someone else writes to the same stream.
    void interrupt();

private:
    using Clock = std::chrono::steady_clock;
    void show(const ProgressCounts& c);

    int fd_;
    bool tty_;
    bool line_open_ = false;
    Clock::time_point started_ = Clock::now();
    Clock::time_point last_{};
};

}  // namespace prs::logs
