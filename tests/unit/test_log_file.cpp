#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <regex>

#include "prs/logs/log_file.hpp"

namespace prs::logs {
namespace {

class UtcClock : public testing::Test {
protected:
    void SetUp() override {
        const char* tz = std::getenv("TZ");
        saved_ = tz ? std::optional<std::string>(tz) : std::nullopt;
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
    void TearDown() override {
        if (saved_)
            ::setenv("TZ", saved_->c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }
    std::optional<std::string> saved_;
};

TEST_F(UtcClock, IsoTimestampsKeepEveryMicrosecondDigit) {
    EXPECT_EQ(iso_timestamp(1603508344227237LL), "2020-10-24T02:59:04.227237");
    EXPECT_EQ(iso_timestamp(1603508344000007LL), "2020-10-24T02:59:04.000007");
    // The same second again (the cached text) and the next one.
    std::string out = "x";
    append_iso_timestamp(out, 1603508344500000LL);
    append_iso_timestamp(out, 1603508345000000LL);
    EXPECT_EQ(out, "x2020-10-24T02:59:04.5000002020-10-24T02:59:05.000000");
}

TEST(LogLine, AzureLayout) {
    const std::string line = log_line("INFO", "hello");
    EXPECT_TRUE(std::regex_match(line, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\|INFO\|\d+\|\d+\|hello\n)")))
        << line;
}

}  // namespace
}  // namespace prs::logs
