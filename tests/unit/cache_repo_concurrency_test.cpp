// Concurrent operations on one repo (ARCHITECTURE.md, "Concurrent operations on one repo"):
// deletes serialize, a delete during a download is LOCKED and names the job, another process's
// blob lock makes a delete LOCKED too.
#include "cache_test_util.hpp"

#include "core/cache/lock.hpp"
#include "core/service/service.hpp"

#include "test_latch.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace cache_test;
using namespace tabagent;

namespace {


struct Fixture {
    TempDir tmp;
    Store store{tmp.path() / "hub"};
    service::ModelService models{make_config()};
    std::uint64_t q4_bytes = 0, total_bytes = 0;

    Config make_config() const {
        Config config;
        config.cache_root = tmp.path() / "hub";
        config.data_dir = tmp.path() / "data";
        config.offline = true;
        return config;
    }
    // A repo with two variants and a common file, and its saved listing, as a download leaves them.
    void fill() {
        const std::string q4(4000, '4'), fp16(16000, 'f'), config = "{\"model_type\":\"x\"}";
        model::RepoListing listing{k_repo, "main", k_commit_a, "", false, false, {}};
        listing.files.push_back(put(store, k_repo, k_commit_a, "onnx/model_q4.onnx", q4));
        listing.files.push_back(put(store, k_repo, k_commit_a, "onnx/model_fp16.onnx", fp16));
        listing.files.push_back(put(store, k_repo, k_commit_a, "config.json", config, false));
        REQUIRE(service::ListingStore(models.config().manifests_dir()).save(listing));
        q4_bytes = q4.size();
        total_bytes = q4.size() + fp16.size() + config.size();
    }
};

// Two deletes released together; returns both answers.
std::pair<Result<std::uint64_t>, Result<std::uint64_t>> delete_twice(service::ModelService& models,
                                                                     const std::string& quant) {
    tabagent::test::Latch start(2);
    Result<std::uint64_t> first, second;
    {
        std::jthread a([&] {
            start.arrive_and_wait();
            first = models.delete_model(k_repo, quant);
        });
        std::jthread b([&] {
            start.arrive_and_wait();
            second = models.delete_model(k_repo, quant);
        });
    }
    return {std::move(first), std::move(second)};
}

} // namespace

TEST_CASE("cache: two deletes of one repo at once: one frees it, the other finds it gone") {
    Fixture f;
    for (int round = 0; round < 10; ++round) {
        CAPTURE(round);
        f.fill();
        auto [a, b] = delete_twice(f.models, "");
        REQUIRE(a.has_value() != b.has_value());
        const auto& winner = a ? a : b;
        const auto& loser = a ? b : a;
        CHECK(*winner == f.total_bytes);
        CHECK(loser.error().code == ErrorCode::not_found);
        CHECK(loser.error().message == "model is not in the cache");
        CHECK_FALSE(fs::exists(f.store.repo_dir(k_repo)));
    }
}

// With the listing known, the variant is still a variant of the repo once its files are gone: the
// second delete frees nothing. (Without a saved listing the variant vanishes with its files and
// the second answers NOT_FOUND "no variant", as a delete after the first always did.)
TEST_CASE("cache: two deletes of one variant at once: one frees it, the other frees nothing") {
    Fixture f;
    for (int round = 0; round < 10; ++round) {
        CAPTURE(round);
        f.fill();
        auto [a, b] = delete_twice(f.models, "q4");
        REQUIRE(a);
        REQUIRE(b);
        CHECK(std::min(*a, *b) == 0);
        CHECK(std::max(*a, *b) == f.q4_bytes);
        CHECK(f.store.find_file(k_repo, "onnx/model_fp16.onnx", k_commit_a));
    }
    SUBCASE("once the repo is gone, a variant delete answers like a repo delete") {
        REQUIRE(f.models.delete_model(k_repo, ""));
        for (const std::string quant : {"", "q4"}) {
            auto again = f.models.delete_model(k_repo, quant);
            REQUIRE_FALSE(again);
            CHECK(again.error().code == ErrorCode::not_found);
            CHECK(again.error().message == "model is not in the cache");
        }
    }
}

TEST_CASE("cache: a delete during a download of the repo is LOCKED and names the job") {
    Fixture f;
    f.fill();
    {
        auto downloading = f.models.repo_activity().begin_download(k_repo, "j_0123456789ab");
        for (const std::string quant : {"", "q4"}) {
            auto refused = f.models.delete_model(k_repo, quant);
            REQUIRE_FALSE(refused);
            CHECK(refused.error().code == ErrorCode::locked);
            CHECK(refused.error().message.find("j_0123456789ab") != std::string::npos);
            CHECK(refused.error().details["jobId"] == "j_0123456789ab");
            CHECK(f.store.find_file(k_repo, "onnx/model_q4.onnx", k_commit_a));
        }
        auto other = f.models.delete_model("org/other", "");
        CHECK(other.error().code == ErrorCode::not_found); // other repos are not held up
    }
    auto freed = f.models.delete_model(k_repo, "");
    REQUIRE(freed);
    CHECK(*freed == f.total_bytes);
}

TEST_CASE("cache: a delete while another process holds a blob lock of the repo is LOCKED") {
    Fixture f;
    f.fill();
    const auto lock_path = f.store.lock_path(k_repo, sha256_of(std::string(4000, '4')));
    {
        // A second open file description: to flock, this is another process downloading the blob.
        auto held = cache::BlobLock::try_acquire(lock_path);
        REQUIRE(held);
        REQUIRE(held->held());
        auto refused = f.models.delete_model(k_repo, "");
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::locked);
        CHECK(refused.error().details["lock"] == lock_path.string());
        CHECK(fs::exists(f.store.repo_dir(k_repo)));
    }
    CHECK(f.models.delete_model(k_repo, ""));
}

TEST_CASE("cache: deletes of one repo take turns and a download waits for a running delete") {
    service::RepoActivity activity;
    auto deleting = activity.begin_delete(k_repo);
    REQUIRE(deleting);
    std::atomic<bool> got_in{false};
    bool second_delete_allowed = false;
    std::jthread waiter;
    SUBCASE("a second delete") {
        waiter = std::jthread([&] {
            auto again = activity.begin_delete(k_repo);
            second_delete_allowed = again.has_value();
            got_in = true;
        });
    }
    SUBCASE("a download") {
        waiter = std::jthread([&] {
            auto handle = activity.begin_download(k_repo, "j_1");
            second_delete_allowed = true;
            got_in = true;
        });
    }
    REQUIRE(activity.begin_delete("org/other")); // another repo is never held up by this one
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // a chance to go wrong; asserts no time
    CHECK_FALSE(got_in.load());
    deleting->release();
    waiter.join();
    CHECK(got_in.load());
    CHECK(second_delete_allowed);
    CHECK(activity.downloads_of(k_repo).empty()); // the handle went with its thread
}
