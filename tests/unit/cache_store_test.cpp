#include "cache_test_util.hpp"

#include "core/cache/scan.hpp"
#include "core/cache/store.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>


using namespace cache_test;
using namespace tabagent;
using tabagent::cache::Store;

namespace {
}

TEST_CASE("cache: published files follow the hub layout with relative links") {
    TempDir tmp;
    Store store(tmp.path());
    auto cfg = put(store, k_repo, k_commit_a, "config.json", "{\"a\":1}", false);
    auto onnx = put(store, k_repo, k_commit_a, "onnx/model.onnx", std::string(5000, 'x'));
    auto repo_dir = tmp.path() / "models--org--model";

    CHECK(store.repo_dir(k_repo) == repo_dir);
    CHECK(store.blob_path(k_repo, onnx.etag) == repo_dir / "blobs" / onnx.etag);
    CHECK(store.partial_path(k_repo, onnx.etag) == repo_dir / "blobs" / (onnx.etag + ".incomplete"));
    CHECK(store.lock_path(k_repo, onnx.etag) ==
          tmp.path() / ".locks" / "models--org--model" / (onnx.etag + ".lock"));
    CHECK(store.snapshot_file_path(k_repo, k_commit_a, "onnx/model.onnx") ==
          repo_dir / "snapshots" / k_commit_a / "onnx" / "model.onnx");

    SUBCASE("link text is relative, one ../ per level") {
        auto top = fs::read_symlink(store.snapshot_file_path(k_repo, k_commit_a, "config.json"));
        CHECK(top.string() == "../../blobs/" + cfg.etag);
        auto nested = fs::read_symlink(store.snapshot_file_path(k_repo, k_commit_a, "onnx/model.onnx"));
        CHECK(nested.string() == "../../../blobs/" + onnx.etag);
        CHECK(nested.is_relative());
    }
    SUBCASE("the blob holds the bytes and the partial is gone") {
        CHECK(read_file(store.blob_path(k_repo, onnx.etag)) == std::string(5000, 'x'));
        CHECK_FALSE(fs::exists(store.partial_path(k_repo, onnx.etag)));
        CHECK(read_file(store.snapshot_file_path(k_repo, k_commit_a, "onnx/model.onnx")).size() == 5000);
    }
    SUBCASE("find_file by commit reports blob, size, etag") {
        auto found = store.find_file(k_repo, "onnx/model.onnx", k_commit_a);
        REQUIRE(found);
        CHECK(found->size == 5000);
        CHECK(found->etag == onnx.etag);
        CHECK(found->commit == k_commit_a);
        CHECK(found->blob_path == store.blob_path(k_repo, onnx.etag));
        CHECK(found->snapshot_path == store.snapshot_file_path(k_repo, k_commit_a, "onnx/model.onnx"));
        CHECK_FALSE(store.find_file(k_repo, "onnx/missing.onnx", k_commit_a));
    }
    SUBCASE("no temp files are left behind") {
        for (auto& e : fs::recursive_directory_iterator(repo_dir))
            CHECK(e.path().filename().string().find("tabagent-tmp") == std::string::npos);
    }
}

TEST_CASE("cache: publish is atomic and never exposes a partial as a blob") {
    TempDir tmp;
    Store store(tmp.path());
    const std::string content(100000, 'p');
    auto file = file_of("model.bin", content);
    auto partial = store.partial_path(k_repo, file.etag);

    SUBCASE("a partial is not a blob until published") {
        write_file(partial, content.substr(0, 40000));
        CHECK_FALSE(store.has_blob(k_repo, file.etag));
        CHECK_FALSE(store.find_file(k_repo, "model.bin", k_commit_a));
        auto scan = cache::scan_repo(tmp.path(), k_repo);
        REQUIRE(scan);
        CHECK(scan->blobs.empty());
        REQUIRE(scan->partials.size() == 1);
        CHECK(scan->partials[0].etag == file.etag);
        CHECK(scan->partial_bytes == 40000);
        CHECK(scan->size_on_disk == 0);

        // A short partial is refused and left in place for resuming.
        auto refused = store.publish(k_repo, k_commit_a, file, partial);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::integrity);
        CHECK(fs::exists(partial));
        CHECK_FALSE(fs::exists(store.blob_path(k_repo, file.etag)));

        write_file(partial, content);
        REQUIRE(store.publish(k_repo, k_commit_a, file, partial));
        CHECK(store.has_blob(k_repo, file.etag, content.size()));
        CHECK_FALSE(fs::exists(partial));
    }
    SUBCASE("an existing blob is kept and the second partial dropped") {
        write_file(partial, content);
        REQUIRE(store.publish(k_repo, k_commit_a, file, partial));
        // The kept blob is the same file: a mark no fresh partial carries (a time 30 days back)
        // survives, where a blob replaced by the partial would carry the partial's time.
        const auto blob = store.blob_path(k_repo, file.etag);
        const auto perms_before = fs::status(blob).permissions();
        const auto mark = std::chrono::time_point_cast<std::chrono::seconds>(days_ago(30));
        set_times(blob, mark, mark);
        write_file(partial, content);
        auto again = store.publish(k_repo, k_commit_b, file, partial);
        REQUIRE(again);
        auto after = tabagent::platform::lstat(blob);
        REQUIRE(after);
        CHECK(std::chrono::time_point_cast<std::chrono::seconds>(after->mtime) == mark);
        CHECK(perms_before == fs::status(blob).permissions());
        CHECK_FALSE(fs::exists(partial));
        CHECK(store.find_file(k_repo, "model.bin", k_commit_b));
    }
    SUBCASE("a missing partial is NOT_FOUND, bad names are refused") {
        auto missing = store.publish(k_repo, k_commit_a, file, partial);
        REQUIRE_FALSE(missing);
        CHECK(missing.error().code == ErrorCode::not_found);
        write_file(partial, content);
        CHECK(store.publish("bad--repo/x", k_commit_a, file, partial).error().code == ErrorCode::invalid_repo);
        CHECK(store.publish(k_repo, "main", file, partial).error().code == ErrorCode::bad_request);
        auto evil = file;
        evil.path = "../escape.bin";
        CHECK(store.publish(k_repo, k_commit_a, evil, partial).error().code == ErrorCode::invalid_path);
        evil = file;
        evil.etag = "../../x";
        CHECK_FALSE(store.publish(k_repo, k_commit_a, evil, partial));
        CHECK(fs::exists(partial));
    }
}

namespace {
// Records Store's publish steps (set_publish_trace_for_testing) while alive.
class PublishSteps {
public:
    PublishSteps() {
        cache::set_publish_trace_for_testing([this](std::string_view step, const fs::path& path) {
            steps.emplace_back(std::string(step), path);
        });
    }
    ~PublishSteps() { cache::set_publish_trace_for_testing({}); }
    PublishSteps(const PublishSteps&) = delete;
    PublishSteps& operator=(const PublishSteps&) = delete;
    // Index of the first / last step named `step` (and on `path` when given); -1 when none.
    int first(std::string_view step, const fs::path& path = {}) const { return find(step, path, true); }
    int last(std::string_view step, const fs::path& path = {}) const { return find(step, path, false); }
    int count(std::string_view step, const fs::path& path = {}) const {
        return static_cast<int>(std::count_if(steps.begin(), steps.end(), [&](const auto& s) {
            return s.first == step && (path.empty() || s.second == path);
        }));
    }
    std::vector<std::pair<std::string, fs::path>> steps;

private:
    int find(std::string_view step, const fs::path& path, bool first) const {
        int found = -1;
        for (int i = 0; i < static_cast<int>(steps.size()); ++i) {
            if (steps[i].first != step || (!path.empty() && steps[i].second != path)) continue;
            if (first) return i;
            found = i;
        }
        return found;
    }
};
} // namespace

// The batch rule (ARCHITECTURE.md "Publishing a batch"): DESIGN §4's order per file, with the
// folder flushes shared. Each assertion below fails if a blob or a link could show before what it
// depends on is on the disk.
TEST_CASE("cache: a batch publish flushes every blob before any rename, blobs/ before any link") {
    TempDir tmp;
    Store store(tmp.path());
    std::vector<std::string> contents = {std::string(16384, 'a'), std::string(16384, 'b'), "short one",
                                         std::string(3000, 'd')};
    std::vector<std::string> paths = {"m-1.safetensors", "m-2.safetensors", "m-3.safetensors", "sub/m-4.safetensors"};
    std::vector<cache::PublishItem> items;
    for (std::size_t i = 0; i < contents.size(); ++i) {
        auto file = file_of(paths[i], contents[i]);
        auto partial = store.partial_path(k_repo, file.etag);
        // The third partial is not all written yet (a transfer that never finished).
        write_file(partial, i == 2 ? contents[i].substr(0, 4) : contents[i]);
        items.push_back({file, partial});
    }
    PublishSteps trace;
    auto placed = store.publish_batch(k_repo, k_commit_a, items);
    REQUIRE(placed.size() == 4);

    SUBCASE("each good file is placed, the unfinished one is refused and stays a partial") {
        for (std::size_t i : {0u, 1u, 3u}) {
            REQUIRE(placed[i]);
            auto found = store.find_file(k_repo, paths[i], k_commit_a);
            REQUIRE(found);
            CHECK(read_file(found->blob_path) == contents[i]);
            CHECK_FALSE(fs::exists(items[i].partial));
        }
        REQUIRE_FALSE(placed[2]);
        CHECK(placed[2].error().code == ErrorCode::integrity);
        CHECK(fs::exists(items[2].partial));
        CHECK_FALSE(store.has_blob(k_repo, items[2].file.etag));
        CHECK_FALSE(store.find_file(k_repo, paths[2], k_commit_a));
        CHECK(trace.count("sync", items[2].partial) == 0);
        CHECK(trace.count("rename", store.blob_path(k_repo, items[2].file.etag)) == 0);
    }
    SUBCASE("every partial is flushed before the first rename makes a blob visible") {
        for (std::size_t i : {0u, 1u, 3u}) CHECK(trace.count("sync", items[i].partial) == 1);
        CHECK(trace.count("rename") == 3);
        CHECK(trace.last("sync") < trace.first("rename"));
    }
    SUBCASE("blobs/ is flushed once, after every rename and before any link") {
        const auto blobs = store.blobs_dir(k_repo);
        CHECK(trace.count("sync_dir", blobs) == 1);
        CHECK(trace.last("rename") < trace.first("sync_dir", blobs));
        CHECK(trace.first("sync_dir", blobs) < trace.first("link"));
    }
    SUBCASE("each snapshot folder is flushed once, after its links") {
        const auto top = store.snapshot_dir(k_repo, k_commit_a);
        const auto sub = top / "sub";
        CHECK(trace.count("link") == 3);
        CHECK(trace.count("sync_dir", top) == 1);
        CHECK(trace.count("sync_dir", sub) == 1);
        CHECK(trace.last("link", top / paths[1]) < trace.first("sync_dir", top));
        CHECK(trace.first("link", top / "sub" / "m-4.safetensors") < trace.first("sync_dir", sub));
        CHECK(trace.steps.size() == 3 + 3 + 1 + 3 + 2); // nothing flushed twice
    }
}

TEST_CASE("cache: a single publish keeps DESIGN §4's order") {
    TempDir tmp;
    Store store(tmp.path());
    const std::string content(5000, 'x');
    auto file = file_of("onnx/model.onnx", content);
    auto partial = store.partial_path(k_repo, file.etag);
    write_file(partial, content);
    PublishSteps trace;
    REQUIRE(store.publish(k_repo, k_commit_a, file, partial));
    const auto blob = store.blob_path(k_repo, file.etag);
    const auto link = store.snapshot_file_path(k_repo, k_commit_a, file.path);
    using Step = std::pair<std::string, fs::path>;
    CHECK(trace.steps == std::vector<Step>{{"sync", partial},
                                          {"rename", blob},
                                          {"sync_dir", store.blobs_dir(k_repo)},
                                          {"link", link},
                                          {"sync_dir", link.parent_path()}});
}

TEST_CASE("cache: two revisions share one blob") {
    TempDir tmp;
    Store store(tmp.path());
    const std::string weights(7000, 'w');
    auto file = put(store, k_repo, k_commit_a, "onnx/model.onnx", weights);
    CHECK(store.has_blob(k_repo, file.etag, weights.size()));
    auto linked = store.link_existing_blob(k_repo, k_commit_b, file);
    REQUIRE(linked);
    CHECK(linked->blob_path == store.blob_path(k_repo, file.etag));

    auto a = store.find_file(k_repo, "onnx/model.onnx", k_commit_a);
    auto b = store.find_file(k_repo, "onnx/model.onnx", k_commit_b);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->blob_path == b->blob_path);

    auto scan = cache::scan_repo(tmp.path(), k_repo);
    REQUIRE(scan);
    CHECK(scan->revisions.size() == 2);
    CHECK(scan->blobs.size() == 1);
    CHECK(scan->blobs.at(file.etag).links == 2);
    CHECK(scan->size_on_disk == weights.size()); // counted once

    SUBCASE("linking a blob that is absent or of another size is NOT_FOUND") {
        auto other = file_of("x.bin", "never stored");
        CHECK(store.link_existing_blob(k_repo, k_commit_b, other).error().code == ErrorCode::not_found);
        auto wrong = file;
        wrong.size += 1;
        CHECK(store.link_existing_blob(k_repo, k_commit_c, wrong).error().code == ErrorCode::not_found);
        CHECK_FALSE(fs::exists(store.snapshot_dir(k_repo, k_commit_c)));
    }
}

TEST_CASE("cache: refs are 40 hex characters, written atomically, nested for pull requests") {
    TempDir tmp;
    Store store(tmp.path());
    REQUIRE(store.write_ref(k_repo, "main", k_commit_a));
    CHECK(read_file(store.ref_path(k_repo, "main")) == k_commit_a); // no newline
    CHECK(store.read_ref(k_repo, "main") == std::optional<std::string>(k_commit_a));
    REQUIRE(store.write_ref(k_repo, "main", k_commit_b)); // replaced
    CHECK(store.read_ref(k_repo, "main") == std::optional<std::string>(k_commit_b));

    REQUIRE(store.write_ref(k_repo, "refs/pr/1", k_commit_c));
    CHECK(fs::is_regular_file(store.repo_dir(k_repo) / "refs" / "refs" / "pr" / "1"));
    CHECK(store.read_ref(k_repo, "refs/pr/1") == std::optional<std::string>(k_commit_c));

    CHECK_FALSE(store.write_ref(k_repo, "main", "abc"));
    CHECK_FALSE(store.write_ref(k_repo, "main", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    CHECK_FALSE(store.write_ref(k_repo, "../main", k_commit_a));
    CHECK_FALSE(store.read_ref(k_repo, "v1.0"));

    SUBCASE("a ref written by another tool with a trailing newline is read") {
        write_file(store.ref_path(k_repo, "dev"), std::string(k_commit_a) + "\n");
        CHECK(store.read_ref(k_repo, "dev") == std::optional<std::string>(k_commit_a));
        write_file(store.ref_path(k_repo, "junk"), "not a commit");
        CHECK_FALSE(store.read_ref(k_repo, "junk"));
    }
    for (auto& e : fs::recursive_directory_iterator(store.repo_dir(k_repo) / "refs"))
        CHECK(e.path().filename().string().find("tabagent-tmp") == std::string::npos);
}

TEST_CASE("cache: find_file resolves refs, commits and ref-less caches") {
    TempDir tmp;
    Store store(tmp.path());
    auto v1 = put(store, k_repo, k_commit_a, "config.json", "{\"v\":1}", false);
    auto v2 = put(store, k_repo, k_commit_b, "config.json", "{\"v\":2}", false);

    SUBCASE("a ref names the snapshot") {
        REQUIRE(store.write_ref(k_repo, "main", k_commit_a));
        auto found = store.find_file(k_repo, "config.json");
        REQUIRE(found);
        CHECK(found->commit == k_commit_a);
        CHECK(found->etag == v1.etag);
        REQUIRE(store.write_ref(k_repo, "main", k_commit_b));
        CHECK(store.find_file(k_repo, "config.json", "main")->etag == v2.etag);
        // refs exist but not this one: absent, not a guess
        CHECK_FALSE(store.find_file(k_repo, "config.json", "v2.0"));
        // a commit without a snapshot is absent
        CHECK_FALSE(store.find_file(k_repo, "config.json", k_commit_c));
    }
    SUBCASE("a commit is used directly") {
        CHECK(store.find_file(k_repo, "config.json", k_commit_b)->etag == v2.etag);
        CHECK(store.find_file(k_repo, "config.json", k_commit_a)->etag == v1.etag);
    }
    SUBCASE("without any refs (@huggingface/hub style) the newest snapshot holding the file wins") {
        auto now = std::chrono::system_clock::now();
        set_times(store.snapshot_dir(k_repo, k_commit_a), now, now - std::chrono::hours(1));
        set_times(store.snapshot_dir(k_repo, k_commit_b), now, now - std::chrono::hours(2));
        CHECK(store.find_file(k_repo, "config.json")->commit == k_commit_a);
        set_times(store.snapshot_dir(k_repo, k_commit_a), now, now - std::chrono::hours(3));
        CHECK(store.find_file(k_repo, "config.json")->commit == k_commit_b);
        // a file only in the older snapshot is still found
        auto only = put(store, k_repo, k_commit_a, "tokenizer.json", "{}", false);
        CHECK(store.find_file(k_repo, "tokenizer.json")->etag == only.etag);
    }
    SUBCASE("a link whose blob is missing is absent") {
        fs::remove(store.blob_path(k_repo, v1.etag));
        CHECK_FALSE(store.find_file(k_repo, "config.json", k_commit_a));
        CHECK(store.find_file(k_repo, "config.json", k_commit_b));
    }
    SUBCASE("links that leave the repo dir are refused even when the target exists") {
        write_file(tmp.path() / "secret.txt", "secret");
        auto snap = store.snapshot_dir(k_repo, k_commit_a);
        fs::create_symlink("../../../secret.txt", snap / "relative_escape.txt");
        fs::create_symlink(tmp.path() / "secret.txt", snap / "absolute_escape.txt");
        REQUIRE(fs::exists(snap / "relative_escape.txt")); // the kernel would follow it
        CHECK_FALSE(store.find_file(k_repo, "relative_escape.txt", k_commit_a));
        CHECK_FALSE(store.find_file(k_repo, "absolute_escape.txt", k_commit_a));
        // a symlinked sub-folder pointing outside cannot smuggle a file in either
        fs::create_directories(tmp.path() / "elsewhere");
        write_file(tmp.path() / "elsewhere" / "model.onnx", "foreign");
        fs::create_directory_symlink(tmp.path() / "elsewhere", snap / "onnx");
        CHECK_FALSE(store.find_file(k_repo, "onnx/model.onnx", k_commit_a));
    }
    SUBCASE("an absolute link inside the repo is accepted") {
        auto snap = store.snapshot_dir(k_repo, k_commit_a);
        fs::create_symlink(store.blob_path(k_repo, v2.etag), snap / "abs.json");
        auto found = store.find_file(k_repo, "abs.json", k_commit_a);
        REQUIRE(found);
        CHECK(found->etag == v2.etag);
    }
    SUBCASE("a plain copy in the snapshot (no symlink support) is present") {
        write_file(store.snapshot_dir(k_repo, k_commit_a) / "copy.txt", "hello");
        auto found = store.find_file(k_repo, "copy.txt", k_commit_a);
        REQUIRE(found);
        CHECK(found->size == 5);
        CHECK(found->etag.empty());
        CHECK(found->blob_path == found->snapshot_path);
    }
    SUBCASE("invalid names are absent, not errors") {
        CHECK_FALSE(store.find_file(k_repo, "../config.json", k_commit_a));
        CHECK_FALSE(store.find_file("org--x/y", "config.json", k_commit_a));
        CHECK_FALSE(store.find_file(k_repo, "config.json", "../../x"));
        CHECK_FALSE(store.find_file("other/repo", "config.json"));
    }
}

TEST_CASE("cache: a cache written the way huggingface_hub writes it is read as is") {
    TempDir tmp;
    // Built by hand, byte for byte what huggingface_hub's hf_hub_download leaves behind.
    auto repo_dir = tmp.path() / "models--hf-internal-testing--tiny-random-gpt2";
    const std::string config = "{\"model_type\":\"gpt2\"}";
    const std::string weights(3000, '\x07');
    const auto cfg_etag = git_sha1_of(config);
    const auto w_etag = sha256_of(weights);
    write_file(repo_dir / "blobs" / cfg_etag, config);
    write_file(repo_dir / "blobs" / w_etag, weights);
    write_file(repo_dir / "refs" / "main", k_commit_a);
    auto snap = repo_dir / "snapshots" / k_commit_a;
    fs::create_directories(snap / "onnx");
    fs::create_symlink("../../blobs/" + cfg_etag, snap / "config.json");
    fs::create_symlink("../../../blobs/" + w_etag, snap / "onnx" / "model.onnx");
    fs::create_directories(repo_dir / ".no_exist" / k_commit_a);
    write_file(repo_dir / ".no_exist" / k_commit_a / "tokenizer.json", "");
    fs::create_directories(tmp.path() / ".locks" / "models--hf-internal-testing--tiny-random-gpt2");

    Store store(tmp.path());
    const std::string repo = "hf-internal-testing/tiny-random-gpt2";
    auto cfg = store.find_file(repo, "config.json");
    REQUIRE(cfg);
    CHECK(cfg->etag == cfg_etag);
    CHECK(cfg->size == config.size());
    auto w = store.find_file(repo, "onnx/model.onnx", "main");
    REQUIRE(w);
    CHECK(w->size == weights.size());
    CHECK_FALSE(store.find_file(repo, "tokenizer.json")); // .no_exist marker is not a file

    auto scan = cache::scan_cache(tmp.path());
    REQUIRE(scan.repos.size() == 1);
    const auto& r = scan.repos[0];
    CHECK(r.repo == repo);
    CHECK(r.refs.at("main") == k_commit_a);
    REQUIRE(r.revisions.size() == 1);
    CHECK(r.revisions[0].refs == std::vector<std::string>{"main"});
    CHECK(r.revisions[0].files.size() == 2);
    CHECK(r.size_on_disk == config.size() + weights.size());
    CHECK(r.file_count == 2);
    CHECK(scan.warnings.empty());
}
