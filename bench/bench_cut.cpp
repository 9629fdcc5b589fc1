// bench_cut: how long rank 0 takes to cut a large CSV into mini-batches (issue #3's
// goal: a 4 GB CSV into 1 MB mini-batches well under a second, i.e. a cost per
// mini-batch, not per byte). Not a test: run it by hand, see bench/README.md.
//
//   bench_cut [--gb N] [--mb M] [--multi-line] [FILE]
//
// Without FILE it writes an N GB CSV (default 4) of real rows under /tmp, evicts it
// from the page cache, cuts it twice (cold, then warm cache) and deletes it.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "prs/partition/tabular.hpp"
#include "prs/util/unique_fd.hpp"

namespace {

using prs::partition::ByteRangePartition;
using prs::protocol::InputFormat;
using prs::protocol::InputKind;

// Deletes the generated file however the benchmark ends.
struct GeneratedFile {
    std::string path;
    ~GeneratedFile() {
        if (!path.empty()) ::unlink(path.c_str());
    }
};

// 1 MiB of rows of varying length (quoted fields with commas too), ending at a row end
// so that repeating it gives a valid CSV.
std::string row_block() {
    std::string block;
    for (unsigned i = 0; block.size() < (1u << 20) - 200; ++i)
        block += fmt::format("{},{}.{},\"name {}, {}\",{}\n", i, i % 97, i % 13, i * 7919 % 100003,
                             std::string(i % 40, 'x'), i % 5 == 0 ? "" : "tail");
    return block;
}

void write_csv(const std::string& path, std::uint64_t bytes) {
    prs::util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw std::runtime_error(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    std::string chunk = "id,value,name,pad,tail\n";
    const std::string block = row_block();
    while (chunk.size() < (8u << 20)) chunk += block;
    for (std::uint64_t written = 0; written < bytes;) {
        const ssize_t n = ::write(fd.get(), chunk.data(), chunk.size());
        if (n <= 0) throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
        written += static_cast<std::uint64_t>(n);
        if (written == static_cast<std::uint64_t>(n)) chunk.erase(0, chunk.find('\n') + 1);  // header once
    }
    ::fdatasync(fd.get());
}

// So that the first cut reads from the disk, as rank 0 would on a fresh input.
void evict_from_page_cache(const std::string& path) {
    prs::util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd) ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
}

void cut(const std::string& path, std::uint64_t target, bool multi_line, const char* label) {
    InputFormat format;
    format.kind = InputKind::Delimited;
    format.support_multi_line = multi_line;
    format.first_file = path;
    const auto start = std::chrono::steady_clock::now();
    ByteRangePartition partition({path}, format, target);
    std::uint64_t count = 0;
    while (partition.next()) ++count;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto& s = partition.stats();
    const double cuts = static_cast<double>(std::max<std::uint64_t>(1, s.cuts));
    fmt::print(
        "{:<6} {} mini-batches in {:.4f} s: {:.1f} us per cut, {:.0f} bytes and {:.2f} reads per cut "
        "({:.1f} MB read of {:.1f} GB)\n",
        label, count, seconds, seconds * 1e6 / cuts, static_cast<double>(s.bytes_read) / cuts,
        static_cast<double>(s.reads) / cuts, static_cast<double>(s.bytes_read) / 1e6,
        static_cast<double>(std::filesystem::file_size(path)) / (1u << 30));
}

}  // namespace

int main(int argc, char** argv) {
    double gb = 4;
    double mb = 1;
    bool multi_line = false;
    std::string path;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--gb" && i + 1 < argc)
            gb = std::stod(argv[++i]);
        else if (a == "--mb" && i + 1 < argc)
            mb = std::stod(argv[++i]);
        else if (a == "--multi-line")
            multi_line = true;
        else if (!a.empty() && a[0] != '-')
            path = a;
        else {
            fmt::print(stderr, "usage: bench_cut [--gb N] [--mb M] [--multi-line] [FILE]\n");
            return 2;
        }
    }
    try {
        GeneratedFile generated;
        if (path.empty()) {
            char tmpl[] = "/tmp/prs_bench_cut_XXXXXX";
            const int fd = ::mkstemp(tmpl);
            if (fd < 0) throw std::runtime_error(fmt::format("mkstemp: {}", std::strerror(errno)));
            ::close(fd);
            generated.path = path = tmpl;
            const auto start = std::chrono::steady_clock::now();
            write_csv(path, static_cast<std::uint64_t>(gb * (1u << 30)));
            fmt::print("wrote {} ({:.1f} GB) in {:.1f} s\n", path,
                       static_cast<double>(std::filesystem::file_size(path)) / (1u << 30),
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        const auto target = static_cast<std::uint64_t>(mb * (1u << 20));
        evict_from_page_cache(path);
        cut(path, target, multi_line, "cold:");
        cut(path, target, multi_line, "warm:");
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_cut: {}\n", e.what());
        return 1;
    }
    return 0;
}
