#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "prs/partition/file_list.hpp"
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
    std::vector<std::string> paths = {"/r/a/b", "/r/a.txt", "/r/a-b/c", "/r/\xc3\xa9t\xc3\xa9",
                                      "/r/Z",   "/r/a",     "/r/ab"};
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

namespace {

namespace fs = std::filesystem;

// A temporary input folder: data/{a.txt, sub/b.txt, sub/deeper/c.txt}.
class LoopedInput : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("prs_path_list_" + std::to_string(::getpid()));
        fs::remove_all(root_);
        fs::create_directories(data() / "sub" / "deeper");
        for (const char* f : {"a.txt", "sub/b.txt", "sub/deeper/c.txt"}) std::ofstream(data() / f) << "x\n";
    }
    void TearDown() override { fs::remove_all(root_); }
    fs::path data() const { return root_ / "data"; }

    std::vector<std::string> listed(std::vector<std::string>* skipped_out = nullptr) const {
        std::vector<std::string> skipped;
        const auto files = prs::partition::list_files(data(), skipped);
        std::vector<std::string> out;
        for (std::size_t i = 0; i < files.size(); ++i) out.push_back(fs::path(files[i]).lexically_relative(data()));
        if (skipped_out) *skipped_out = skipped;
        return out;
    }

    fs::path root_;
};

const std::vector<std::string> kTree = {"a.txt", "sub/b.txt", "sub/deeper/c.txt"};

}  // namespace

TEST_F(LoopedInput, ALinkBackUpTheTreeListsEachFileOnce) {
    fs::create_directory_symlink(".", data() / "loop");         // the root itself
    fs::create_directory_symlink("..", data() / "sub" / "up");  // a parent
    std::vector<std::string> skipped;
    EXPECT_EQ(listed(&skipped), kTree);
    ASSERT_EQ(skipped.size(), 2u);
    EXPECT_NE(skipped[0].find("data/loop' leads to '" + data().string() + "'"), std::string::npos) << skipped[0];
    EXPECT_NE(skipped[1].find("sub/up' leads to '" + data().string() + "'"), std::string::npos) << skipped[1];
}

TEST_F(LoopedInput, TwoLoopsEndAndAliasesListTheRealPath) {
    // Two loops multiplied the walk without end; an alias of a folder in the tree (deeper ->
    // sub/deeper) lists its files under their real path, whatever readdir's order.
    fs::create_directory_symlink(".", data() / "loop1");
    fs::create_directory_symlink(".", data() / "loop2");
    fs::create_directory_symlink("sub/deeper", data() / "alias");
    EXPECT_EQ(listed(), kTree);
}

TEST_F(LoopedInput, LinksOutsideTheTreeAndToFilesAreFollowed) {
    fs::create_directories(root_ / "elsewhere");
    std::ofstream(root_ / "elsewhere" / "e.txt") << "e\n";
    fs::create_directory_symlink("../elsewhere", data() / "ext");
    fs::create_symlink("a.txt", data() / "a_link.txt");
    fs::create_symlink("missing.txt", data() / "dangling.txt");
    EXPECT_EQ(listed(),
              (std::vector<std::string>{"a.txt", "a_link.txt", "ext/e.txt", "sub/b.txt", "sub/deeper/c.txt"}));
}
