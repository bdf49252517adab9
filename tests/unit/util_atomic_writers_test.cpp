// The writers of small state files (listing store, download journal, job journal) under
// contention: 8 threads rewrite one file 1 000 times each while readers parse it. Before the
// shared atomic-file helper, ListingStore::save used one "<file>.tmp" for every writer, so one
// writer could rename another's half-written temp into place.
#include "cache_test_util.hpp"

#include "core/download/journal.hpp"
#include "core/jobs/job_manager.hpp"
#include "core/service/listing_store.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

using namespace tabagent;
using cache_test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr int k_writers = 8;
constexpr int k_rounds = 1000;
constexpr int k_readers = 2;

struct Tally {
    int failed_writes = 0;
    int reads = 0;
    int bad_reads = 0; // missing, torn or inconsistent
};

// Runs `write(writer, round)` k_rounds times on each of k_writers threads while k_readers threads
// call `read_ok()` until the writers are done. The file exists before the threads start, so every
// read must find a whole one.
Tally hammer(const std::function<bool(int, int)>& write, const std::function<bool()>& read_ok) {
    std::atomic<int> failed{0}, reads{0}, bad{0};
    std::atomic<bool> writing{true};
    {
        std::vector<std::jthread> readers;
        for (int r = 0; r < k_readers; ++r)
            readers.emplace_back([&] {
                // At least one read, however fast the writers are.
                do {
                    ++reads;
                    if (!read_ok()) ++bad;
                } while (writing.load());
            });
        {
            std::vector<std::jthread> writers;
            for (int w = 0; w < k_writers; ++w)
                writers.emplace_back([&, w] {
                    for (int i = 0; i < k_rounds; ++i)
                        if (!write(w, i)) ++failed;
                });
        }
        writing = false;
    }
    return {failed.load(), reads.load(), bad.load()};
}

model::RepoListing listing_with(int files) {
    model::RepoListing l;
    l.repo = "org/model";
    l.commit = std::string(40, 'a');
    l.pipeline_tag = std::to_string(files); // lets a reader check the file is one writer's whole
    for (int i = 0; i < files; ++i)
        l.files.push_back({"onnx/part_" + std::to_string(i) + ".onnx", 1000u + static_cast<unsigned>(i),
                           std::string(64, 'b'), true});
    return l;
}

download::JournalData journal_with(int ranges) {
    download::JournalData data{"w" + std::to_string(ranges), std::string(64, 'c'), 1 << 20, {}};
    for (int i = 0; i < ranges; ++i)
        data.done.add(static_cast<std::uint64_t>(i) * 4096, static_cast<std::uint64_t>(i) * 4096 + 1000);
    return data;
}

// On /dev/shm when there is one: rename(2) is as atomic there, and 8 000 creates and renames per
// test do not wait on a busy disk's journal.
const char* fast_tmp() { return fs::is_directory("/dev/shm") ? "/dev/shm" : nullptr; }

} // namespace

TEST_CASE("util: 8 threads rewriting one listing never leave a torn or missing file") {
    TempDir tmp(fast_tmp());
    service::ListingStore store(tmp.path() / "manifests");
    REQUIRE(store.save(listing_with(1)));
    auto tally = hammer([&](int w, int) { return static_cast<bool>(store.save(listing_with(w + 1))); },
                        [&] {
                            auto saved = store.load("org/model");
                            return saved && std::to_string(saved->listing.files.size()) == saved->listing.pipeline_tag;
                        });
    CHECK(tally.failed_writes == 0);
    CHECK(tally.bad_reads == 0);
    CHECK(tally.reads >= k_readers);
}

TEST_CASE("util: 8 threads rewriting one download journal never leave a torn or missing file") {
    TempDir tmp(fast_tmp());
    const auto path = download::journal_path(tmp.path() / "blob.incomplete");
    REQUIRE(download::write_journal(path, journal_with(1), false));
    auto tally = hammer([&](int w, int) { return static_cast<bool>(download::write_journal(path, journal_with(w + 1), false)); },
                        [&] {
                            auto data = download::read_journal(path);
                            return data && "w" + std::to_string(data->done.ranges().size()) == data->url;
                        });
    CHECK(tally.failed_writes == 0);
    CHECK(tally.bad_reads == 0);
    CHECK(tally.reads >= k_readers);
}

TEST_CASE("util: 8 job managers rewriting one job journal never leave a torn or missing file") {
    // Eight managers on one journal folder (the host and CLIs do share it), each with the same job
    // restored paused and no slot to run it: every resume and pause rewrites <id>.json.
    TempDir tmp(fast_tmp());
    const std::string id = "j_shared";
    const auto file = tmp.path() / (id + ".json");
    jobs::JobSpec spec;
    spec.kind = jobs::JobKind::download_quant;
    spec.repo = "org/model";
    spec.quant = "q4";
    std::ofstream(file) << nlohmann::json{{"jobId", id}, {"spec", spec.to_json()}, {"status", "paused"}}.dump();

    std::vector<std::unique_ptr<jobs::JobManager>> managers;
    for (int w = 0; w < k_writers; ++w) {
        managers.push_back(std::make_unique<jobs::JobManager>(
            jobs::JobManager::Options{.max_parallel = 0, .journal_dir = tmp.path()},
            [](const jobs::JobSpec&, jobs::JobControl&) -> Status { return {}; }, [](const jobs::JobEvent&) {}));
        REQUIRE(managers.back()->restore(false) == 1);
    }
    auto tally = hammer(
        [&](int w, int round) {
            auto& manager = *managers[static_cast<std::size_t>(w)];
            return static_cast<bool>(round % 2 == 0 ? manager.resume(id) : manager.pause(id));
        },
        [&] {
            std::ifstream in(file);
            auto doc = nlohmann::json::parse(in, nullptr, false);
            return doc.is_object() && doc.value("jobId", "") == id && jobs::JobSpec::from_json(doc["spec"]).has_value();
        });
    CHECK(tally.failed_writes == 0);
    CHECK(tally.bad_reads == 0);
    CHECK(tally.reads >= k_readers);
    for (const auto& entry : fs::directory_iterator(tmp.path())) CHECK(entry.path().filename() == file.filename());
}
