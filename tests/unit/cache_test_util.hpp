#pragma once
// Shared helpers of the cache_*_test.cpp files: a temp dir per test case, real hashes, and a
// way to place files exactly as a download would (partial -> publish).
#include "core/cache/store.hpp"
#include "core/model/repo_file.hpp"
#include "core/platform/fs.hpp"
#include "core/util/hash.hpp"

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

inline constexpr const char* k_commit_a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
inline constexpr const char* k_commit_b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
inline constexpr const char* k_commit_c = "cccccccccccccccccccccccccccccccccccccccc";

class TempDir {
public:
    // `base` overrides $TMPDIR (e.g. /dev/shm for a test that creates 40 000 entries).
    explicit TempDir(const char* base = nullptr) {
        std::error_code ec;
        const fs::path parent = base && *base ? fs::path(base) : fs::temp_directory_path(ec); // $TMPDIR
        REQUIRE_FALSE(ec);
        std::random_device random;
        for (int attempt = 0; attempt < 100 && m_path.empty(); ++attempt) {
            auto candidate = parent / ("tabagent-cache-test-" + std::to_string(random()));
            if (fs::create_directory(candidate, ec)) m_path = candidate; // false when it already existed
        }
        REQUIRE_FALSE(m_path.empty());
    }
    ~TempDir() {
        std::error_code ec;
        // Restore permissions a test may have removed, so cleanup always succeeds.
        for (fs::recursive_directory_iterator it(m_path, fs::directory_options::skip_permission_denied, ec), end;
             !ec && it != end; it.increment(ec))
            if (it->is_directory(ec) && !it->is_symlink(ec))
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return m_path; }

private:
    fs::path m_path;
};

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
