#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "prs/partition/path_list.hpp"

using prs::partition::PathList;

TEST(PathList, StoresPathsAfterTheSharedPrefix) {
    PathList list("/data/in");
    list.add("/data/in/b.txt");
    list.add("/data/in/sub/a.txt");
    list.add("/data/in");  // a file named by the input's path itself
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0], "/data/in/b.txt");
    EXPECT_EQ(list[1], "/data/in/sub/a.txt");
    EXPECT_EQ(list[2], "/data/in");
    std::string reused = "a longer text than any of the paths above, to be replaced";
    list.assign_to(reused, 1);
    EXPECT_EQ(reused, "/data/in/sub/a.txt");
    EXPECT_THROW(list.add("/data/other/c.txt"), std::invalid_argument);
    EXPECT_THROW(list.add(std::string("/data/in/n\0ul", 13)), std::invalid_argument);
    EXPECT_EQ(list.size(), 3u);
}

TEST(PathList, SortsLikeTheStringsWould) {
    // '-' < '.' < '/' < letters, and bytes >= 0x80 after ASCII.
    std::vector<std::string> paths = {"/r/a/b", "/r/a.txt", "/r/a-b/c", "/r/\xc3\xa9t\xc3\xa9", "/r/Z", "/r/a", "/r/ab"};
    PathList list("/r/");
    for (const auto& p : paths) list.add(p);
    list.sort();
    std::sort(paths.begin(), paths.end());
    ASSERT_EQ(list.size(), paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) EXPECT_EQ(list[i], paths[i]) << i;
}

TEST(PathList, EmptyPrefixTakesAnyPath) {
    PathList list;
    EXPECT_TRUE(list.empty());
    list.add("/x/1.csv");
    list.add("relative.csv");
    EXPECT_EQ(list[0], "/x/1.csv");
    EXPECT_EQ(list[1], "relative.csv");
}
