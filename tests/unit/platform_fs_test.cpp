// The file seam (platform/file.hpp, platform/fs.hpp) on both sides. The Windows-only facts are in
// tests/windows/platform_fs_test.cpp, which joins unit_tests.exe (tests/windows/tests.cmake).
#include "cache_test_util.hpp"

#include "core/cache/stats.hpp"
#include "core/platform/file.hpp"
#include "core/platform/fs.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace cache_test;
using namespace tabagent;

namespace {
std::vector<platform::DirEntry> entries_of(const fs::path& dir) {
    auto opened = platform::Directory::open(dir);
    REQUIRE(opened);
    std::vector<platform::DirEntry> out;
    REQUIRE(opened->list(out));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}
} // namespace

TEST_CASE("platform fs: the directory reader names kinds and never follows a link below it") {
    TempDir tmp;
    write_file(tmp.path() / "file", "x");
    fs::create_directories(tmp.path() / "folder");
    fs::create_directory_symlink("folder", tmp.path() / "link");
    auto entries = entries_of(tmp.path());
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].kind == platform::Kind::regular);
    CHECK(entries[1].kind == platform::Kind::directory);
    CHECK(entries[2].kind == platform::Kind::symlink);
    auto dir = platform::Directory::open(tmp.path());
    REQUIRE(dir);
    CHECK(dir->open_child("folder"));
    CHECK_FALSE(dir->open_child("link")); // O_NOFOLLOW: a linked folder is not walked into
    auto missing = dir->open_child("none");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK(dir->read_link_child("link") == std::optional<std::string>("folder"));
    CHECK(dir->read_child("file", 16) == std::optional<std::string>("x"));
    CHECK_FALSE(dir->read_child("link", 16)); // not followed either
}

TEST_CASE("platform fs: UTF-8 names stay UTF-8 through u8path and the reader") {
    TempDir tmp;
    const std::string name = "caf\xC3\xA9-\xE6\x97\xA5\xE6\x9C\xAC.txt";
    write_file(tmp.path() / platform::u8path(name), "hello");
    auto entries = entries_of(tmp.path());
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].name == name);
    CHECK(platform::u8string(tmp.path() / platform::u8path(name)).ends_with(name));
}

TEST_CASE("platform fs: create_new, rename_replace and remove_file report what happened") {
    TempDir tmp;
    const auto path = tmp.path() / "a";
    auto first = platform::File::create_new(path);
    REQUIRE(first);
    REQUIRE(*first);
    REQUIRE((*first)->pwrite_all("one", 3, 0));
    REQUIRE((*first)->close());
    auto again = platform::File::create_new(path);
    REQUIRE(again);
    CHECK_FALSE(*again); // something is there already
    write_file(tmp.path() / "b", "two");
    REQUIRE(platform::rename_replace(tmp.path() / "b", path));
    CHECK(read_file(path) == "two");
    CHECK(platform::remove_file(path).value_or(false));
    CHECK_FALSE(platform::remove_file(path).value_or(true)); // nothing there: false, not an error
    auto missing = platform::File::open_read(path);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
}

TEST_CASE("cache: stats say whether snapshot files can be links (linkMode)") {
    TempDir tmp;
    auto stats = cache::stats(tmp.path());
    // Links where the OS grants them; Windows without Developer Mode, FAT and Wine (no symlinks)
    // are "degraded", with a warning that says so (huggingface_hub's fallback).
    const auto links = platform::symlinks_supported(tmp.path());
    REQUIRE(links);
    CHECK(stats.link_mode == (*links ? cache::LinkMode::symlinks : cache::LinkMode::degraded));
    CHECK(stats.warnings.empty() == *links);
    CHECK(fs::is_empty(tmp.path())); // the probe leaves nothing behind
    CHECK(cache::stats(tmp.path() / "missing").link_mode == cache::LinkMode::unknown);
    CHECK(cache::to_string(cache::LinkMode::degraded) == "degraded");
}
