// Wire format of protocol messages and the length-prefixed Channel over a socket.

#include <sys/socket.h>

#include <gtest/gtest.h>

#include "prs/protocol/channel.hpp"
#include "prs/protocol/codec.hpp"

namespace prs::protocol {
namespace {

MiniBatchDescriptor sample_descriptor() {
    return {.id = 1234567890123ULL,
            .attempt = 2,
            .kind = InputKind::Delimited,
            .files = {"/data/a.csv", "/data/b \xff.csv", ""},
            .begin = 7,
            .end = 99,
            .items = 3,
            .partition_values = {"store1", "brand \xfe"},
            .keys_from_columns = true};
}

AttemptResult sample_result() {
    AttemptResult r;
    r.mini_batch_id = 77;
    r.attempt = 1;
    r.status = AttemptStatus::RunException;
    r.total = 10;
    r.succeeded = 3;
    r.row_count = 2;
    r.rows = "a 1\nb 2\n";
    r.header = "name n\n";
    r.error_category = "UserError";
    r.error_message = "ValueError: bad";
    r.traceback = "Traceback (most recent call last):\n...";
    r.node_id = 3;
    r.process = "process012";
    r.pid = 4242;
    r.start_us = 1'700'000'000'123'456;
    r.elapsed_s = 0.125;
    r.process_cpu_s = 0.0625;
    r.run_method_s = 0.1;
    return r;
}

// One value of every message type of each link, with every field away from its default.
struct Samples {
    std::vector<AgentToWorker> agent_to_worker;
    std::vector<WorkerToAgent> worker_to_agent;
    std::vector<RankZeroToAgent> rank_zero_to_agent;
    std::vector<AgentToRankZero> agent_to_rank_zero;
};

Samples samples() {
    WorkerSetup setup;
    setup.entry_script = "/code/score.py";
    setup.code_dir = "/code";
    setup.argv = {"/code/score.py", "--model", "m"};
    setup.python_path = {"/venv/lib/python3.11/site-packages"};
    setup.logging_level = "DEBUG";
    setup.process_name = "process001";
    setup.node_id = 2;
    setup.log_dir = "/run/logs";
    setup.output_dir = "/run/out";
    setup.input_path = "/data";
    setup.append_rows = false;
    setup.dataframe_header = true;
    setup.profiling_module = "cProfile";
    setup.to_csv_kwargs_json = R"({"sep": ","})";
    return {.agent_to_worker = {setup, RunTask{sample_descriptor()}, StopWorker{}},
            .worker_to_agent = {WorkerReady{false, "RuntimeError: no model", "Traceback ..."}, RunStarted{42},
                                TaskDone{sample_result()}},
            .rank_zero_to_agent = {Assign{sample_descriptor()}, Drain{}, Abort{}, Finish{true}, Heartbeat{}},
            .agent_to_rank_zero = {Result{sample_result()},
                                   WorkerEvent{WorkerEvent::Kind::Exited, 1, "process003", -9, "killed"}, Credit{34},
                                   Bye{}, Heartbeat{}}};
}

// Calls f with each link's samples.
template <class F>
void for_each_link(F&& f) {
    const auto all = samples();
    f(all.agent_to_worker);
    f(all.worker_to_agent);
    f(all.rank_zero_to_agent);
    f(all.agent_to_rank_zero);
}

TEST(ProtocolCodec, SamplesCoverEveryMessageType) {
    for_each_link([](const auto& link) {
        using L = typename std::decay_t<decltype(link)>::value_type;
        ASSERT_EQ(link.size(), std::variant_size_v<L>);
        for (std::size_t i = 0; i < link.size(); ++i) EXPECT_EQ(link[i].index(), i);
    });
}

TEST(ProtocolCodec, EveryMessageRoundTrips) {
    for_each_link([](const auto& link) {
        using L = typename std::decay_t<decltype(link)>::value_type;
        for (const auto& m : link) {
            SCOPED_TRACE(m.index());
            EXPECT_EQ(decode<L>(encode(m)), m);
        }
    });
}

// The tags are those of the one message type all links used to share: the bytes a test's
// entry script writes (tests/faults/test_channel_abuse.py) mean what they meant.
TEST(ProtocolCodec, TagsAreTheSameOnEveryLink) {
    EXPECT_EQ(encode(AgentToWorker{WorkerSetup{}})[0], 0);
    EXPECT_EQ(encode(AgentToWorker{StopWorker{}})[0], 2);
    EXPECT_EQ(encode(WorkerToAgent{TaskDone{}})[0], 4);
    EXPECT_EQ(encode(RankZeroToAgent{Assign{}})[0], 5);
    EXPECT_EQ(encode(AgentToRankZero{Bye{}})[0], 10);
    EXPECT_EQ(encode(RankZeroToAgent{Heartbeat{}}), encode(AgentToRankZero{Heartbeat{}}));
    EXPECT_EQ(encode(AgentToRankZero{Credit{3}})[0], 14);
}

// What a link does not carry does not compile where it would be sent.
template <class End, class M>
concept Sends = requires(End& end, const M& m) {
    end.send(m);
};
static_assert(Sends<ChannelToWorker, RunTask> && !Sends<ChannelToWorker, TaskDone> && !Sends<ChannelToWorker, Assign>);
static_assert(Sends<ChannelToAgent, TaskDone> && !Sends<ChannelToAgent, RunTask> && !Sends<ChannelToAgent, Result>);
template <class End>
concept QueuesRunTasks = requires(End& end, const MiniBatchDescriptor& d) {
    end.queue_run_task(d);
};
static_assert(QueuesRunTasks<ChannelToWorker> && !QueuesRunTasks<ChannelToAgent>);
static_assert(!std::is_constructible_v<RankZeroToAgent, Result> && !std::is_constructible_v<AgentToRankZero, Assign>);
static_assert(!std::is_constructible_v<AgentToRankZero, TaskDone> && !std::is_constructible_v<WorkerToAgent, Result>);

// A message of another link is garbage here, however well formed.
TEST(ProtocolCodec, AMessageTheLinkDoesNotCarryIsAnError) {
    EXPECT_THROW(decode<WorkerToAgent>(encode(AgentToWorker{StopWorker{}})), ProtocolError);
    EXPECT_THROW(decode<AgentToWorker>(encode(WorkerToAgent{TaskDone{sample_result()}})), ProtocolError);
    EXPECT_THROW(decode<WorkerToAgent>(encode(AgentToRankZero{Result{sample_result()}})), ProtocolError);
    EXPECT_THROW(decode<AgentToRankZero>(encode(RankZeroToAgent{Assign{sample_descriptor()}})), ProtocolError);
    EXPECT_THROW(decode<RankZeroToAgent>(encode(AgentToRankZero{Bye{}})), ProtocolError);
    EXPECT_NO_THROW(check_message_type<WorkerToAgent>(4));
    EXPECT_THROW(check_message_type<WorkerToAgent>(5), ProtocolError);
}

TEST(ProtocolCodec, EncodeIntoAppends) {
    std::string out = "xy";
    encode_into(AgentToRankZero{Bye{}}, out);
    EXPECT_EQ(out, "xy" + encode(AgentToRankZero{Bye{}}));
}

TEST(ProtocolCodec, EveryTruncationIsAnError) {
    for_each_link([](const auto& link) {
        using L = typename std::decay_t<decltype(link)>::value_type;
        for (const auto& m : link) {
            const std::string bytes = encode(m);
            for (std::size_t n = 0; n < bytes.size(); ++n) {
                SCOPED_TRACE(testing::Message() << "type " << m.index() << ", " << n << " bytes");
                EXPECT_THROW(decode<L>(std::string_view(bytes).substr(0, n)), ProtocolError);
            }
        }
    });
}

TEST(ProtocolCodec, TrailingBytesAndUnknownTypesAreErrors) {
    EXPECT_THROW(decode<AgentToWorker>(encode(AgentToWorker{StopWorker{}}) + "x"), ProtocolError);
    EXPECT_THROW(decode<AgentToWorker>(std::string(1, '\xc8')), ProtocolError);
}

TEST(ProtocolCodec, HugeListLengthIsAnErrorNotAnAllocation) {
    std::string bytes = encode(AgentToWorker{RunTask{}});
    bytes.resize(bytes.size() - 4);               // drop the empty file list's count...
    bytes += std::string("\xff\xff\xff\x7f", 4);  // ...and claim two billion files
    EXPECT_THROW(decode<AgentToWorker>(bytes), ProtocolError);
}

// a_ is the agent's end, b_ the worker's.
class ProtocolChannel : public testing::Test {
protected:
    void SetUp() override {
        int sv[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        // Room for every message a test sends before the other side reads.
        const int size = 4 << 20;
        ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        ::setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        a_ = ChannelToWorker(util::UniqueFd(sv[0]));
        b_ = ChannelToAgent(util::UniqueFd(sv[1]));
    }
    ChannelToWorker a_;
    ChannelToAgent b_;
};

// Sends every message of `all` from `from`, then reads them at `to` in one read.
template <class From, class To, class M>
void expect_several_in_one_read(From& from, To& to, const std::vector<M>& all) {
    for (const auto& m : all) ASSERT_TRUE(from.send(m));
    EXPECT_FALSE(to.next());
    ASSERT_TRUE(to.read_available());
    for (const auto& m : all) {
        const auto got = to.next();
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, m);
    }
    EXPECT_FALSE(to.next());
    EXPECT_TRUE(to.read_available());  // nothing there, but the peer is alive
}

TEST_F(ProtocolChannel, SeveralMessagesArriveInOneRead) {
    expect_several_in_one_read(a_, b_, samples().agent_to_worker);
    expect_several_in_one_read(b_, a_, samples().worker_to_agent);
}

TEST_F(ProtocolChannel, MessageLargerThanOneRead) {
    TaskDone big{sample_result()};
    big.result.rows.assign(300 * 1024, 'r');
    ASSERT_TRUE(b_.send(big));
    ASSERT_TRUE(b_.send(RunStarted{7}));
    auto got = a_.receive();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, WorkerToAgent(big));
    got = a_.receive();
    ASSERT_TRUE(got);
    EXPECT_TRUE(std::holds_alternative<RunStarted>(*got));
}

TEST_F(ProtocolChannel, LastMessageBeforeEofIsDelivered) {
    // A frame of exactly two full reads, then EOF: the reader sees data, then EOF in
    // the same drain, and must still deliver the message.
    TaskDone last{sample_result()};
    const std::size_t frame = 4 + encode(WorkerToAgent{last}).size();
    last.result.rows.append(2 * 65536 - frame, 'r');
    ASSERT_EQ(4 + encode(WorkerToAgent{last}).size(), 2 * 65536u);
    ASSERT_TRUE(b_.send(last));
    b_ = ChannelToAgent();  // close: the peer is gone
    const auto got = a_.receive();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, WorkerToAgent(last));
    EXPECT_FALSE(a_.receive());
}

TEST_F(ProtocolChannel, QueuedFramesLeaveTogetherInOrder) {
    const auto all = samples().agent_to_worker;
    for (const auto& m : all) a_.queue(m);
    EXPECT_TRUE(a_.has_output());
    ASSERT_TRUE(b_.read_available());
    EXPECT_FALSE(b_.next());  // nothing written yet
    ASSERT_TRUE(a_.write_available());
    EXPECT_FALSE(a_.has_output());
    ASSERT_TRUE(b_.read_available());
    for (const auto& m : all) {
        const auto got = b_.next();
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, m);
    }
}

TEST(ProtocolCodec, RunTaskFromADescriptorIsTheSameFrame) {
    std::string direct = "x", via_message = "x";
    append_run_task_frame(direct, sample_descriptor());
    append_frame(via_message, AgentToWorker{RunTask{sample_descriptor()}});
    EXPECT_EQ(direct, via_message);
}

TEST_F(ProtocolChannel, HasMessageOnlyOnceAWholeFrameIsHere) {
    EXPECT_FALSE(a_.has_message());
    std::string frame;
    append_frame(frame, WorkerToAgent{TaskDone{sample_result()}});
    ASSERT_EQ(::send(b_.fd(), frame.data(), frame.size() - 1, 0), static_cast<ssize_t>(frame.size() - 1));
    EXPECT_FALSE(a_.has_message());  // all but the last byte: receive() would wait
    ASSERT_EQ(::send(b_.fd(), frame.data() + frame.size() - 1, 1, 0), 1);
    EXPECT_TRUE(a_.has_message());
    const auto got = a_.next();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, WorkerToAgent(TaskDone{sample_result()}));
    EXPECT_FALSE(a_.has_message());
}

TEST_F(ProtocolChannel, FlushWritesEverythingQueued) {
    a_.queue_run_task(sample_descriptor());
    a_.queue(StopWorker{});
    EXPECT_GT(a_.output_bytes(), 0u);
    ASSERT_TRUE(a_.flush());
    EXPECT_EQ(a_.output_bytes(), 0u);
    auto got = b_.receive();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, AgentToWorker(RunTask{sample_descriptor()}));
    got = b_.receive();
    ASSERT_TRUE(got);
    EXPECT_TRUE(std::holds_alternative<StopWorker>(*got));
}

TEST(ProtocolChannelFull, WriteAvailableKeepsWhatTheSocketCannotTakeYet) {
    // The agent must never block writing to a worker that is itself blocked writing
    // a large result: what does not fit waits in the channel.
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ChannelToAgent writer{util::UniqueFd(sv[0])};
    ChannelToWorker reader{util::UniqueFd(sv[1])};
    TaskDone big{sample_result()};
    big.result.rows.assign(8u << 20, 'r');  // far more than a socket buffer
    writer.queue(big);
    writer.queue(RunStarted{7});
    ASSERT_TRUE(writer.write_available());
    EXPECT_TRUE(writer.has_output());
    std::vector<WorkerToAgent> got;
    while (got.size() < 2) {
        ASSERT_TRUE(writer.write_available());
        ASSERT_TRUE(reader.read_available());
        while (auto m = reader.next()) got.push_back(std::move(*m));
    }
    EXPECT_FALSE(writer.has_output());
    EXPECT_EQ(got[0], WorkerToAgent(big));
    EXPECT_TRUE(std::holds_alternative<RunStarted>(got[1]));
}

TEST_F(ProtocolChannel, SendToClosedPeerFailsWithoutSigpipe) {
    b_ = ChannelToAgent();
    EXPECT_FALSE(a_.send(StopWorker{}));
}

// What an entry script's os.write(3, ...) puts in front of the reader: its header alone must
// be refused, not waited on for the body it announces.
TEST(ProtocolFrame, ImpossibleHeaderIsAnErrorBeforeItsBody) {
    EXPECT_THROW(read_frame<WorkerToAgent>("garbage!"), ProtocolError);  // "garb": 1.6 GB, over the limit
    EXPECT_THROW(read_frame<WorkerToAgent>(std::string("\xff\xff\xff\xff", 4)), ProtocolError);
    const auto just_over = static_cast<std::uint32_t>(kMaxFrameBytes + 1);
    EXPECT_THROW(read_frame<WorkerToAgent>(std::string(reinterpret_cast<const char*>(&just_over), 4)), ProtocolError);
    EXPECT_THROW(read_frame<WorkerToAgent>(std::string("\0\0\0\0", 4)), ProtocolError);        // empty
    EXPECT_THROW(read_frame<WorkerToAgent>(std::string("\x10\0\0\0\xc8", 5)), ProtocolError);  // unknown type 200
    EXPECT_THROW(read_frame<WorkerToAgent>(std::string("\x10\0\0\0\x05", 5)), ProtocolError);  // an Assign
}

TEST(ProtocolFrame, PlausibleHeaderWaitsForItsBody) {
    EXPECT_FALSE(read_frame<WorkerToAgent>(std::string("\x10\0", 2)));
    EXPECT_FALSE(read_frame<WorkerToAgent>(std::string("\x10\0\0\0", 4)));
    EXPECT_FALSE(read_frame<WorkerToAgent>(std::string("\x10\0\0\0\x04", 5)));  // a TaskDone's 16 bytes
    const auto limit = static_cast<std::uint32_t>(kMaxFrameBytes);
    EXPECT_FALSE(read_frame<WorkerToAgent>(std::string(reinterpret_cast<const char*>(&limit), 4) + "\x04"));
}

TEST_F(ProtocolChannel, BogusHeaderIsAProtocolErrorAtOnce) {
    ASSERT_EQ(::send(b_.fd(), "garbage!", 8, 0), 8);
    EXPECT_THROW(a_.has_message(), ProtocolError);
    EXPECT_THROW(a_.next(), ProtocolError);
}

TEST_F(ProtocolChannel, GarbageIsAProtocolError) {
    const char frame[] = {2, 0, 0, 0, '\xc8', 0};
    ASSERT_EQ(::send(b_.fd(), frame, 6, 0), 6);
    EXPECT_THROW(a_.receive(), ProtocolError);
}

}  // namespace
}  // namespace prs::protocol
