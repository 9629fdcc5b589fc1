#include "prs/logs/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "prs/logs/log_file.hpp"
#include "prs/util/write_fully.hpp"

namespace prs::logs {

namespace {

std::string& progress_label() {
    static std::string label;
    return label;
}

std::string labelled(std::string_view what) {
    return progress_label().empty() ? std::string(what) : fmt::format("{} [{}]", what, progress_label());
}
constexpr auto kTerminalEvery = std::chrono::milliseconds(250);
constexpr auto kPlainEvery = std::chrono::seconds(10);
constexpr int kMinBar = 10;

std::string clock_text(double seconds) {
    const auto s = static_cast<long long>(seconds + 0.5);
    return fmt::format("{}:{:02d}:{:02d}", s / 3600, s / 60 % 60, s % 60);
}

std::string of_total(std::uint64_t done, std::uint64_t total) {
    return total ? fmt::format("{}/{}", done, total) : fmt::format("{}/?", done);
}

int terminal_width(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

}  // namespace

std::string progress_text(const ProgressCounts& c, double elapsed_s) {
    const double rate = elapsed_s > 0 ? static_cast<double>(c.done - std::min(c.resumed, c.done)) / elapsed_s : 0;
    std::string eta = "?";
    if (c.total && c.done >= c.total)
        eta = clock_text(0);
    else if (c.total && rate > 0)
        eta = clock_text(static_cast<double>(c.total - c.done) / rate);
    std::string text = fmt::format("{} mini-batches, {} items, {:.1f}/s, ETA {}, {} failed", of_total(c.done, c.total),
                                   of_total(c.items_done, c.items_total), rate, eta, c.failed);
    if (c.failed_attempts) text += fmt::format(" ({} failed attempts)", c.failed_attempts);
    return text;
}

std::string progress_bar_line(const ProgressCounts& c, double elapsed_s, int width) {
    std::string text = progress_text(c, elapsed_s);
    // The cursor must stay on this line: a line as wide as the terminal would wrap. The bar
    // shrinks first, then the text's tail is cut; only a very narrow terminal loses the bar.
    const int room = width - 1 - static_cast<int>(text.size()) - 3;
    if (width > 3 * kMinBar) {
        const double fraction = c.total ? std::min(1.0, static_cast<double>(c.done) / c.total) : 0.0;
        const int bar = std::clamp(room, kMinBar, 40);
        const int filled = static_cast<int>(fraction * bar);
        text = "[" + std::string(filled, '#') + std::string(bar - filled, '.') + "] " + text;
    }
    if (static_cast<int>(text.size()) > width - 1) text.resize(static_cast<std::size_t>(std::max(0, width - 1)));
    return text;
}

void set_progress_label(std::string label) { progress_label() = std::move(label); }

ProgressDisplay::ProgressDisplay(int fd) : fd_(fd), tty_(::isatty(fd) == 1) {}

void ProgressDisplay::update(const ProgressCounts& c) {
    const auto now = Clock::now();
    if (now - last_ < (tty_ ? Clock::duration(kTerminalEvery) : Clock::duration(kPlainEvery))) return;
    // A plain stream's first line waits a full period: short jobs print only the final one.
    if (!tty_ && last_ == Clock::time_point{}) {
        last_ = now;
        return;
    }
    last_ = now;
    show(c);
}

void ProgressDisplay::finish(const ProgressCounts& c) {
    show(c);
    interrupt();
}

void ProgressDisplay::interrupt() {
    if (!line_open_) return;
    util::write_fully(fd_, "\n");
    line_open_ = false;
}

void ProgressDisplay::show(const ProgressCounts& c) {
    // Progress is a courtesy: a failed write is dropped, never failing the job.
    const double elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
    if (tty_) {
        // "\x1b[K" clears what a longer previous line left to the right.
        const std::string label = progress_label().empty() ? "" : progress_label() + " ";
        const int width = terminal_width(fd_) - static_cast<int>(label.size());
        util::write_fully(fd_, "\r" + label + progress_bar_line(c, elapsed, width) + "\x1b[K");
        line_open_ = true;
    } else {
        util::write_fully(fd_, fmt::format("{} {}: {}\n", timestamp_now(), labelled("prs_mpi progress"),
                                           progress_text(c, elapsed)));
    }
}

}  // namespace prs::logs
