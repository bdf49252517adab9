#include "cache_test_util.hpp"

#include "core/cache/scan.hpp"

#include <doctest/doctest.h>

#include "core/platform/file.hpp"

#include <chrono>
#include <ctime>

using namespace cache_test;
using namespace tabagent;

namespace {
bool has_warning(const std::vector<std::string>& warnings, const std::string& part) {
    for (const auto& w : warnings)
        if (w.find(part) != std::string::npos) return true;
    return false;
}
} // namespace

TEST_CASE("cache: scan reports repos, revisions, files, sizes and times") {
    TempDir tmp;
    Store store(tmp.path());
    auto w = put(store, "org/a", k_commit_a, "onnx/model.onnx", std::string(3000, 'w'));
    put(store, "org/a", k_commit_a, "config.json", "{}", false);
    REQUIRE(store.link_existing_blob("org/a", k_commit_b, w));
    REQUIRE(store.write_ref("org/a", "main", k_commit_a));
    REQUIRE(store.write_ref("org/a", "refs/pr/1", k_commit_b));
    write_file(store.partial_path("org/a", sha256_of("x")), std::string(123, 'x'));
    put(store, "other/b", k_commit_c, "x.bin", "xx");
    auto old = std::chrono::system_clock::now() - std::chrono::hours(48);
    auto recent = std::chrono::system_clock::now() - std::chrono::hours(1);
    set_times(store.blob_path("org/a", w.etag), recent, old);

    auto scan = cache::scan_cache(tmp.path());
    CHECK(scan.warnings.empty());
    REQUIRE(scan.repos.size() == 2);
    const auto& a = scan.repos[0];
    CHECK(a.repo == "org/a");
    CHECK(a.refs.at("main") == k_commit_a);
    CHECK(a.refs.at("refs/pr/1") == k_commit_b);
    CHECK(a.size_on_disk == 3002);
    CHECK(a.partial_bytes == 123);
    CHECK(a.file_count == 2);
    CHECK(a.blobs.size() == 2);
    REQUIRE(a.revisions.size() == 2);
    for (const auto& rev : a.revisions) {
        if (rev.commit == k_commit_a) {
            CHECK(rev.refs == std::vector<std::string>{"main"});
            REQUIRE(rev.files.size() == 2);
            CHECK(rev.files[0].path == "config.json");
            CHECK(rev.files[1].path == "onnx/model.onnx");
            CHECK(rev.files[1].etag == w.etag);
            CHECK(rev.files[1].present);
            CHECK(rev.size == 3002);
        } else {
            CHECK(rev.commit == k_commit_b);
            CHECK(rev.refs == std::vector<std::string>{"refs/pr/1"});
            CHECK(rev.size == 3000);
        }
    }
    // last accessed = newest blob atime, not older than the one we set
    CHECK(a.last_accessed >= recent - std::chrono::seconds(1));
    CHECK(scan.size_on_disk == 3004);
    CHECK(scan.partial_bytes == 123);
    CHECK(scan.repos[1].repo == "other/b");
    CHECK(cache::scan_repo(tmp.path(), "other/b")->size_on_disk == 2);
    CHECK_FALSE(cache::scan_repo(tmp.path(), "none/here"));
    CHECK(cache::scan_cache(tmp.path() / "missing").repos.empty());
}

TEST_CASE("cache: scan survives junk and says what it skipped") {
    TempDir tmp;
    Store store(tmp.path());
    put(store, "org/good", k_commit_a, "config.json", "{}", false);
    auto gone = put(store, "org/good", k_commit_a, "gone.bin", "will vanish");
    fs::remove(store.blob_path("org/good", gone.etag));
    auto snap = store.snapshot_dir("org/good", k_commit_a);
    fs::create_symlink("../../../../etc/passwd", snap / "escape.txt");
    fs::create_symlink("loop", snap / "loop");
    write_file(store.repo_dir("org/good") / "snapshots" / "not-a-commit", "stray");
    write_file(store.repo_dir("org/good") / "refs" / "broken", "zzz");
    fs::create_directories(store.blobs_dir("org/good") / "a-dir-in-blobs");
    write_file(tmp.path() / "stray.txt", "hello");
    fs::create_directories(tmp.path() / "models--nodashes");
    fs::create_directories(tmp.path() / "datasets--org--data" / "blobs");
    fs::create_directories(tmp.path() / "spaces--org--space");
    fs::create_directories(tmp.path() / ".locks" / "models--org--good");
    // An unreadable folder. root ignores permissions, so there a file standing where the blobs
    // folder should be produces the same failure to list (ENOTDIR instead of EACCES).
    fs::create_directories(tmp.path() / "models--org--locked");
    const auto locked_blobs = tmp.path() / "models--org--locked" / "blobs";
    fs::create_directories(locked_blobs);
    fs::permissions(locked_blobs, fs::perms::none);
    std::error_code denied;
    fs::directory_iterator probe(locked_blobs, denied);
    if (!denied) { // root: permissions do not stop it
        fs::remove(locked_blobs);
        fs::create_directories(tmp.path() / "models--org--locked" / "snapshots");
        fs::create_symlink("/nonexistent-dir-for-test", tmp.path() / "models--org--locked" / "snapshots" / k_commit_a);
        write_file(locked_blobs, "not a folder");
    }

    cache::CacheScan scan;
    CHECK_NOTHROW(scan = cache::scan_cache(tmp.path()));
    REQUIRE(scan.repos.size() == 2);
    CHECK(scan.repos[0].repo == "org/good");
    CHECK(scan.repos[1].repo == "org/locked");
    const auto& good = scan.repos[0];
    CHECK(good.file_count == 1);
    CHECK(good.size_on_disk == 2);
    REQUIRE(good.revisions.size() == 1);
    const auto& files = good.revisions[0].files;
    auto file = [&](const std::string& p) -> const cache::ScannedFile* {
        for (const auto& f : files)
            if (f.path == p) return &f;
        return nullptr;
    };
    REQUIRE(file("gone.bin"));
    CHECK_FALSE(file("gone.bin")->present);
    CHECK(file("gone.bin")->etag == gone.etag);
    REQUIRE(file("escape.txt"));
    CHECK_FALSE(file("escape.txt")->present);
    CHECK(file("escape.txt")->etag.empty());
    CHECK(has_warning(scan.warnings, "broken link"));
    CHECK(has_warning(scan.warnings, "outside the repo"));
    CHECK(has_warning(scan.warnings, "not a snapshot folder"));
    CHECK(has_warning(scan.warnings, "ref does not hold a commit"));
    CHECK(has_warning(scan.warnings, "not a regular blob"));
    CHECK(has_warning(scan.warnings, "stray.txt"));
    CHECK(has_warning(scan.warnings, "models--nodashes"));
    CHECK(has_warning(scan.warnings, "org/locked: cannot read"));
    CHECK_FALSE(has_warning(scan.warnings, "datasets--"));
    CHECK_FALSE(has_warning(scan.warnings, ".locks"));
}

namespace {
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; } // this process's CPU time

void write_raw(const fs::path& path, std::size_t size) {
    auto file = platform::File::create_new(path);
    REQUIRE(file);
    REQUIRE(*file);
    std::string data(size, 'b');
    REQUIRE((*file)->pwrite_all(data.data(), data.size(), 0));
}
} // namespace

// "Fast" is measured, not asserted (CPU time too moves on a loaded machine): bench/cli_list_bench.py
// times `tabagent-cache list` on the same 1 000 x 20 tree (bench/README.md). This test pins what the
// scan finds in it, and prints its times for the curious.
TEST_CASE("cache: scan of 1 000 repos with 20 000 files is fast") {
    // On tmpfs when available: the test measures the scan, not a busy disk's journal while the
    // 40 000 entries are created.
    TempDir tmp(fs::is_directory("/dev/shm") ? "/dev/shm" : nullptr);
    const auto root = tmp.path();
    constexpr int k_repos = 1000, k_files = 20;
    for (int r = 0; r < k_repos; ++r) {
        auto dir = root / ("models--org--m" + std::to_string(r));
        auto snap = dir / "snapshots" / k_commit_a;
        fs::create_directories(dir / "blobs");
        fs::create_directories(dir / "refs");
        fs::create_directories(snap / "onnx");
        write_raw(dir / "refs" / "main", 0);
        for (int f = 0; f < k_files; ++f) {
            auto etag = sha256_of(std::to_string(r) + "/" + std::to_string(f));
            write_raw(dir / "blobs" / etag, static_cast<std::size_t>(f + 1));
            fs::create_symlink("../../../blobs/" + etag, snap / "onnx" / ("f" + std::to_string(f)));
        }
    }
    auto wall_start = std::chrono::steady_clock::now();
    auto cpu_start = cpu_seconds();
    auto scan = cache::scan_cache(root);
    auto cpu = cpu_seconds() - cpu_start;
    auto wall = std::chrono::steady_clock::now() - wall_start;
    MESSAGE("scan of 20 000 files: " << std::chrono::duration_cast<std::chrono::milliseconds>(wall).count()
                                     << " ms wall, " << static_cast<int>(cpu * 1000) << " ms cpu");
    REQUIRE(scan.repos.size() == k_repos);
    CHECK(scan.repos[0].file_count == k_files);
    CHECK(scan.size_on_disk == static_cast<std::uint64_t>(k_repos) * (k_files * (k_files + 1) / 2));
}
