#include "cache_test_util.hpp"

#include "core/cache/delete.hpp"
#include "core/cache/lock.hpp"
#include "core/cache/scan.hpp"
#include "core/cache/stats.hpp"

#include <doctest/doctest.h>

using namespace cache_test;
using namespace tabagent;

namespace {
}

TEST_CASE("cache: deleting one variant keeps shared blobs and frees exact bytes") {
    TempDir tmp;
    Store store(tmp.path());
    const std::string q4(4000, '4'), q4_data(9000, 'd'), fp16(16000, 'f'), config("{}"), tok("{\"t\":1}");
    put(store, k_repo, k_commit_a, "config.json", config, false);
    put(store, k_repo, k_commit_a, "tokenizer.json", tok, false);
    auto q4f = put(store, k_repo, k_commit_a, "onnx/model_q4.onnx", q4);
    put(store, k_repo, k_commit_a, "onnx/model_q4.onnx_data", q4_data);
    auto fp16f = put(store, k_repo, k_commit_a, "onnx/model_fp16.onnx", fp16);
    // An older revision links the same q4 weights.
    REQUIRE(store.link_existing_blob(k_repo, k_commit_b, q4f));

    SUBCASE("the variant goes from every snapshot") {
        auto freed = cache::delete_files(tmp.path(), k_repo,
                                         {"onnx/model_q4.onnx", "onnx/model_q4.onnx_data"});
        REQUIRE(freed);
        CHECK(*freed == q4.size() + q4_data.size());
        CHECK_FALSE(store.find_file(k_repo, "onnx/model_q4.onnx", k_commit_a));
        CHECK_FALSE(store.find_file(k_repo, "onnx/model_q4.onnx", k_commit_b));
        CHECK_FALSE(store.has_blob(k_repo, q4f.etag));
    }
    SUBCASE("a blob another revision links under another name stays") {
        auto renamed = q4f;
        renamed.path = "model_q4_renamed.onnx";
        REQUIRE(store.link_existing_blob(k_repo, k_commit_c, renamed));
        auto freed = cache::delete_files(tmp.path(), k_repo,
                                         {"onnx/model_q4.onnx", "onnx/model_q4.onnx_data"});
        REQUIRE(freed);
        CHECK(*freed == q4_data.size());
        CHECK(store.has_blob(k_repo, q4f.etag));
        CHECK(store.find_file(k_repo, "model_q4_renamed.onnx", k_commit_c));
    }
    SUBCASE("shared common files are kept when only the variant goes") {
        auto freed = cache::delete_files(tmp.path(), k_repo, {"onnx/model_fp16.onnx"});
        REQUIRE(freed);
        CHECK(*freed == fp16.size());
        CHECK_FALSE(store.has_blob(k_repo, fp16f.etag));
        CHECK(store.find_file(k_repo, "config.json", k_commit_a));
        CHECK(store.find_file(k_repo, "onnx/model_q4.onnx", k_commit_a));
        CHECK(store.find_file(k_repo, "onnx/model_q4.onnx", k_commit_b));
    }
    SUBCASE("a blob linked under two paths of one snapshot is kept until both go") {
        // Identical content under two names -> one blob.
        auto dup = put(store, k_repo, k_commit_a, "onnx/model_q4_copy.onnx", q4);
        CHECK(dup.etag == q4f.etag);
        REQUIRE(cache::delete_files(tmp.path(), k_repo, {"onnx/model_q4.onnx"}));
        CHECK(store.has_blob(k_repo, q4f.etag));
    }
    SUBCASE("removing everything removes the repo and its empty folders") {
        auto before = cache::scan_repo(tmp.path(), k_repo);
        REQUIRE(before);
        auto freed = cache::delete_files(tmp.path(), k_repo,
                                         {"config.json", "tokenizer.json", "onnx/model_q4.onnx",
                                          "onnx/model_q4.onnx_data", "onnx/model_fp16.onnx"});
        REQUIRE(freed);
        CHECK(*freed == before->size_on_disk);
        CHECK_FALSE(fs::exists(store.repo_dir(k_repo)));
    }
    SUBCASE("emptied nested folders are pruned") {
        REQUIRE(cache::delete_files(tmp.path(), k_repo,
                                    {"onnx/model_q4.onnx", "onnx/model_q4.onnx_data", "onnx/model_fp16.onnx"}));
        CHECK_FALSE(fs::exists(store.snapshot_dir(k_repo, k_commit_a) / "onnx"));
        CHECK_FALSE(fs::exists(store.snapshot_dir(k_repo, k_commit_b))); // its only file went
        CHECK(fs::exists(store.snapshot_dir(k_repo, k_commit_a) / "config.json"));
    }
    SUBCASE("bad names are refused before anything is touched") {
        CHECK(cache::delete_files(tmp.path(), k_repo, {"config.json", "../x"}).error().code ==
              ErrorCode::invalid_path);
        CHECK(store.find_file(k_repo, "config.json", k_commit_a));
        CHECK(cache::delete_files(tmp.path(), "nope/none", {"a"}).error().code == ErrorCode::not_found);
    }
}

TEST_CASE("cache: delete never follows a link out of the repo") {
    TempDir tmp;
    Store store(tmp.path());
    put(store, k_repo, k_commit_a, "config.json", "{}", false);
    write_file(tmp.path() / "outside.bin", "precious");
    auto snap = store.snapshot_dir(k_repo, k_commit_a);
    fs::create_symlink("../../../outside.bin", snap / "evil.bin");
    auto freed = cache::delete_files(tmp.path(), k_repo, {"evil.bin"});
    REQUIRE(freed);
    CHECK(*freed == 0);
    CHECK(read_file(tmp.path() / "outside.bin") == "precious");
    CHECK_FALSE(fs::is_symlink(snap / "evil.bin"));

    fs::create_symlink("../../../outside.bin", snap / "evil2.bin");
    auto all = cache::delete_repo(tmp.path(), k_repo);
    REQUIRE(all);
    CHECK(read_file(tmp.path() / "outside.bin") == "precious");
}

TEST_CASE("cache: delete_repo removes the folder, partials and lock files") {
    TempDir tmp;
    Store store(tmp.path());
    const std::string a(1234, 'a'), b(4321, 'b');
    auto fa = put(store, k_repo, k_commit_a, "a.bin", a);
    put(store, k_repo, k_commit_a, "b.bin", b);
    REQUIRE(store.write_ref(k_repo, "main", k_commit_a));
    write_file(store.partial_path(k_repo, sha256_of("c")), std::string(500, 'c'));
    {
        auto lock = cache::BlobLock::try_acquire(store.lock_path(k_repo, fa.etag));
        REQUIRE(lock);
        REQUIRE(lock->held());
    }
    put(store, "org/other", k_commit_a, "keep.bin", "keep");
    REQUIRE(fs::exists(store.locks_dir(k_repo)));

    auto freed = cache::delete_repo(tmp.path(), k_repo);
    REQUIRE(freed);
    CHECK(*freed == a.size() + b.size() + 500 + 40); // blobs + partial + refs/main
    CHECK_FALSE(fs::exists(store.repo_dir(k_repo)));
    CHECK_FALSE(fs::exists(store.locks_dir(k_repo)));
    CHECK(store.find_file("org/other", "keep.bin", k_commit_a));

    CHECK(cache::delete_repo(tmp.path(), k_repo).error().code == ErrorCode::not_found);
    CHECK(cache::delete_repo(tmp.path(), "../etc").error().code == ErrorCode::invalid_repo);
}

TEST_CASE("cache: a degraded snapshot's regular files are counted, never orphans, and delete frees them") {
    TempDir tmp;
    Store store(tmp.path());
    LinksRefused refused;
    const std::string weights(4096, 'w'), shared(100, 't');
    put(store, k_repo, k_commit_a, "onnx/model.onnx", weights);
    put(store, k_repo, k_commit_a, "tokenizer.json", shared);
    put(store, k_repo, k_commit_b, "tokenizer.json", shared); // a second copy of the same content

    auto scan = cache::scan_repo(tmp.path(), k_repo);
    REQUIRE(scan);
    CHECK(scan->warnings.empty());
    CHECK(scan->blobs.empty()); // nothing left in blobs/: no orphan to report or clean
    CHECK(scan->file_count == 2);
    CHECK(scan->size_on_disk == weights.size() + 2 * shared.size());

    auto st = cache::stats(tmp.path());
    CHECK(st.link_mode == cache::LinkMode::degraded);
    REQUIRE(st.repos.size() == 1);
    CHECK(st.repos[0].files == 2);
    CHECK(st.repos[0].size == weights.size() + 2 * shared.size());

    auto freed = cache::delete_files(tmp.path(), k_repo, {"tokenizer.json"});
    REQUIRE(freed);
    CHECK(*freed == 2 * shared.size());
    CHECK(store.find_file(k_repo, "onnx/model.onnx", k_commit_a));
    CHECK_FALSE(store.find_file(k_repo, "tokenizer.json", k_commit_b));

    freed = cache::delete_files(tmp.path(), k_repo, {"onnx/model.onnx"});
    REQUIRE(freed);
    CHECK(*freed == weights.size());
    CHECK_FALSE(fs::exists(store.repo_dir(k_repo))); // nothing of the model left
}
