#pragma once
// Shared helpers of the cache_*_test.cpp files: a temp dir per test case, real hashes, and a
// way to place files exactly as a download would (partial -> publish).
#include "core/cache/store.hpp"
#include "core/model/repo_file.hpp"
#include "core/platform/fs.hpp"
#include "core/util/hash.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace cache_test {

namespace fs = std::filesystem;
using tabagent::cache::Store;
using tabagent::model::RepoFile;

inline const std::string k_repo = "org/model";
inline constexpr const char* k_commit_a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
inline constexpr const char* k_commit_b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
inline constexpr const char* k_commit_c = "cccccccccccccccccccccccccccccccccccccccc";

using tabagent::test::TempDir;

inline std::string sha256_of(const std::string& content) {
    tabagent::util::Hasher h(tabagent::util::HashKind::sha256, content.size());
    h.update(content.data(), content.size());
    return h.hex_digest();
}

inline std::string git_sha1_of(const std::string& content) {
    tabagent::util::Hasher h(tabagent::util::HashKind::git_sha1, content.size());
    h.update(content.data(), content.size());
    return h.hex_digest();
}

inline void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    REQUIRE(out.good());
}

inline std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline RepoFile file_of(const std::string& path, const std::string& content, bool lfs = true) {
    return RepoFile{path, content.size(), lfs ? sha256_of(content) : git_sha1_of(content), lfs};
}

// Writes the content as the partial of its blob and publishes it, as the download engine would.
inline RepoFile put(const Store& store, const std::string& repo, const std::string& commit,
                    const std::string& path, const std::string& content, bool lfs = true) {
    auto file = file_of(path, content, lfs);
    auto partial = store.partial_path(repo, file.etag);
    write_file(partial, content);
    auto placed = store.publish(repo, commit, file, partial);
    REQUIRE_MESSAGE(placed.has_value(), (placed ? "" : placed.error().message));
    return file;
}

// While alive, the cache acts as where the OS refuses links (Windows without Developer Mode, Wine):
// publish() moves or copies blobs into the snapshot and stats() says "degraded".
class LinksRefused {
public:
    LinksRefused() { tabagent::cache::set_links_refused_for_testing(true); }
    ~LinksRefused() { tabagent::cache::set_links_refused_for_testing(false); }
    LinksRefused(const LinksRefused&) = delete;
    LinksRefused& operator=(const LinksRefused&) = delete;
};

inline void set_times(const fs::path& path, std::chrono::system_clock::time_point atime,
                      std::chrono::system_clock::time_point mtime) {
    REQUIRE(tabagent::platform::set_file_times(path, atime, mtime));
}

inline std::chrono::system_clock::time_point days_ago(int days) {
    return std::chrono::system_clock::now() - std::chrono::hours(24 * days);
}

} // namespace cache_test
