#pragma once
// What report.html draws of the resource CSVs the agents write (logs/perf/<node>/): per
// node, the CPU and the memory in use over the job's time, and each GPU's utilisation
// where nvidia-smi sampled it.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace prs::orchestrator {

struct UsagePoint {
    std::int64_t epoch_us = 0;
    double value = 0;
};

struct UsageSeries {
    std::string label;               // "node 0"
    std::vector<UsagePoint> points;  // in the CSV's order
};

struct NodeUsage {
    std::vector<UsageSeries> cpu_percent;
    std::vector<UsageSeries> memory_used_percent;
    std::vector<UsageSeries> gpu_percent;  // one per GPU: "node 0 GPU 1"
};

// Adds one node's node_resource_usage.csv (Timestamp as the logs write it, local time;
// "CPU Percent"; "Memory Used Percent"); rows it cannot read are skipped, so a torn last
// line or an older layout never stops the report.
void add_node_usage(NodeUsage& usage, int node, std::string_view csv);

// Adds one node's gpu_resource_usage.csv as nvidia-smi writes it ("timestamp, index,
// utilization.gpu [%], ..." with timestamps like 2026/12/01 19:55:00.123, local time).
void add_gpu_usage(NodeUsage& usage, int node, std::string_view csv);

// Every node's logs/perf/<node>/node_resource_usage.csv and gpu_resource_usage.csv, in node order.
NodeUsage read_node_usage(const std::filesystem::path& perf_root);

}  // namespace prs::orchestrator
