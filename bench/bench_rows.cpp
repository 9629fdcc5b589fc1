// bench_rows: how fast rank 0's RowWriter appends mini-batches' rows to the append_row file
// (the writer alone: no workers, no MPI). See bench/README.md.
//   build/bench/bench_rows [--mb TOTAL_MB] [--block-kb KB] [--row BYTES] [FILE]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "prs/output/row_writer.hpp"

int main(int argc, char** argv) {
    double total_mb = 1024, block_kb = 1000;
    std::size_t row = 100;
    std::filesystem::path file = std::filesystem::temp_directory_path() / "prs_bench_rows.txt";
    bool keep = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--mb" && i + 1 < argc)
            total_mb = std::atof(argv[++i]);
        else if (a == "--block-kb" && i + 1 < argc)
            block_kb = std::atof(argv[++i]);
        else if (a == "--row" && i + 1 < argc)
            row = std::strtoul(argv[++i], nullptr, 10);
        else if (a == "--help" || a == "-h") {
            std::puts("bench_rows [--mb TOTAL_MB] [--block-kb KB] [--row BYTES] [FILE]");
            return 0;
        } else {
            file = a;
            keep = true;
        }
    }
    // one mini-batch's rows as they reach the writer: newline-terminated lines in one block
    std::string line(row - 1, 'r');
    line += '\n';
    std::string block;
    while (block.size() + row <= block_kb * 1000) block += line;
    const auto blocks = static_cast<std::size_t>(total_mb * 1e6 / block.size());
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    double t_appended = 0;
    {
        prs::output::RowWriter writer(file, false);
        for (std::size_t i = 0; i < blocks; ++i) writer.append(block);
        writer.flush();
        t_appended = std::chrono::duration<double>(clock::now() - t0).count();
        writer.close();  // flush + fsync
    }
    const double t_all = std::chrono::duration<double>(clock::now() - t0).count();
    const double mb = static_cast<double>(blocks * block.size()) / 1e6;
    std::printf("%zu blocks of %zu bytes (%zu-byte rows) = %.0f MB to %s\n", blocks, block.size(), row, mb,
                file.c_str());
    std::printf("append+flush: %.3f s = %.0f MB/s; with the closing fsync: %.3f s = %.0f MB/s\n", t_appended,
                mb / t_appended, t_all, mb / t_all);
    if (!keep) std::filesystem::remove(file);
    return 0;
}
