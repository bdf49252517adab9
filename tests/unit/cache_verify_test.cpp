#include "cache_test_util.hpp"

#include "core/cache/hub_metadata.hpp"
#include "core/cache/verify.hpp"
#include "core/service/service.hpp"

#include <doctest/doctest.h>

#include "core/platform/file.hpp"

using namespace cache_test;
using namespace tabagent;

namespace {

void flip_byte(const fs::path& path, std::uint64_t offset) {
    auto file = platform::File::open_write(path);
    REQUIRE(file);
    std::byte c{};
    auto got = file->pread_some(std::span(&c, 1), offset);
    REQUIRE(got);
    REQUIRE(*got == 1);
    c ^= std::byte{0x01};
    REQUIRE(file->pwrite_all(&c, 1, offset));
}

const cache::BlobCheck* find(const cache::VerifyReport& r, const std::string& etag) {
    for (const auto& b : r.blobs)
        if (b.etag == etag) return &b;
    return nullptr;
}
} // namespace

TEST_CASE("cache: verify detects a flipped byte and removes the bad blob on request") {
    TempDir tmp;
    Store store(tmp.path());
    const std::string big(3 * 1024 * 1024 + 17, 'm'); // several hashing chunks
    auto weights = put(store, k_repo, k_commit_a, "onnx/model.onnx", big);
    auto config = put(store, k_repo, k_commit_a, "config.json", "{\"x\":1}", false);

    SUBCASE("a clean cache verifies ok, with progress up to the total") {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
        auto report = cache::verify(tmp.path(), std::nullopt, false,
                                    [&](std::uint64_t done, std::uint64_t total) { calls.emplace_back(done, total); });
        REQUIRE(report);
        CHECK(report->ok == 2);
        CHECK(report->bad == 0);
        CHECK(report->bytes_hashed == big.size() + 7);
        REQUIRE(calls.size() >= 4);
        for (std::size_t i = 1; i < calls.size(); ++i) CHECK(calls[i].first >= calls[i - 1].first);
        CHECK(calls.back().first == big.size() + 7);
        CHECK(calls.back().second == big.size() + 7);
        auto w = find(*report, weights.etag);
        REQUIRE(w);
        CHECK(w->files == std::vector<std::string>{"onnx/model.onnx"});
    }
    SUBCASE("a flipped byte is bad; remove_bad deletes it and the link then reads as absent") {
        flip_byte(store.blob_path(k_repo, weights.etag), 2 * 1024 * 1024 + 5);
        auto report = cache::verify(tmp.path(), k_repo, false);
        REQUIRE(report);
        CHECK(report->bad == 1);
        CHECK(report->ok == 1);
        CHECK(find(*report, weights.etag)->state == cache::BlobState::bad);
        CHECK_FALSE(find(*report, weights.etag)->removed);
        CHECK(fs::exists(store.blob_path(k_repo, weights.etag)));

        auto fixed = cache::verify(tmp.path(), k_repo, true);
        REQUIRE(fixed);
        CHECK(fixed->bad == 1);
        CHECK(find(*fixed, weights.etag)->removed);
        CHECK_FALSE(fs::exists(store.blob_path(k_repo, weights.etag)));
        CHECK_FALSE(store.find_file(k_repo, "onnx/model.onnx", k_commit_a));
        CHECK(store.find_file(k_repo, "config.json", k_commit_a));

        // Now the dangling link shows up as missing.
        auto after = cache::verify(tmp.path(), k_repo, false);
        REQUIRE(after);
        CHECK(after->missing == 1);
        CHECK(after->bad == 0);
        CHECK(find(*after, weights.etag)->state == cache::BlobState::missing);
    }
    SUBCASE("a git-sha1 blob is checked too") {
        flip_byte(store.blob_path(k_repo, config.etag), 0);
        auto report = cache::verify(tmp.path(), k_repo, false);
        REQUIRE(report);
        CHECK(find(*report, config.etag)->state == cache::BlobState::bad);
    }
    SUBCASE("blobs whose name is not a hash are unverifiable, never bad") {
        write_file(store.blobs_dir(k_repo) / "W-not-a-hash", "whatever");
        auto report = cache::verify(tmp.path(), k_repo, true);
        REQUIRE(report);
        CHECK(report->unverifiable == 1);
        CHECK(report->bad == 0);
        CHECK(fs::exists(store.blobs_dir(k_repo) / "W-not-a-hash"));
    }
    SUBCASE("a stop request ends the run early") {
        std::stop_source stop;
        auto report = cache::verify(tmp.path(), k_repo, false,
                                    [&](std::uint64_t, std::uint64_t) { stop.request_stop(); }, stop.get_token());
        REQUIRE(report);
        CHECK(report->cancelled);
        CHECK(report->bytes_hashed < big.size() + 7);
    }
    SUBCASE("unknown or invalid repos are errors") {
        CHECK(cache::verify(tmp.path(), std::string("org/none"), false).error().code == ErrorCode::not_found);
        CHECK(cache::verify(tmp.path(), std::string("a--b/c"), false).error().code == ErrorCode::invalid_repo);
    }
}

TEST_CASE("cache: verify of a degraded cache hashes the snapshot's files against trees/<commit>.json") {
    TempDir tmp;
    Store store(tmp.path());
    LinksRefused refused;
    const std::string big(2 * 1024 * 1024 + 3, 'w');
    auto weights = put(store, k_repo, k_commit_a, "onnx/model.onnx", big);
    auto config = put(store, k_repo, k_commit_a, "config.json", "{\"x\":1}", false);
    const auto weights_path = store.snapshot_file_path(k_repo, k_commit_a, "onnx/model.onnx");
    // Degraded as huggingface_hub's _create_symlink leaves it: the blob moved into the snapshot.
    REQUIRE(platform::lstat(weights_path));
    CHECK(platform::lstat(weights_path)->kind == platform::Kind::regular);
    CHECK_FALSE(fs::exists(store.blob_path(k_repo, weights.etag)));

    SUBCASE("without the commit's listing the copies are unverifiable, never bad") {
        auto report = cache::verify(tmp.path(), k_repo, true);
        REQUIRE(report);
        CHECK(report->unverifiable == 2);
        CHECK(report->ok == 0);
        CHECK(report->bad == 0);
        CHECK(fs::exists(weights_path));
    }

    weights.blob_id = git_sha1_of("version https://git-lfs.github.com/spec/v1\n");
    model::RepoListing listing{k_repo, "main", k_commit_a, "", false, false, {weights, config}};
    REQUIRE(cache::write_tree_cache(store, listing));

    SUBCASE("each copy is hashed and reported like a linked blob") {
        auto report = cache::verify(tmp.path(), std::nullopt, false);
        REQUIRE(report);
        CHECK(report->ok == 2);
        CHECK(report->unverifiable == 0);
        CHECK(report->missing == 0);
        CHECK(report->bytes_hashed == big.size() + 7);
        auto w = find(*report, weights.etag);
        REQUIRE(w);
        CHECK(w->path == weights_path);
        CHECK(w->files == std::vector<std::string>{"onnx/model.onnx"});
        REQUIRE(find(*report, config.etag));
        CHECK(find(*report, config.etag)->state == cache::BlobState::ok);
    }
    SUBCASE("a flipped byte in a copy is bad; remove_bad deletes the copy") {
        flip_byte(weights_path, 1024 * 1024 + 9);
        auto report = cache::verify(tmp.path(), k_repo, true);
        REQUIRE(report);
        CHECK(report->bad == 1);
        CHECK(report->ok == 1);
        CHECK(find(*report, weights.etag)->removed);
        CHECK_FALSE(store.find_file(k_repo, "onnx/model.onnx", k_commit_a));
        CHECK(store.find_file(k_repo, "config.json", k_commit_a));
    }
}

TEST_CASE("service: has_file names the etag of a copy in a degraded cache from trees/<commit>.json") {
    TempDir tmp;
    Config config;
    config.cache_root = tmp.path() / "hub";
    config.data_dir = tmp.path() / "data";
    config.offline = true;
    config.auto_resume_jobs = false;
    Store store(config.cache_root);
    auto linked = put(store, k_repo, k_commit_a, "config.json", "{\"x\":1}", false);
    RepoFile copied;
    {
        LinksRefused refused;
        copied = put(store, k_repo, k_commit_a, "onnx/model.onnx", std::string(4096, 'w'));
    }
    service::ModelService models(config);

    // The file server's ETag: a link names its blob, a copy does not...
    auto link = models.has_file(k_repo, "config.json", k_commit_a);
    REQUIRE(link);
    // Without link rights (Wine, Windows without Developer Mode) it was published as a copy too.
    if (link->blob_path != link->path) CHECK(link->etag == linked.etag); // a link to its blob
    auto copy = models.has_file(k_repo, "onnx/model.onnx", k_commit_a);
    REQUIRE(copy);
    REQUIRE(copy->exists);
    CHECK(copy->blob_path == copy->path);
    CHECK(copy->etag.empty());
    // ...until the commit's listing (written beside every download) is there.
    copied.blob_id = git_sha1_of("version https://git-lfs.github.com/spec/v1\n"); // an LFS pointer's id
    model::RepoListing listing{k_repo, "main", k_commit_a, "", false, false, {linked, copied}};
    REQUIRE(cache::write_tree_cache(store, listing));
    copy = models.has_file(k_repo, "onnx/model.onnx", k_commit_a);
    REQUIRE(copy);
    CHECK(copy->etag == copied.etag);
}
