#include "prs/protocol/codec.hpp"

#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

namespace prs::protocol {

const char* status_name(AttemptStatus s) {
    switch (s) {
        case AttemptStatus::RunDone:
            return "RUN_DONE";
        case AttemptStatus::RunException:
            return "RUN_EXCEPTION";
        case AttemptStatus::BadReturn:
            return "RUN_BAD_RETURN";
        case AttemptStatus::RunTimeout:
            return "RUN_TIMEOUT";
        case AttemptStatus::LoadFailed:
            return "LOAD_FAILED";
        case AttemptStatus::LoadTimeout:
            return "LOAD_TIMEOUT";
        case AttemptStatus::ProcessDied:
            return "PROCESS_DIED";
    }
    return "UNKNOWN";
}

namespace {

// One description of each message's fields serves both directions: `fields(ar, m)`
// is called with a Writer to encode and with a Reader to decode.
struct Writer {
    std::string& out;
    template <class T>
    void raw(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void operator()(const std::string& s) {
        raw(static_cast<std::uint32_t>(s.size()));
        out.append(s);
    }
    void operator()(const std::vector<std::string>& v) {
        raw(static_cast<std::uint32_t>(v.size()));
        for (const auto& s : v) (*this)(s);
    }
    template <class T>
    requires std::is_arithmetic_v<T> || std::is_enum_v<T>
    void operator()(const T& v) { raw(v); }
};

struct Reader {
    std::string_view in;
    void need(std::size_t n) const {
        if (in.size() < n) throw ProtocolError("truncated message");
    }
    template <class T>
    void raw(T& v) {
        need(sizeof v);
        std::memcpy(&v, in.data(), sizeof v);
        in.remove_prefix(sizeof v);
    }
    void operator()(std::string& s) {
        std::uint32_t n = 0;
        raw(n);
        need(n);
        s.assign(in.data(), n);
        in.remove_prefix(n);
    }
    void operator()(std::vector<std::string>& v) {
        std::uint32_t n = 0;
        raw(n);
        if (n > in.size()) throw ProtocolError("bad list length");
        v.resize(n);
        for (auto& s : v) (*this)(s);
    }
    template <class T>
    requires std::is_arithmetic_v<T> || std::is_enum_v<T>
    void operator()(T& v) { raw(v); }
};

template <class Ar, class D>
void fields(Ar& ar, D& d) requires std::is_same_v<std::remove_const_t<D>, MiniBatchDescriptor> {
    ar(d.id);
    ar(d.attempt);
    ar(d.kind);
    ar(d.files);
    ar(d.begin);
    ar(d.end);
    ar(d.items);
    ar(d.partition_values);
    ar(d.keys_from_columns);
}
template <class Ar, class R>
void fields(Ar& ar, R& r) requires std::is_same_v<std::remove_const_t<R>, AttemptResult> {
    ar(r.mini_batch_id);
    ar(r.attempt);
    ar(r.status);
    ar(r.total);
    ar(r.succeeded);
    ar(r.row_count);
    ar(r.rows);
    ar(r.header);
    ar(r.error_category);
    ar(r.error_message);
    ar(r.traceback);
    ar(r.node_id);
    ar(r.process);
    ar(r.pid);
    ar(r.start_us);
    ar(r.elapsed_s);
    ar(r.process_cpu_s);
    ar(r.run_method_s);
}
template <class Ar, class T>
void message_fields(Ar& ar, T& m) {
    using M = std::remove_const_t<T>;
    if constexpr (std::is_same_v<M, WorkerSetup>) {
        ar(m.entry_script);
        ar(m.code_dir);
        ar(m.argv);
        ar(m.python_path);
        ar(m.logging_level);
        ar(m.process_name);
        ar(m.node_id);
        ar(m.log_dir);
        ar(m.output_dir);
        ar(m.input_path);
        ar(m.append_rows);
        ar(m.dataframe_header);
        ar(m.to_csv_kwargs_json);
        ar(m.profiling_module);
        ar(m.prefetch_mini_batches);
        ar(m.input.kind);
        ar(m.input.delimiter);
        ar(m.input.header);
        ar(m.input.encoding);
        ar(m.input.empty_as_string);
        ar(m.input.support_multi_line);
        ar(m.input.first_file);
        ar(m.input.infer_column_types);
        ar(m.input.drop_invalid_lines);
        ar(m.input.mltable_file);
        ar(m.input.datasets);
        ar(m.input.partition_keys);
        ar(m.input.partition_format);
        ar(m.input.partition_root);
    } else if constexpr (std::is_same_v<M, RunTask> || std::is_same_v<M, Assign>) {
        fields(ar, m.descriptor);
    } else if constexpr (std::is_same_v<M, TaskDone> || std::is_same_v<M, Result>) {
        fields(ar, m.result);
    } else if constexpr (std::is_same_v<M, WorkerReady>) {
        ar(m.ok);
        ar(m.error_message);
        ar(m.traceback);
    } else if constexpr (std::is_same_v<M, RunStarted>) {
        ar(m.mini_batch_id);
    } else if constexpr (std::is_same_v<M, Finish>) {
        ar(m.abandon);
    } else if constexpr (std::is_same_v<M, Credit>) {
        ar(m.credit);
    } else if constexpr (std::is_same_v<M, WorkerEvent>) {
        ar(m.kind);
        ar(m.node_id);
        ar(m.process);
        ar(m.returncode);
        ar(m.message);
    } else {
        static_assert(std::is_empty_v<M>, "every message with fields must be listed above");
    }
}

// Every message's tag, whichever link carries it: its position in this list, which keeps
// the order of the single message type the links once shared (the wire format stays put).
using Tagged = std::tuple<WorkerSetup, RunTask, StopWorker, WorkerReady, TaskDone, Assign, Drain, Abort, Result,
                          WorkerEvent, Bye, Heartbeat, Finish, RunStarted, Credit>;

template <class T, std::size_t I = 0>
constexpr std::uint8_t tag_of() {
    static_assert(I < std::tuple_size_v<Tagged>, "every message needs a tag in Tagged");
    if constexpr (std::is_same_v<std::tuple_element_t<I, Tagged>, T>)
        return I;
    else
        return tag_of<T, I + 1>();
}

// The alternative of `L` whose tag is `tag`, decoded; ProtocolError if `L` has none.
template <class L, std::size_t I = 0>
L decode_alternative(std::uint8_t tag, Reader& r) {
    if constexpr (I < std::variant_size_v<L>) {
        using M = std::variant_alternative_t<I, L>;
        if (tag == tag_of<M>()) {
            M m;
            message_fields(r, m);
            return m;
        }
        return decode_alternative<L, I + 1>(tag, r);
    } else {
        check_message_type<L>(tag);  // throws: the tag is none of L's
        throw ProtocolError("unknown message type " + std::to_string(tag));
    }
}

template <class L, std::size_t... I>
bool carries(std::uint8_t tag, std::index_sequence<I...>) {
    return ((tag == tag_of<std::variant_alternative_t<I, L>>()) || ...);
}

}  // namespace

template <LinkMessage L>
void encode_into(const L& m, std::string& out) {
    Writer w{out};
    std::visit(
        [&](const auto& alt) {
            w.raw(tag_of<std::decay_t<decltype(alt)>>());
            message_fields(w, alt);
        },
        m);
}

void encode_run_task_into(const MiniBatchDescriptor& d, std::string& out) {
    Writer w{out};
    w.raw(tag_of<RunTask>());
    fields(w, d);
}

template <LinkMessage L>
std::string encode(const L& m) {
    std::string out;
    encode_into(m, out);
    return out;
}

template <LinkMessage L>
void check_message_type(std::uint8_t tag) {
    if (carries<L>(tag, std::make_index_sequence<std::variant_size_v<L>>{})) return;
    if (tag < std::tuple_size_v<Tagged>)
        throw ProtocolError("message type " + std::to_string(tag) + ", which this link does not carry");
    throw ProtocolError("unknown message type " + std::to_string(tag));
}

template <LinkMessage L>
L decode(std::string_view bytes) {
    Reader r{bytes};
    std::uint8_t tag = 0;
    r.raw(tag);
    L m = decode_alternative<L>(tag, r);
    if (!r.in.empty()) throw ProtocolError("trailing bytes after message");
    return m;
}

// The links, each encoded and decoded here only.
template void encode_into<AgentToWorker>(const AgentToWorker&, std::string&);
template std::string encode<AgentToWorker>(const AgentToWorker&);
template void check_message_type<AgentToWorker>(std::uint8_t);
template AgentToWorker decode<AgentToWorker>(std::string_view);
template void encode_into<WorkerToAgent>(const WorkerToAgent&, std::string&);
template std::string encode<WorkerToAgent>(const WorkerToAgent&);
template void check_message_type<WorkerToAgent>(std::uint8_t);
template WorkerToAgent decode<WorkerToAgent>(std::string_view);
template void encode_into<RankZeroToAgent>(const RankZeroToAgent&, std::string&);
template std::string encode<RankZeroToAgent>(const RankZeroToAgent&);
template void check_message_type<RankZeroToAgent>(std::uint8_t);
template RankZeroToAgent decode<RankZeroToAgent>(std::string_view);
template void encode_into<AgentToRankZero>(const AgentToRankZero&, std::string&);
template std::string encode<AgentToRankZero>(const AgentToRankZero&);
template void check_message_type<AgentToRankZero>(std::uint8_t);
template AgentToRankZero decode<AgentToRankZero>(std::string_view);

}  // namespace prs::protocol
