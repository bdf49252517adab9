#include "cache_test_util.hpp"

#include "core/cache/clean.hpp"
#include "core/cache/lock.hpp"
#include "core/cache/stats.hpp"

#include <doctest/doctest.h>

using namespace cache_test;
using namespace tabagent;

namespace {

// Three repos of known sizes, last used 30, 10 and 1 days ago (newest blob atime).
struct ThreeRepos {
    TempDir tmp;
    Store store{tmp.path()};
    ThreeRepos() {
        add("org/old", 1000, 30);
        add("org/mid", 2000, 10);
        add("org/new", 4000, 1);
    }
    void add(const std::string& repo, std::size_t size, int age_days) {
        auto a = put(store, repo, k_commit_a, "a.bin", std::string(size / 2, 'a' + static_cast<char>(size % 7)));
        auto b = put(store, repo, k_commit_a, "b.bin", std::string(size / 2, 'b' + static_cast<char>(size % 5)));
        // The newest access decides: one blob recent-ish, one older.
        set_times(store.blob_path(repo, a.etag), days_ago(age_days), days_ago(age_days + 5));
        set_times(store.blob_path(repo, b.etag), days_ago(age_days + 3), days_ago(age_days + 5));
    }
    bool present(const std::string& repo) const { return fs::exists(store.repo_dir(repo)); }
};

std::vector<std::string> names(const cache::CleanReport& r) {
    std::vector<std::string> out;
    for (const auto& x : r.removed) out.push_back(x.repo);
    return out;
}

} // namespace

TEST_CASE("cache: clean removes least recently used repos until under the size budget") {
    ThreeRepos c;
    cache::CleanOptions opts;
    opts.max_bytes = 5000;
    auto report = cache::clean(c.tmp.path(), opts);
    REQUIRE(report);
    CHECK(report->total_before == 7000);
    CHECK(names(*report) == std::vector<std::string>{"org/old", "org/mid"});
    CHECK(report->freed_bytes == 3000);
    CHECK(report->total_after == 4000);
    CHECK(report->removed[0].reason == "max_bytes");
    CHECK(report->removed[0].last_access < report->removed[1].last_access);
    CHECK_FALSE(c.present("org/old"));
    CHECK_FALSE(c.present("org/mid"));
    CHECK(c.present("org/new"));

    SUBCASE("a budget already met removes nothing") {
        opts.max_bytes = 4000;
        auto again = cache::clean(c.tmp.path(), opts);
        REQUIRE(again);
        CHECK(again->removed.empty());
        CHECK(again->total_after == 4000);
    }
}

TEST_CASE("cache: clean ordering follows access times, not names or sizes") {
    ThreeRepos c;
    // Touch the old repo's blob: it becomes the most recently used.
    auto scan = cache::scan_repo(c.tmp.path(), "org/old");
    REQUIRE(scan);
    set_times(c.store.blob_path("org/old", scan->blobs.begin()->first), days_ago(0), days_ago(40));
    cache::CleanOptions opts;
    opts.max_bytes = 1000;
    opts.dry_run = true;
    auto report = cache::clean(c.tmp.path(), opts);
    REQUIRE(report);
    CHECK(names(*report) == std::vector<std::string>{"org/mid", "org/new"});
}

TEST_CASE("cache: clean --older-than removes repos not used for that long") {
    ThreeRepos c;
    cache::CleanOptions opts;
    opts.older_than = std::chrono::hours(24 * 7);
    auto report = cache::clean(c.tmp.path(), opts);
    REQUIRE(report);
    CHECK(names(*report) == std::vector<std::string>{"org/old", "org/mid"});
    CHECK(report->removed[0].reason == "older_than");
    CHECK(c.present("org/new"));
    CHECK(report->total_after == 4000);
}

TEST_CASE("cache: clean --dry-run reports and changes nothing") {
    ThreeRepos c;
    auto before = cache::scan_cache(c.tmp.path());
    cache::CleanOptions opts;
    opts.max_bytes = 0;
    opts.older_than = std::chrono::hours(24);
    opts.dry_run = true;
    auto report = cache::clean(c.tmp.path(), opts);
    REQUIRE(report);
    CHECK(report->dry_run);
    CHECK(report->removed.size() == 3);
    CHECK(report->freed_bytes == 7000);
    CHECK(report->total_after == 0);
    auto after = cache::scan_cache(c.tmp.path());
    REQUIRE(after.repos.size() == 3);
    CHECK(after.size_on_disk == before.size_on_disk);
    for (std::size_t i = 0; i < 3; ++i) CHECK(after.repos[i].blobs.size() == before.repos[i].blobs.size());
}

TEST_CASE("cache: clean skips a repo whose blob lock is held") {
    ThreeRepos c;
    auto scan = cache::scan_repo(c.tmp.path(), "org/old");
    REQUIRE(scan);
    auto lock = cache::BlobLock::try_acquire(c.store.lock_path("org/old", scan->blobs.begin()->first));
    REQUIRE(lock);
    REQUIRE(lock->held());
    cache::CleanOptions opts;
    opts.max_bytes = 5000; // old is skipped, so mid goes instead
    auto report = cache::clean(c.tmp.path(), opts);
    REQUIRE(report);
    CHECK(report->skipped_busy == std::vector<std::string>{"org/old"});
    CHECK(c.present("org/old"));
    CHECK_FALSE(c.present("org/mid"));
    CHECK(c.present("org/new"));
    CHECK(report->total_after == 5000);
}

TEST_CASE("cache: clean --older-than drops stale partials but not fresh or locked ones") {
    ThreeRepos c;
    const std::string repo = "org/new";
    auto stale = sha256_of("stale"), fresh = sha256_of("fresh"), locked = sha256_of("locked");
    write_file(c.store.partial_path(repo, stale), std::string(300, 's'));
    write_file(c.store.partial_path(repo, stale).string() + ".journal", std::string(20, 'j'));
    write_file(c.store.partial_path(repo, fresh), std::string(200, 'f'));
    write_file(c.store.partial_path(repo, locked), std::string(100, 'l'));
    set_times(c.store.partial_path(repo, stale), days_ago(20), days_ago(20));
    set_times(c.store.partial_path(repo, locked), days_ago(20), days_ago(20));
    auto lock = cache::BlobLock::try_acquire(c.store.lock_path(repo, locked));
    REQUIRE(lock);
    REQUIRE(lock->held());

    cache::CleanOptions opts;
    opts.older_than = std::chrono::hours(24 * 14);
    auto report = cache::clean(c.tmp.path(), opts);
    REQUIRE(report);
    CHECK(names(*report) == std::vector<std::string>{"org/old"});
    REQUIRE(report->removed_partials.size() == 1);
    CHECK(report->removed_partials[0].etag == stale);
    CHECK(report->removed_partials[0].bytes == 320);
    CHECK(report->freed_bytes == 1000 + 320);
    CHECK_FALSE(fs::exists(c.store.partial_path(repo, stale)));
    CHECK_FALSE(fs::exists(c.store.partial_path(repo, stale).string() + ".journal"));
    CHECK(fs::exists(c.store.partial_path(repo, fresh)));
    CHECK(fs::exists(c.store.partial_path(repo, locked)));
}

TEST_CASE("cache: stats counts repos, unique blob bytes, files, revisions and free space") {
    ThreeRepos c;
    // A second revision of org/new sharing one blob and adding one file.
    auto scan = cache::scan_repo(c.tmp.path(), "org/new");
    REQUIRE(scan);
    auto shared = RepoFile{"a.bin", 2000, scan->revisions[0].files[0].etag, true};
    REQUIRE(c.store.link_existing_blob("org/new", k_commit_b, shared));
    put(c.store, "org/new", k_commit_b, "c.bin", std::string(500, 'c'));
    write_file(c.store.partial_path("org/new", sha256_of("p")), std::string(70, 'p'));

    auto s = cache::stats(c.tmp.path());
    CHECK(s.total_repos == 3);
    CHECK(s.total_size == 7500);
    CHECK(s.partial_bytes == 70);
    REQUIRE(s.disk_free);
    CHECK(*s.disk_free > 0);
    REQUIRE(s.repos.size() == 3);
    CHECK(s.repos[0].repo == "org/new"); // largest first
    CHECK(s.repos[0].size == 4500);
    CHECK(s.repos[0].files == 3);
    CHECK(s.repos[0].revisions == 2);
    CHECK(s.repos[0].partial_bytes == 70);
    CHECK(s.repos[2].repo == "org/old");
    CHECK(s.repos[2].files == 2);
    CHECK(s.repos[2].last_access < s.repos[1].last_access);

    auto free_missing = cache::disk_free(c.tmp.path() / "not" / "yet" / "there");
    REQUIRE(free_missing);
    CHECK(*free_missing > 0);
    CHECK(cache::stats(c.tmp.path() / "no-cache-here").total_repos == 0);
}
