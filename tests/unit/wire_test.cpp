#include "core/wire/wire.hpp"

#include "core/platform/fs.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <set>

using namespace tabagent;
using nlohmann::json;

namespace {
const auto k_time = std::chrono::system_clock::time_point(std::chrono::seconds(1'764'106'488)); // 2025-11-25T21:34:48Z
const std::string k_iso = "2025-11-25T21:34:48Z";

// The naming rule, checked on a whole document: every name is camelCase, except a legacy alias,
// which stands only beside its camelCase twin, with the same value.
// [a-z][a-zA-Z0-9]* (no std::regex: g++ 12 warns falsely about it under the sanitizers).
bool is_camel_case(const std::string& name) {
    return !name.empty() && std::islower(static_cast<unsigned char>(name[0])) &&
           std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

void check_naming_rule(const json& doc) {
    if (doc.is_array())
        for (const auto& item : doc) check_naming_rule(item);
    if (!doc.is_object()) return;
    for (const auto& item : doc.items()) {
        // Plain names, not a structured binding: the message macros' lambdas cannot capture one in clang 14.
        const std::string& name = item.key();
        const auto& value = item.value();
        check_naming_rule(value);
        if (is_camel_case(name)) continue;
        bool is_alias = false;
        for (const auto& [twin, legacy] : wire::legacy_aliases())
            if (legacy == name) {
                is_alias = true;
                REQUIRE_MESSAGE(doc.contains(std::string(twin)), name);
                CHECK(doc[std::string(twin)] == value);
            }
        CHECK_MESSAGE(is_alias, "not camelCase and not a legacy alias: " << name);
    }
}

std::set<std::string> keys(const json& object) {
    std::set<std::string> out;
    for (const auto& [name, value] : object.items()) out.insert(name);
    return out;
}
} // namespace

TEST_CASE("wire: every legacy alias is the snake_case spelling of a camelCase name") {
    REQUIRE_FALSE(wire::legacy_aliases().empty());
    for (const auto& [camel, legacy] : wire::legacy_aliases()) {
        std::string snake;
        for (char c : camel) snake += std::isupper(static_cast<unsigned char>(c)) ? std::string("_") + char(c + 32) : std::string(1, c);
        CHECK(snake == legacy);
    }
}

TEST_CASE("wire: add_legacy_aliases puts the alias beside its twin at every depth, and nothing else") {
    json doc = {{"cacheRoot", "/c"}, {"newField", 1}, {"items", {{{"lastAccess", "t"}}, {{"bytes", 2}}}}};
    wire::add_legacy_aliases(doc);
    CHECK(doc["cache_root"] == "/c");
    CHECK(doc["items"][0]["last_access"] == "t");
    CHECK(keys(doc["items"][1]) == std::set<std::string>{"bytes"});
    CHECK_FALSE(doc.contains("new_field")); // a new field gets no alias
    check_naming_rule(doc);
}

TEST_CASE("wire: list has the cache root and each model with revisions, variants and times") {
    service::ModelList list;
    list.cache_root = "/cache";
    service::CachedModel m;
    m.repo = "org/model";
    m.size = 100;
    m.partial_bytes = 7;
    m.files = 3;
    m.revisions = {{"abc", {"main"}, 100, 3}};
    m.variants = {"q4"};
    m.scanned = true;
    m.last_access = k_time; // last_modified stays unknown
    list.models.push_back(m);
    const json doc = wire::to_json(list);
    check_naming_rule(doc);
    CHECK(doc["cacheRoot"] == platform::reported_path("/cache")); // the platform's separators
    CHECK(doc["cache_root"] == platform::reported_path("/cache"));
    const auto& model = doc["models"][0];
    CHECK(keys(model) == std::set<std::string>{"repo", "size", "partialBytes", "partial_bytes", "files", "revisions",
                                               "variants", "scanned", "lastAccess", "last_access", "lastModified",
                                               "last_modified"});
    CHECK(model["partialBytes"] == 7);
    CHECK(model["revisions"] == json::parse(R"([{"commit":"abc","refs":["main"],"size":100,"files":3}])"));
    CHECK(model["variants"] == json::array({"q4"}));
    CHECK(model["lastAccess"] == k_iso);
    CHECK(model["lastModified"] == ""); // the epoch is "" (not recorded)
}

TEST_CASE("wire: stats keeps the legacy totals and adds their camelCase twins") {
    cache::CacheStats s;
    s.root = "/cache";
    s.total_repos = 1;
    s.total_size = 100;
    s.partial_bytes = 5;
    s.warnings = {"junk"};
    cache::RepoStats r;
    r.repo = "org/model";
    r.size = 100;
    r.files = 2;
    r.revisions = 1;
    r.last_access = k_time;
    r.last_modified = k_time;
    s.repos.push_back(r);
    SUBCASE("disk free unknown is null") {
        const json doc = wire::to_json(s);
        check_naming_rule(doc);
        for (const char* legacy : {"total_repos", "total_size", "disk_free", "cache_root", "partial_bytes"})
            CHECK_MESSAGE(doc.contains(legacy), legacy); // what TabAgent's client reads (DESIGN §3)
        CHECK(doc["totalRepos"] == 1);
        CHECK(doc["totalSize"] == 100);
        CHECK(doc["diskFree"].is_null());
        CHECK(doc["warnings"] == json::array({"junk"}));
        CHECK(doc["repos"][0]["lastModified"] == k_iso);
        CHECK(doc["repos"][0]["last_access"] == k_iso);
        CHECK(doc["repos"][0]["revisions"] == 1);
    }
    SUBCASE("disk free known is a number") {
        s.disk_free = 4096;
        CHECK(wire::to_json(s)["disk_free"] == 4096);
    }
}

TEST_CASE("wire: clean reports removed repos and removed partials") {
    cache::CleanReport report;
    report.removed = {{"org/a", 10, k_time, "max_bytes"}};
    report.removed_partials = {{"org/b", "e7a9", "blobs/e7a9.downloadInProgress", "llama.cpp", 4, k_time}};
    report.skipped_busy = {"org/c"};
    report.freed_bytes = 14;
    report.total_before = 20;
    report.total_after = 6;
    report.dry_run = true;
    const json doc = wire::to_json(report);
    check_naming_rule(doc);
    CHECK(keys(doc) == std::set<std::string>{"dryRun", "freedBytes", "totalBefore", "totalAfter", "removed",
                                             "removedPartials", "skippedBusy", "warnings"});
    CHECK(doc["removed"][0]["reason"] == "max_bytes");
    CHECK(doc["removed"][0]["last_access"] == k_iso);
    CHECK(doc["removedPartials"][0] == json::parse(R"({"repo":"org/b","etag":"e7a9","bytes":4,
        "file":"blobs/e7a9.downloadInProgress","writer":"llama.cpp","lastModified":"2025-11-25T21:34:48Z","last_modified":"2025-11-25T21:34:48Z"})"));
    CHECK(doc["freedBytes"] == 14);
    CHECK(doc["dryRun"] == true);
}

TEST_CASE("wire: verify lists only the blobs that are not ok, and counts the removed ones") {
    cache::VerifyReport report;
    cache::BlobCheck ok;
    ok.repo = "org/a";
    ok.etag = "aa";
    cache::BlobCheck bad = ok;
    bad.etag = "bb";
    bad.state = cache::BlobState::bad;
    bad.removed = true;
    bad.size = 9;
    bad.path = "/cache/models--org--a/blobs/bb";
    bad.files = {"x.bin"};
    cache::BlobCheck unreadable = ok;
    unreadable.etag = "cc";
    unreadable.state = cache::BlobState::unreadable;
    unreadable.error = "Permission denied";
    report.blobs = {ok, bad, unreadable};
    report.ok = 1;
    report.bad = 1;
    report.unreadable = 1;
    report.bytes_hashed = 30;
    const json doc = wire::to_json(report);
    check_naming_rule(doc);
    CHECK(doc["ok"] == 1);
    CHECK(doc["bad"] == 1);
    CHECK(doc["removed"] == 1);
    CHECK(doc["bytesHashed"] == 30);
    REQUIRE(doc["problems"].size() == 2);
    json expected = json::parse(R"({"repo":"org/a","etag":"bb","state":"bad","size":9,"removed":true,"files":["x.bin"]})");
    expected["path"] = platform::reported_path("/cache/models--org--a/blobs/bb");
    CHECK(doc["problems"][0] == expected);
    CHECK(doc["problems"][1]["state"] == "unreadable");
    CHECK(doc["problems"][1]["error"] == "Permission denied");
}

TEST_CASE("wire: a progress payload says its kind, and only terminal events say how they ended") {
    jobs::JobEvent e;
    e.spec.kind = jobs::JobKind::download_quant;
    e.spec.repo = "org/model";
    e.spec.quant = "q4";
    e.loaded = 25;
    e.total = 100;
    e.bytes_per_second = 1234.4;
    e.eta_seconds = 12.34;
    e.error = Error{ErrorCode::cancelled, "cancelled"};
    e.result = {{"ok", 1}};
    for (auto kind : {jobs::EventKind::queued, jobs::EventKind::initiate, jobs::EventKind::progress,
                      jobs::EventKind::paused, jobs::EventKind::done, jobs::EventKind::error,
                      jobs::EventKind::cancelled}) {
        e.status = kind;
        const json p = wire::progress_payload(e);
        CAPTURE(to_string(kind));
        check_naming_rule(p);
        CHECK(p["status"] == to_string(kind));
        CHECK(p["progress"] == 25.0);
        CHECK(p["bytesPerSecond"] == 1234.0);
        CHECK(p["etaSeconds"] == 12.3);
        CHECK(p.contains("error") == (kind == jobs::EventKind::error || kind == jobs::EventKind::cancelled));
        CHECK(p.contains("cached") == (kind == jobs::EventKind::done));
        CHECK(p.contains("result") == (kind == jobs::EventKind::done));
    }
}

TEST_CASE("wire: a job's list_downloads entry") {
    jobs::JobInfo info;
    info.job_id = "j_1";
    info.request_id = "m1";
    info.spec.repo = "org/model";
    info.spec.files = {"a.bin"};
    info.status = jobs::JobStatus::running;
    info.loaded = 1;
    info.total = 4;
    info.resumed_from_journal = true;
    const json j = wire::to_json(info);
    check_naming_rule(j);
    CHECK(j["jobId"] == "j_1");
    CHECK(j["status"] == "running");
    CHECK(j["kind"] == "download_files");
    CHECK(j["progress"] == 25.0);
    CHECK(j["resumed"] == true);
    CHECK_FALSE(j.contains("error"));
}
