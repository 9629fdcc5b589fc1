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

// One value of every message type, with every field away from its default.
std::vector<Message> samples() {
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
    return {setup,
            RunTask{sample_descriptor()},
            StopWorker{},
            WorkerReady{false, "RuntimeError: no model", "Traceback ..."},
            TaskDone{sample_result()},
            Assign{sample_descriptor()},
            Drain{},
            Abort{},
            Result{sample_result()},
            WorkerEvent{WorkerEvent::Kind::Exited, 1, "process003", -9, "killed"},
            Bye{},
            Heartbeat{},
            Finish{true},
            RunStarted{42},
            Credit{34}};
}

TEST(ProtocolCodec, SamplesCoverEveryMessageType) {
    const auto all = samples();
    ASSERT_EQ(all.size(), std::variant_size_v<Message>);
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].index(), i);
}

TEST(ProtocolCodec, EveryMessageRoundTrips) {
    for (const auto& m : samples()) {
        SCOPED_TRACE(m.index());
        EXPECT_EQ(decode(encode(m)), m);
    }
}

TEST(ProtocolCodec, EncodeIntoAppends) {
    std::string out = "xy";
    encode_into(Bye{}, out);
    EXPECT_EQ(out, "xy" + encode(Bye{}));
}

TEST(ProtocolCodec, EveryTruncationIsAnError) {
    for (const auto& m : samples()) {
        const std::string bytes = encode(m);
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            SCOPED_TRACE(testing::Message() << "type " << m.index() << ", " << n << " bytes");
            EXPECT_THROW(decode(std::string_view(bytes).substr(0, n)), ProtocolError);
        }
    }
}

TEST(ProtocolCodec, TrailingBytesAndUnknownTypesAreErrors) {
    EXPECT_THROW(decode(encode(StopWorker{}) + "x"), ProtocolError);
    EXPECT_THROW(decode(std::string(1, '\xc8')), ProtocolError);
}

TEST(ProtocolCodec, HugeListLengthIsAnErrorNotAnAllocation) {
    std::string bytes = encode(RunTask{});
    bytes.resize(bytes.size() - 4);               // drop the empty file list's count...
    bytes += std::string("\xff\xff\xff\x7f", 4);  // ...and claim two billion files
    EXPECT_THROW(decode(bytes), ProtocolError);
}

class ProtocolChannel : public testing::Test {
protected:
    void SetUp() override {
        int sv[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        // Room for every message a test sends before the other side reads.
        const int size = 4 << 20;
        ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        a_ = Channel(util::UniqueFd(sv[0]));
        b_ = Channel(util::UniqueFd(sv[1]));
    }
    Channel a_, b_;
};

TEST_F(ProtocolChannel, SeveralMessagesArriveInOneRead) {
    const auto all = samples();
    for (const auto& m : all) ASSERT_TRUE(a_.send(m));
    EXPECT_FALSE(b_.next());
    ASSERT_TRUE(b_.read_available());
    for (const auto& m : all) {
        const auto got = b_.next();
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, m);
    }
    EXPECT_FALSE(b_.next());
    EXPECT_TRUE(b_.read_available());  // nothing there, but the peer is alive
}

TEST_F(ProtocolChannel, MessageLargerThanOneRead) {
    TaskDone big{sample_result()};
    big.result.rows.assign(300 * 1024, 'r');
    ASSERT_TRUE(a_.send(big));
    ASSERT_TRUE(a_.send(StopWorker{}));
    auto got = b_.receive();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, Message(big));
    got = b_.receive();
    ASSERT_TRUE(got);
    EXPECT_TRUE(std::holds_alternative<StopWorker>(*got));
}

TEST_F(ProtocolChannel, LastMessageBeforeEofIsDelivered) {
    // A frame of exactly two full reads, then EOF: the reader sees data, then EOF in
    // the same drain, and must still deliver the message.
    TaskDone last{sample_result()};
    const std::size_t frame = 4 + encode(last).size();
    last.result.rows.append(2 * 65536 - frame, 'r');
    ASSERT_EQ(4 + encode(last).size(), 2 * 65536u);
    ASSERT_TRUE(a_.send(last));
    a_ = Channel();  // close: the peer is gone
    const auto got = b_.receive();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, Message(last));
    EXPECT_FALSE(b_.receive());
}

TEST_F(ProtocolChannel, QueuedFramesLeaveTogetherInOrder) {
    const auto all = samples();
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
    append_frame(via_message, RunTask{sample_descriptor()});
    EXPECT_EQ(direct, via_message);
}

TEST_F(ProtocolChannel, HasMessageOnlyOnceAWholeFrameIsHere) {
    EXPECT_FALSE(b_.has_message());
    std::string frame;
    append_frame(frame, TaskDone{sample_result()});
    ASSERT_EQ(::send(a_.fd(), frame.data(), frame.size() - 1, 0), static_cast<ssize_t>(frame.size() - 1));
    EXPECT_FALSE(b_.has_message());  // all but the last byte: receive() would wait
    ASSERT_EQ(::send(a_.fd(), frame.data() + frame.size() - 1, 1, 0), 1);
    EXPECT_TRUE(b_.has_message());
    const auto got = b_.next();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, Message(TaskDone{sample_result()}));
    EXPECT_FALSE(b_.has_message());
}

TEST_F(ProtocolChannel, FlushWritesEverythingQueued) {
    a_.queue_run_task(sample_descriptor());
    a_.queue(StopWorker{});
    EXPECT_GT(a_.output_bytes(), 0u);
    ASSERT_TRUE(a_.flush());
    EXPECT_EQ(a_.output_bytes(), 0u);
    auto got = b_.receive();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, Message(RunTask{sample_descriptor()}));
    got = b_.receive();
    ASSERT_TRUE(got);
    EXPECT_TRUE(std::holds_alternative<StopWorker>(*got));
}

TEST(ProtocolChannelFull, WriteAvailableKeepsWhatTheSocketCannotTakeYet) {
    // The agent must never block writing to a worker that is itself blocked writing
    // a large result: what does not fit waits in the channel.
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    Channel writer{util::UniqueFd(sv[0])};
    Channel reader{util::UniqueFd(sv[1])};
    TaskDone big{sample_result()};
    big.result.rows.assign(8u << 20, 'r');  // far more than a socket buffer
    writer.queue(big);
    writer.queue(StopWorker{});
    ASSERT_TRUE(writer.write_available());
    EXPECT_TRUE(writer.has_output());
    std::vector<Message> got;
    while (got.size() < 2) {
        ASSERT_TRUE(writer.write_available());
        ASSERT_TRUE(reader.read_available());
        while (auto m = reader.next()) got.push_back(std::move(*m));
    }
    EXPECT_FALSE(writer.has_output());
    EXPECT_EQ(got[0], Message(big));
    EXPECT_TRUE(std::holds_alternative<StopWorker>(got[1]));
}

TEST_F(ProtocolChannel, SendToClosedPeerFailsWithoutSigpipe) {
    b_ = Channel();
    EXPECT_FALSE(a_.send(StopWorker{}));
}

// What an entry script's os.write(3, ...) puts in front of the reader: its header alone must
// be refused, not waited on for the body it announces.
TEST(ProtocolFrame, ImpossibleHeaderIsAnErrorBeforeItsBody) {
    EXPECT_THROW(read_frame("garbage!"), ProtocolError);  // "garb": 1.6 GB, over the limit
    EXPECT_THROW(read_frame(std::string("\xff\xff\xff\xff", 4)), ProtocolError);
    const auto just_over = static_cast<std::uint32_t>(kMaxFrameBytes + 1);
    EXPECT_THROW(read_frame(std::string(reinterpret_cast<const char*>(&just_over), 4)), ProtocolError);
    EXPECT_THROW(read_frame(std::string("\0\0\0\0", 4)), ProtocolError);        // empty
    EXPECT_THROW(read_frame(std::string("\x10\0\0\0\xc8", 5)), ProtocolError);  // unknown type 200
}

TEST(ProtocolFrame, PlausibleHeaderWaitsForItsBody) {
    EXPECT_FALSE(read_frame(std::string("\x10\0", 2)));
    EXPECT_FALSE(read_frame(std::string("\x10\0\0\0", 4)));
    EXPECT_FALSE(read_frame(std::string("\x10\0\0\0\x04", 5)));  // a TaskDone's 16 bytes
    const auto limit = static_cast<std::uint32_t>(kMaxFrameBytes);
    EXPECT_FALSE(read_frame(std::string(reinterpret_cast<const char*>(&limit), 4) + "\x04"));
}

TEST_F(ProtocolChannel, BogusHeaderIsAProtocolErrorAtOnce) {
    ASSERT_EQ(::send(a_.fd(), "garbage!", 8, 0), 8);
    EXPECT_THROW(b_.has_message(), ProtocolError);
    EXPECT_THROW(b_.next(), ProtocolError);
}

TEST_F(ProtocolChannel, GarbageIsAProtocolError) {
    const char frame[] = {2, 0, 0, 0, '\xc8', 0};
    ASSERT_EQ(::send(a_.fd(), frame, 6, 0), 6);
    EXPECT_THROW(b_.receive(), ProtocolError);
}

}  // namespace
}  // namespace prs::protocol
