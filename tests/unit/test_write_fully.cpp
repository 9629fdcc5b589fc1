#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "prs/util/unique_fd.hpp"
#include "prs/util/write_fully.hpp"

namespace prs::util {
namespace {

TEST(WriteFully, WritesEveryByteThroughAPipe) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    UniqueFd reader(fds[0]), writer(fds[1]);
    const std::string text(1000, 'x');
    EXPECT_EQ(write_fully(writer.get(), text), 0);
    writer.reset();
    std::string got(2000, '\0');
    std::size_t n = 0;
    for (ssize_t r; (r = ::read(reader.get(), got.data() + n, got.size() - n)) > 0;) n += static_cast<std::size_t>(r);
    EXPECT_EQ(got.substr(0, n), text);
}

TEST(WriteFully, AFullDiskIsReportedNotSwallowed) {
    UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(full);
    EXPECT_EQ(write_fully(full.get(), "rows\n"), ENOSPC);
}

}  // namespace
}  // namespace prs::util
