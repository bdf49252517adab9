// What other tools leave in the cache (huggingface_hub 1.x, llama.cpp), read and written as they
// do. Each case cites the upstream source it follows.
#include "cache_test_util.hpp"

#include "core/cache/clean.hpp"
#include "core/cache/hub_metadata.hpp"
#include "core/cache/lock.hpp"
#include "core/cache/partials.hpp"
#include "core/cache/scan.hpp"
#include "core/cache/stats.hpp"
#include "core/service/service.hpp"
#include "core/util/fd.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace cache_test;
using namespace tabagent;
using cache::PartialKind;

namespace {

const cache::ScannedPartial* partial_named(const cache::ScannedRepo& r, const std::string& file) {
    for (const auto& p : r.partials)
        if (p.file == file) return &p;
    return nullptr;
}
} // namespace

TEST_CASE("cache peers: partial names of every writer") {
    const std::string etag = sha256_of("x");
    // Ours, and huggingface_hub 0.x: blob_path + ".incomplete".
    auto ours = cache::parse_partial_name(etag + ".incomplete");
    REQUIRE(ours);
    CHECK(ours->etag == etag);
    CHECK(ours->kind == PartialKind::incomplete);
    // huggingface_hub 1.x, file_download.py `_download_to_tmp_and_move`:
    // incomplete_path.with_name(f"{incomplete_path.stem}.{uuid.uuid4().hex[:8]}.incomplete").
    auto hf = cache::parse_partial_name(etag + ".0f3a9c1b.incomplete");
    REQUIRE(hf);
    CHECK(hf->etag == etag);
    CHECK(hf->kind == PartialKind::huggingface_hub);
    // llama.cpp, common/download.cpp `common_download_file_single_online`:
    // path_temporary = path + ".downloadInProgress", path being blobs/<oid> (common/hf-cache.cpp).
    auto llama = cache::parse_partial_name(etag + ".downloadInProgress");
    REQUIRE(llama);
    CHECK(llama->etag == etag);
    CHECK(llama->kind == PartialKind::llama_cpp);

    CHECK_FALSE(cache::parse_partial_name(etag));
    CHECK_FALSE(cache::parse_partial_name(etag + ".incomplete.journal"));
    CHECK_FALSE(cache::parse_partial_name(etag + ".lock"));
    CHECK_FALSE(cache::parse_partial_name(etag + ".XYZ.incomplete")); // not 8 lower-hex
    CHECK_FALSE(cache::parse_partial_name(".incomplete"));
    CHECK(cache::is_partial_side_file(etag + ".incomplete.journal"));
    CHECK_FALSE(cache::is_partial_side_file(etag));
}

TEST_CASE("cache peers: other tools' partials are unfinished bytes, never blobs") {
    TempDir tmp;
    Store store(tmp.path());
    auto done = put(store, k_repo, k_commit_a, "model-Q8_0.gguf", std::string(1000, 'q'));
    const auto blobs = store.blobs_dir(k_repo);
    const auto hf_etag = sha256_of("hf"), llama_etag = sha256_of("llama");
    write_file(blobs / (hf_etag + ".1a2b3c4d.incomplete"), std::string(300, 'h'));
    write_file(blobs / (llama_etag + ".downloadInProgress"), std::string(200, 'l'));
    write_file(blobs / (done.etag + ".incomplete.journal"), "{}");
    write_file(blobs / (llama_etag + ".lock"), ""); // a lock beside the blob: no content
    // llama.cpp without symlinks downloads straight into the snapshot (common/hf-cache.cpp,
    // `get_repo_files`: "degraded mode", local_path = snapshot path).
    write_file(store.snapshot_dir(k_repo, k_commit_a) / "model-Q4_K_M.gguf.downloadInProgress", std::string(50, 'd'));

    auto scan = cache::scan_repo(tmp.path(), k_repo);
    REQUIRE(scan);
    CHECK(scan->warnings.empty());
    CHECK(scan->blobs.size() == 1);
    CHECK(scan->size_on_disk == 1000);
    CHECK(scan->partial_bytes == 550);
    REQUIRE(scan->partials.size() == 3);
    auto* hf = partial_named(*scan, "blobs/" + hf_etag + ".1a2b3c4d.incomplete");
    REQUIRE(hf);
    CHECK(hf->etag == hf_etag);
    CHECK(hf->kind == PartialKind::huggingface_hub);
    auto* llama = partial_named(*scan, "blobs/" + llama_etag + ".downloadInProgress");
    REQUIRE(llama);
    CHECK(llama->kind == PartialKind::llama_cpp);
    auto* degraded = partial_named(*scan, "snapshots/" + std::string(k_commit_a) + "/model-Q4_K_M.gguf.downloadInProgress");
    REQUIRE(degraded);
    CHECK(degraded->etag.empty());
    REQUIRE(scan->revisions.size() == 1);
    CHECK(scan->revisions[0].files.size() == 1); // the snapshot partial is not a file of the revision
    CHECK(scan->file_count == 1);
    REQUIRE(store.write_ref(k_repo, "main", k_commit_a));
    CHECK_FALSE(store.find_file(k_repo, "model-Q4_K_M.gguf.downloadInProgress")); // has_file agrees
    CHECK_FALSE(store.find_file(k_repo, "model-Q4_K_M.gguf"));

    auto st = cache::stats(tmp.path());
    CHECK(st.total_size == 1000);
    CHECK(st.partial_bytes == 550);
}

TEST_CASE("cache peers: clean keeps a partial whose lock is held, drops it only when stale") {
    TempDir tmp;
    Store store(tmp.path());
    put(store, k_repo, k_commit_a, "config.json", "{}", false);
    const auto blobs = store.blobs_dir(k_repo);
    const auto held_hf = sha256_of("held-hf"), free_hf = sha256_of("free-hf"), fresh_hf = sha256_of("fresh");
    const auto held_llama = sha256_of("held-llama"), free_llama = sha256_of("free-llama");
    const auto p_held_hf = blobs / (held_hf + ".0000beef.incomplete");
    const auto p_free_hf = blobs / (free_hf + ".0000cafe.incomplete");
    const auto p_fresh_hf = blobs / (fresh_hf + ".0000f00d.incomplete");
    const auto p_held_llama = blobs / (held_llama + ".downloadInProgress");
    const auto p_free_llama = blobs / (free_llama + ".downloadInProgress");
    for (const auto& p : {p_held_hf, p_free_hf, p_fresh_hf, p_held_llama, p_free_llama}) write_file(p, "partial");
    for (const auto& p : {p_held_hf, p_free_hf, p_held_llama, p_free_llama}) set_times(p, days_ago(30), days_ago(30));
    write_file(p_free_llama.string() + ".lock", ""); // left behind, unheld (llama.cpp never deletes it)
    // huggingface_hub holds .locks/models--o--n/<etag>.lock (WeakFileLock in
    // `_hf_hub_download_to_cache_dir`) for the whole download; flock on POSIX (filelock), the
    // same call llama.cpp's common/file-lock.cpp makes. Another fd stands for another process.
    auto hf_lock = cache::BlobLock::try_acquire(store.lock_path(k_repo, held_hf));
    REQUIRE((hf_lock && hf_lock->held()));
    auto llama_lock = util::FileLock::try_lock(p_held_llama.string() + ".lock");
    REQUIRE((llama_lock && *llama_lock));

    cache::CleanOptions opts;
    opts.older_than = std::chrono::hours(24 * 14);
    SUBCASE("dry run names what would go") {
        opts.dry_run = true;
        auto report = cache::clean(tmp.path(), opts);
        REQUIRE(report);
        CHECK(report->removed_partials.size() == 2);
        CHECK(fs::exists(p_free_hf));
    }
    SUBCASE("a real run") {
        auto report = cache::clean(tmp.path(), opts);
        REQUIRE(report);
        CHECK(fs::exists(p_held_hf));
        CHECK(fs::exists(p_held_llama));
        CHECK(fs::exists(p_fresh_hf));
        CHECK_FALSE(fs::exists(p_free_hf));
        CHECK_FALSE(fs::exists(p_free_llama));
        REQUIRE(report->removed_partials.size() == 2);
        std::set<std::string> writers;
        for (const auto& r : report->removed_partials) writers.insert(r.writer);
        CHECK(writers == std::set<std::string>{"huggingface_hub", "llama.cpp"});
        // Probing another tool's lock never creates one, and removing a partial keeps its lock.
        CHECK_FALSE(fs::exists(p_free_hf.string() + ".lock"));
        CHECK_FALSE(fs::exists(store.lock_path(k_repo, free_hf)));
        CHECK_FALSE(fs::exists(blobs / (free_llama + ".lock")));
        CHECK(fs::exists(p_free_llama.string() + ".lock"));
    }
    SUBCASE("a repo with a held partial lock is not evicted for space") {
        cache::CleanOptions space;
        space.max_bytes = 0;
        auto report = cache::clean(tmp.path(), space);
        REQUIRE(report);
        CHECK(report->skipped_busy == std::vector<std::string>{k_repo});
        CHECK(fs::exists(p_held_llama));
    }
}

TEST_CASE("cache peers: a lock probe does not create the lock file") {
    TempDir tmp;
    auto path = tmp.path() / "x.lock";
    auto held = util::FileLock::held_elsewhere(path);
    REQUIRE(held);
    CHECK_FALSE(*held);
    CHECK_FALSE(fs::exists(path));
    auto lock = util::FileLock::try_lock(path);
    REQUIRE((lock && *lock));
    held = util::FileLock::held_elsewhere(path);
    REQUIRE(held);
    CHECK(*held);
    lock->unlock();
    held = util::FileLock::held_elsewhere(path);
    REQUIRE(held);
    CHECK_FALSE(*held);
}

TEST_CASE("cache peers: snapshots holding real files (HF_HUB_DISABLE_SYMLINKS) are present") {
    // huggingface_hub `_create_symlink` falls back to moving the blob into the snapshot when
    // symlinks are unavailable; llama.cpp's degraded mode downloads there directly.
    TempDir tmp;
    Store store(tmp.path());
    write_file(store.snapshot_file_path(k_repo, k_commit_a, "model-Q4_K_M.gguf"), std::string(700, 'g'));
    REQUIRE(store.write_ref(k_repo, "main", k_commit_a));
    auto found = store.find_file(k_repo, "model-Q4_K_M.gguf");
    REQUIRE(found);
    CHECK(found->size == 700);
    CHECK(found->etag.empty());
    auto scan = cache::scan_repo(tmp.path(), k_repo);
    REQUIRE(scan);
    CHECK(scan->size_on_disk == 700);
    REQUIRE(scan->revisions.size() == 1);
    REQUIRE(scan->revisions[0].files.size() == 1);
    CHECK(scan->revisions[0].files[0].is_copy);
}

TEST_CASE("cache peers: CACHEDIR.TAG is huggingface_hub's, written once") {
    // _local_folder.py CACHEDIR_TAG_CONTENT and `_create_cachedir_tag` (only when absent).
    TempDir tmp;
    auto root = tmp.path() / "hub";
    REQUIRE(cache::ensure_cachedir_tag(root));
    CHECK(read_file(root / "CACHEDIR.TAG") ==
          "Signature: 8a477f597d28d172789f06886806bc55\n"
          "# This file is a cache directory tag created by huggingface_hub.\n"
          "# For information about cache directory tags, see:\n"
          "#\thttps://bford.info/cachedir/\n");
    write_file(root / "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# another tool\n");
    REQUIRE(cache::ensure_cachedir_tag(root));
    CHECK(read_file(root / "CACHEDIR.TAG").find("another tool") != std::string::npos);
    std::size_t entries = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(root)) ++entries;
    CHECK(entries == 1); // no temp file at the root
    auto scan = cache::scan_cache(root);
    CHECK(scan.warnings.empty());
}

TEST_CASE("cache peers: trees/<commit>.json in huggingface_hub's format") {
    TempDir tmp;
    Store store(tmp.path());
    model::RepoListing listing;
    listing.repo = k_repo;
    listing.commit = k_commit_a;
    const std::string sha = sha256_of("weights");
    listing.files.push_back({"model.gguf", 1234, sha, true, "1111111111111111111111111111111111111111", ""});
    listing.files.push_back({"config.json", 519, "2222222222222222222222222222222222222222", false,
                             "2222222222222222222222222222222222222222", ""});
    listing.files.push_back({"x/w.safetensors", 10, sha256_of("w"), true, "3333333333333333333333333333333333333333",
                             "abcdef"});

    auto written = cache::write_tree_cache(store, listing);
    REQUIRE(written);
    CHECK(*written);
    const auto path = store.repo_dir(k_repo) / "trees" / (std::string(k_commit_a) + ".json");
    CHECK(cache::tree_cache_path(store, k_repo, k_commit_a) == path);
    // _tree_cache.py `write_tree_cache`: json.dump(data, f, indent=1), files sorted by path,
    // TreeCacheEntry.to_json key order.
    CHECK(read_file(path) == "{\n \"format_version\": 1,\n \"files\": {\n"
                             "  \"config.json\": {\n   \"size\": 519,\n"
                             "   \"blob_id\": \"2222222222222222222222222222222222222222\"\n  },\n"
                             "  \"model.gguf\": {\n   \"size\": 1234,\n"
                             "   \"blob_id\": \"1111111111111111111111111111111111111111\",\n"
                             "   \"lfs_sha256\": \"" + sha + "\",\n   \"lfs_size\": 1234\n  },\n"
                             "  \"x/w.safetensors\": {\n   \"size\": 10,\n"
                             "   \"blob_id\": \"3333333333333333333333333333333333333333\",\n"
                             "   \"lfs_sha256\": \"" + sha256_of("w") + "\",\n   \"lfs_size\": 10,\n"
                             "   \"xet_hash\": \"abcdef\"\n  }\n }\n}");

    auto back = cache::read_tree_cache(store, k_repo, k_commit_a);
    REQUIRE(back);
    REQUIRE(back->size() == 3);
    CHECK((*back)[1].path == "model.gguf");
    CHECK((*back)[1].etag == sha);
    CHECK((*back)[1].lfs);
    CHECK((*back)[0].etag == "2222222222222222222222222222222222222222");
    CHECK_FALSE((*back)[0].lfs);
    CHECK((*back)[2].xet_hash == "abcdef");

    SUBCASE("an existing listing of the commit is kept (a commit never changes)") {
        listing.files.pop_back();
        auto again = cache::write_tree_cache(store, listing);
        REQUIRE(again);
        CHECK_FALSE(*again);
        CHECK(cache::read_tree_cache(store, k_repo, k_commit_a)->size() == 3);
    }
    SUBCASE("an LFS file without its git blob id is not written as a wrong one") {
        listing.commit = k_commit_b;
        listing.files[0].blob_id.clear();
        auto skipped = cache::write_tree_cache(store, listing);
        REQUIRE(skipped);
        CHECK_FALSE(*skipped);
        CHECK_FALSE(fs::exists(cache::tree_cache_path(store, k_repo, k_commit_b)));
    }
    SUBCASE("another format_version or a malformed entry is ignored as a whole") {
        write_file(path, R"({"format_version": 2, "files": {}})");
        CHECK_FALSE(cache::read_tree_cache(store, k_repo, k_commit_a));
        write_file(path, R"({"format_version": 1, "files": {"a.json": {"size": 1}}})");
        CHECK_FALSE(cache::read_tree_cache(store, k_repo, k_commit_a));
        write_file(path, R"({"format_version": 1, "files": {"../x": {"size": 1, "blob_id": "ab"}}})");
        CHECK_FALSE(cache::read_tree_cache(store, k_repo, k_commit_a));
        write_file(path, "not json");
        CHECK_FALSE(cache::read_tree_cache(store, k_repo, k_commit_a));
    }
    SUBCASE("a trees folder does not disturb the scan") {
        put(store, k_repo, k_commit_a, "config.json", "{}", false);
        auto scan = cache::scan_repo(tmp.path(), k_repo);
        REQUIRE(scan);
        CHECK(scan->warnings.empty());
    }
}

TEST_CASE("cache peers: .no_exist/<commit>/<path> markers") {
    // file_download.py `_get_metadata_or_catch_error` touches .no_exist/<commit>/<filename> on
    // a 404 (EntryNotFound) and writes the ref; `try_to_load_from_cache` reads refs/<revision>,
    // then the marker.
    TempDir tmp;
    Store store(tmp.path());
    CHECK_FALSE(cache::is_known_missing(store, k_repo, "tokenizer.json", "main"));
    REQUIRE(cache::write_no_exist(store, k_repo, k_commit_a, "sub/tokenizer.json"));
    CHECK(fs::is_regular_file(store.repo_dir(k_repo) / ".no_exist" / k_commit_a / "sub" / "tokenizer.json"));
    CHECK(fs::file_size(cache::no_exist_path(store, k_repo, k_commit_a, "sub/tokenizer.json")) == 0);
    CHECK(cache::is_known_missing(store, k_repo, "sub/tokenizer.json", k_commit_a));
    CHECK_FALSE(cache::is_known_missing(store, k_repo, "sub/tokenizer.json", "main")); // no ref yet
    REQUIRE(store.write_ref(k_repo, "main", k_commit_a));
    CHECK(cache::is_known_missing(store, k_repo, "sub/tokenizer.json", "main"));
    CHECK_FALSE(cache::is_known_missing(store, k_repo, "sub/other.json", "main"));
    CHECK_FALSE(cache::is_known_missing(store, k_repo, "../x", "main"));
    CHECK_FALSE(store.find_file(k_repo, "sub/tokenizer.json")); // a marker is not a file
    REQUIRE(cache::write_no_exist(store, k_repo, k_commit_a, "sub/tokenizer.json")); // twice is fine
    CHECK_FALSE(cache::write_no_exist(store, k_repo, k_commit_a, "../escape"));
    auto scan = cache::scan_repo(tmp.path(), k_repo);
    REQUIRE(scan);
    CHECK(scan->warnings.empty());
}

TEST_CASE("cache peers: the service answers from other tools' metadata without the network") {
    TempDir dir;
    Config config;
    config.cache_root = dir.path() / "cache";
    config.data_dir = dir.path() / "home";
    config.offline = true;
    config.endpoint = "http://127.0.0.1:9";
    service::ModelService models(config);
    const auto& store = models.store();
    // A repo huggingface_hub downloaded one variant of, with its listing (trees/) and a marker for
    // a tokenizer file the Hub lacked (.no_exist), as snapshot_download / hf_hub_download leave it.
    auto q4 = put(store, k_repo, k_commit_a, "m-Q4_K_M.gguf", std::string(800, '4'));
    REQUIRE(store.write_ref(k_repo, "main", k_commit_a));
    model::RepoListing listing{k_repo, "main", k_commit_a, "", false, false, {}};
    listing.files.push_back({"m-Q4_K_M.gguf", 800, q4.etag, true, std::string(40, '1'), ""});
    listing.files.push_back({"m-Q8_0.gguf", 1600, sha256_of("q8"), true, std::string(40, '2'), ""});
    REQUIRE(cache::write_tree_cache(store, listing));
    REQUIRE(cache::write_no_exist(store, k_repo, k_commit_a, "tokenizer.json"));

    auto known = models.known_listing(k_repo);
    REQUIRE(known);
    CHECK(known->listing.files.size() == 2); // the whole listing, not only what is present
    auto manifest = models.manifest(k_repo, "native");
    REQUIRE(manifest);
    CHECK((*manifest)["quants"]["Q4_K_M"]["status"] == "downloaded");
    CHECK((*manifest)["quants"].contains("Q8_0"));

    auto missing = models.has_file(k_repo, "tokenizer.json");
    REQUIRE(missing);
    CHECK_FALSE(missing->exists);
    CHECK(missing->known_missing);
    auto unknown = models.has_file(k_repo, "config.json");
    REQUIRE(unknown);
    CHECK_FALSE(unknown->known_missing);
}

TEST_CASE("cache peers: lock files left behind do not make a repo busy; held ones do") {
    // huggingface_hub never deletes its .lock files (utils/_fixes.py WeakFileLock releases, only
    // unlinks when release fails), nor does llama.cpp (common/file-lock.cpp: "the lock file is
    // never deleted"): an existing, unheld lock file is the normal state of a cache.
    TempDir tmp;
    Store store(tmp.path());
    put(store, k_repo, k_commit_a, "m.gguf", std::string(500, 'm'));
    const auto etag = sha256_of("hf-partial");
    const auto partial = store.blobs_dir(k_repo) / (etag + ".1234abcd.incomplete");
    write_file(partial, "half");
    write_file(store.lock_path(k_repo, etag), ""); // left by a finished or killed download
    const auto llama = store.blobs_dir(k_repo) / (sha256_of("l") + ".downloadInProgress");
    write_file(llama, "llama");

    SUBCASE("clean --max-size evicts the repo") {
        cache::CleanOptions opts;
        opts.max_bytes = 0;
        auto report = cache::clean(tmp.path(), opts);
        REQUIRE(report);
        CHECK(report->skipped_busy.empty());
        CHECK_FALSE(fs::exists(store.repo_dir(k_repo)));
    }
    SUBCASE("delete refuses while llama.cpp's lock is held, then goes ahead") {
        Config config;
        config.cache_root = tmp.path();
        config.data_dir = tmp.path() / "home";
        config.offline = true;
        service::ModelService models(config);
        {
            auto held = util::FileLock::try_lock(llama.string() + ".lock");
            REQUIRE((held && *held));
            auto refused = models.delete_model(k_repo, "");
            REQUIRE_FALSE(refused);
            CHECK(refused.error().code == ErrorCode::locked);
            CHECK(refused.error().details["partial"] == "blobs/" + llama.filename().string());
            CHECK(fs::exists(llama));
        }
        auto freed = models.delete_model(k_repo, "");
        REQUIRE(freed);
        CHECK_FALSE(fs::exists(store.repo_dir(k_repo)));
    }
}
