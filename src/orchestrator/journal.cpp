#include "prs/orchestrator/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "prs/util/file_checksum.hpp"
#include "prs/util/unique_fd.hpp"
#include "prs/util/user_error.hpp"
#include "prs/util/write_fully.hpp"

namespace prs::orchestrator {

namespace fs = std::filesystem;

namespace {

// kCommit: the records of journals before output checksums, read but no longer written.
enum Record : std::uint8_t { kHeader = 1, kCommit = 2, kFinish = 3, kCommitChecked = 4, kFailed = 5 };
constexpr std::uint32_t kMaxRecord = 1u << 30;

std::uint32_t crc32(std::string_view data) {
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (const unsigned char b : data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

template <class T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
bool get(std::string_view& in, T& v) {
    if (in.size() < sizeof v) return false;
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
    return true;
}

void put_counters(std::string& out, const JobCounters& c) {
    for (auto v : {c.mini_batches_succeeded, c.mini_batches_failed, c.items_succeeded, c.items_failed, c.attempts,
                   c.failed_attempts, c.rows_written})
        put(out, v);
}
bool get_counters(std::string_view& in, JobCounters& c) {
    for (auto* v : {&c.mini_batches_succeeded, &c.mini_batches_failed, &c.items_succeeded, &c.items_failed, &c.attempts,
                    &c.failed_attempts, &c.rows_written})
        if (!get(in, *v)) return false;
    return true;
}

void sync(int fd, const std::string& what) {
    if (::fdatasync(fd) != 0) throw util::errno_error(what);
}

// Applies one intact record; the reason it makes no sense for a journal of this job, else
// empty. `count`: the partition's mini-batches.
std::string apply(JournalState& s, std::uint8_t type, std::string_view p, bool first, std::uint64_t count) {
    if (first != (type == kHeader)) return first ? "it does not start with a journal header" : "a second header";
    if (s.finished) return "a record after the run's end";
    switch (type) {
        case kHeader:
            if (p.empty() || p.size() > 256) return "its header holds no job fingerprint";
            s.fingerprint.assign(p.data(), p.size());
            return {};
        case kCommit:
        case kCommitChecked: {
            std::uint64_t offset = 0;
            std::uint32_t checksum = 0;
            std::uint32_t n = 0;
            JobCounters c;
            if (!get(p, offset) || (type == kCommitChecked && !get(p, checksum)) || !get_counters(p, c) || !get(p, n) ||
                p.size() != std::size_t{n} * 8)
                return "a commit record of the wrong length";
            if (s.failed_count() > 0) return "a commit record after the failed mini-batches' record";
            if (offset < s.output_offset)
                return fmt::format("the output's committed length goes back from {} to {} bytes", s.output_offset,
                                   offset);
            if (c.mini_batches_done() > count)
                return fmt::format("{} mini-batches counted done, and the input has {}", c.mini_batches_done(), count);
            for (std::uint32_t i = 0; i < n; ++i) {
                std::uint64_t id = 0;
                get(p, id);
                if (id >= count) return fmt::format("mini-batch id {}, and the input has {} mini-batches", id, count);
                s.done[id] = true;
            }
            s.output_offset = offset;
            // One record from before checksums and the output cannot be verified.
            s.output_checksum = type == kCommitChecked && s.output_checksum ? std::optional(checksum) : std::nullopt;
            s.counters = c;
            return {};
        }
        case kFailed: {
            std::uint64_t kept = 0;
            std::uint64_t offset = 0;
            std::uint32_t kept_checksum = 0;
            std::uint32_t checksum = 0;
            std::uint32_t n = 0;
            JobCounters c;
            if (!get(p, kept) || !get(p, kept_checksum) || !get(p, offset) || !get(p, checksum) ||
                !get_counters(p, c) || !get(p, n) || n == 0 || p.size() != std::size_t{n} * 8)
                return "a failed mini-batches' record of the wrong length";
            if (s.failed_count() > 0) return "a second failed mini-batches' record";
            if (kept != s.output_offset || offset < kept || (s.output_checksum && *s.output_checksum != kept_checksum))
                return fmt::format("the failed mini-batches' rows start at byte {}, and the committed rows end at {}",
                                   kept, s.output_offset);
            for (std::uint32_t i = 0; i < n; ++i) {
                std::uint64_t id = 0;
                get(p, id);
                if (id >= count || s.done[id])
                    return fmt::format("failed mini-batch id {}: beyond the input's {} or already done", id, count);
                s.failed[id] = true;
            }
            s.kept_offset = kept;
            s.kept_checksum = s.output_checksum;
            s.kept_counters = s.counters;
            s.output_offset = offset;
            if (s.output_checksum) s.output_checksum = checksum;
            s.counters = c;
            return {};
        }
        case kFinish:
            if (p.size() != 1 || (p[0] != 0 && p[0] != 1)) return "an end record of the wrong form";
            s.finished = true;
            s.succeeded = p[0] == 1;
            return {};
    }
    return fmt::format("a record of unknown type {}", type);
}

}  // namespace

std::uint64_t JournalState::done_count() const {
    return static_cast<std::uint64_t>(std::count(done.begin(), done.end(), true));
}
std::uint64_t JournalState::failed_count() const {
    return static_cast<std::uint64_t>(std::count(failed.begin(), failed.end(), true));
}

JournalState kept_part(const JournalState& state) {
    JournalState kept = state;
    kept.finished = kept.succeeded = false;
    if (state.failed_count() == 0) return kept;
    kept.output_offset = state.kept_offset;
    kept.output_checksum = state.kept_checksum;
    kept.counters = state.kept_counters;
    kept.failed.assign(state.failed.size(), false);
    return kept;
}

std::optional<JournalState> Journal::read(const fs::path& file, std::uint64_t mini_batch_count) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    JournalState s;
    s.file_bytes = bytes.size();
    s.done.assign(mini_batch_count, false);
    s.failed.assign(mini_batch_count, false);
    std::string_view rest(bytes);
    bool first = true;
    while (rest.size() >= 8) {
        std::uint32_t size = 0;
        std::uint32_t crc = 0;
        std::memcpy(&size, rest.data(), 4);
        std::memcpy(&crc, rest.data() + 4, 4);
        if (size == 0 || size > kMaxRecord || rest.size() - 8 < size) break;
        const std::string_view payload = rest.substr(8, size);
        if (crc32(payload) != crc) break;
        if (auto why = apply(s, static_cast<std::uint8_t>(payload[0]), payload.substr(1), first, mini_batch_count);
            !why.empty()) {
            s.damage = fmt::format("at byte {}: {}", bytes.size() - rest.size(), why);
            return s;
        }
        first = false;
        rest.remove_prefix(8 + size);
        s.valid_bytes = bytes.size() - rest.size();
    }
    // Not even the header survived: a journal cut in its first write, or another file.
    if (first) s.damage = bytes.empty() ? "it is empty" : "it has no intact journal header";
    return s;
}

void Journal::append(std::uint8_t type, const std::string& payload) {
    if (pending_fingerprint_.valid()) {
        auto created = create(pending_file_, pending_fingerprint_.get());
        fd_ = std::move(created.fd_);
    }
    std::string record(8, '\0');
    record += static_cast<char>(type);
    record += payload;
    const auto size = static_cast<std::uint32_t>(record.size() - 8);
    const std::uint32_t crc = crc32(std::string_view(record).substr(8));
    std::memcpy(record.data(), &size, 4);
    std::memcpy(record.data() + 4, &crc, 4);
    if (const int error = util::write_fully(fd_.get(), record))
        throw util::errno_error(error, "cannot write the journal " + file_.string());
    sync(fd_.get(), "cannot sync the journal " + file_.string());
}

Journal Journal::create(const fs::path& file, const std::string& fingerprint) {
    fs::create_directories(file.parent_path());
    util::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw util::errno_error("cannot create journal " + file.string());
    Journal j(std::move(fd), file);
    j.append(kHeader, fingerprint);
    return j;
}

Journal Journal::create_when_known(const fs::path& file, std::future<std::string> fingerprint) {
    std::error_code ignored;  // none there is fine
    fs::remove(file, ignored);
    Journal j{util::UniqueFd(), file};
    j.pending_file_ = file;
    j.pending_fingerprint_ = std::move(fingerprint);
    return j;
}

Journal Journal::resume(const fs::path& file, const JournalState& state) {
    util::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw util::errno_error("cannot open journal " + file.string());
    // Cut a torn tail so new records follow the last intact one.
    if (::ftruncate(fd.get(), static_cast<off_t>(state.valid_bytes)) != 0 || ::lseek(fd.get(), 0, SEEK_END) < 0)
        throw util::errno_error("cannot repair journal " + file.string());
    return Journal(std::move(fd), file);
}

Journal Journal::restart(const fs::path& file, const std::string& fingerprint, const JournalState& kept) {
    fs::path staged = file;
    staged += ".new";
    Journal j = create(staged, fingerprint);
    std::vector<std::uint64_t> ids;
    for (std::uint64_t id = 0; id < kept.done.size(); ++id)
        if (kept.done[id]) ids.push_back(id);
    if (!ids.empty() || kept.output_offset > 0)
        j.commit(ids, kept.output_offset, kept.output_checksum.value_or(0), kept.counters);
    fs::rename(staged, file);
    j.file_ = file;
    return j;
}

void Journal::record_failed(const std::vector<std::uint64_t>& ids, std::uint64_t kept_offset,
                            std::uint32_t kept_checksum, std::uint64_t output_offset, std::uint32_t output_checksum,
                            const JobCounters& c) {
    std::string p;
    put(p, kept_offset);
    put(p, kept_checksum);
    put(p, output_offset);
    put(p, output_checksum);
    put_counters(p, c);
    put(p, static_cast<std::uint32_t>(ids.size()));
    for (const auto id : ids) put(p, id);
    append(kFailed, p);
}

void Journal::commit(const std::vector<std::uint64_t>& ids, std::uint64_t output_offset, std::uint32_t output_checksum,
                     const JobCounters& c) {
    std::string p;
    put(p, output_offset);
    put(p, output_checksum);
    put_counters(p, c);
    put(p, static_cast<std::uint32_t>(ids.size()));
    for (const auto id : ids) put(p, id);
    append(kCommitChecked, p);
}

std::string output_mismatch(const JournalState& state, const fs::path& output, bool exact) {
    if (!state.output_checksum)
        return "the journal was written by an earlier prs_mpi, without the output's checksum, so the output cannot "
               "be verified";
    const util::UniqueFd fd(::open(output.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0)
        return fmt::format("the output file {} cannot be read ({})", output.string(), std::strerror(errno));
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < state.output_offset || (exact && size != state.output_offset))
        return fmt::format("the output file {} is {} bytes long, and the journal says {} were written", output.string(),
                           size, state.output_offset);
    std::uint32_t crc = 0;
    if (const int error = util::crc32_extend_from_file(crc, fd.get(), 0, state.output_offset))
        return fmt::format("the output file {} cannot be read ({})", output.string(), std::strerror(error));
    if (crc != *state.output_checksum)
        return fmt::format(
            "the output file {} does not hold the rows the journal recorded (its first {} bytes "
            "changed)",
            output.string(), state.output_offset);
    return {};
}

void Journal::finish(bool succeeded) { append(kFinish, std::string(1, succeeded ? '\1' : '\0')); }

namespace {

// FNV-1a, 64 bit: stable across runs and machines, which std::hash is not.
class Fnv {
public:
    void mix(std::string_view s) {
        for (const unsigned char c : s) {
            h_ ^= c;
            h_ *= 1099511628211ull;
        }
        h_ ^= 0xff;
        h_ *= 1099511628211ull;
    }
    std::string hex() const { return fmt::format("{:016x}", h_); }

private:
    std::uint64_t h_ = 1469598103934665603ull;
};

}  // namespace

std::string job_fingerprint(const std::string& settings, const fs::path& entry_script, const std::string& partitioning,
                            const partition::PathList& input) {
    Fnv settings_hash;
    settings_hash.mix(settings);
    Fnv script_hash;
    std::ifstream script(entry_script, std::ios::binary);
    script_hash.mix(std::string((std::istreambuf_iterator<char>(script)), std::istreambuf_iterator<char>()));
    Fnv input_hash;
    input_hash.mix(partitioning);
    // One line per file, in the listing's (sorted) order; a file gone since the listing
    // is left out, as a file that was never there.
    // The list is sorted, so files of one folder come together: each is stat'ed relative
    // to its folder's descriptor, sparing the kernel a walk of the whole path per file.
    std::string path, line, folder;
    util::UniqueFd folder_fd;
    for (std::size_t i = 0; i < input.size(); ++i) {
        input.assign_to(path, i);
        const auto slash = path.rfind('/');
        const std::string_view dir =
            slash == std::string::npos ? std::string_view(".") : std::string_view(path).substr(0, slash + 1);
        if (!folder_fd || dir != folder) {
            folder.assign(dir);
            folder_fd.reset(::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        }
        const char* name = path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
        struct stat st {};
        if (!folder_fd || ::fstatat(folder_fd.get(), name, &st, 0) != 0) continue;
        line.clear();
        fmt::format_to(std::back_inserter(line), FMT_COMPILE("{}\t{}\t{}.{}"), path, st.st_size, st.st_mtim.tv_sec,
                       st.st_mtim.tv_nsec);
        input_hash.mix(line);
    }
    return settings_hash.hex() + "." + script_hash.hex() + "." + input_hash.hex();
}

std::string partitioning_settings(const config::JobSpec& job) {
    const auto& in = job.major();
    const std::string size = job.mini_batch_size ? std::to_string(*job.mini_batch_size) : "-";
    std::string s = fmt::format("input {} type {} mini_batch_size {}{} partition_keys", in.path.string(),
                                static_cast<int>(in.type), size, job.mini_batch_size_has_unit ? "b" : "");
    for (const auto& k : job.partition_keys) s += " " + k;
    s += " partition_format " + in.partition_format + " datasets";
    for (const auto& d : in.datasets) s += " " + d;
    return s;
}

namespace {
// "<settings>.<script>.<input>" split in three; empty for an older, single-hash fingerprint.
std::vector<std::string> fingerprint_parts(const std::string& f) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t dot; (dot = f.find('.', start)) != std::string::npos; start = dot + 1)
        parts.push_back(f.substr(start, dot - start));
    parts.push_back(f.substr(start));
    if (parts.size() != 3) parts.clear();
    return parts;
}
}  // namespace

std::vector<std::string> fingerprint_changes(const std::string& before, const std::string& now) {
    const auto a = fingerprint_parts(before);
    const auto b = fingerprint_parts(now);
    if (a.empty() || b.empty())
        return before == now ? std::vector<std::string>{} : std::vector<std::string>{"a journal of an earlier prs_mpi"};
    std::vector<std::string> changed;
    if (a[0] != b[0]) changed.emplace_back("job settings");
    if (a[1] != b[1]) changed.emplace_back("entry script");
    if (a[2] != b[2]) changed.emplace_back("input or partitioning");
    return changed;
}

std::string input_fingerprint(const std::string& fingerprint) {
    const auto parts = fingerprint_parts(fingerprint);
    return parts.empty() ? std::string() : parts[2];
}

}  // namespace prs::orchestrator
