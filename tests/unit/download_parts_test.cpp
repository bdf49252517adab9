// The engine's parts on their own, without network or real time: SegmentPlanner, RetryPolicy,
// RateBucket, PartialFile (with its journal) and the response check of the libcurl driver.
#include "core/download/connection.hpp"
#include "core/download/journal.hpp"
#include "core/download/partial_file.hpp"
#include "core/download/rate_bucket.hpp"
#include "core/download/retry_policy.hpp"
#include "core/download/segment_planner.hpp"
#include "core/hub/errors.hpp"
#include "download_test_util.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <vector>

using namespace download_test;
using namespace std::chrono_literals;
using download::ActiveRange;
using download::Assignment;
using download::SegmentPlanner;

namespace {

constexpr std::uint64_t MiB = 1u << 20;

download::EngineOptions planner_options() {
    auto o = quick_options(); // 1 MiB segments, 8 MiB pieces, 4 connections per file
    o.tail_split_min = 1 * MiB;
    o.tail_split_eta = 2000ms;
    return o;
}

// A connection that has run long enough to be judged, at `speed` bytes/s lately.
ActiveRange running(std::uint64_t pos, std::uint64_t limit, double speed) {
    return {pos, limit, true, 2.0, static_cast<std::uint64_t>(speed * 2), speed};
}

std::string pattern(std::size_t size, char seed) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 251));
    return s;
}

} // namespace

// ---- SegmentPlanner --------------------------------------------------------------------------

TEST_CASE("download planner: connections and piece size follow the file size") {
    const auto o = planner_options();
    SegmentPlanner small(600'000, o);
    CHECK(small.connection_cap() == 1);
    CHECK(small.piece() == 1 * MiB);
    SegmentPlanner three(3 * MiB, o);
    CHECK(three.connection_cap() == 3);
    CHECK(three.piece() == 1 * MiB);
    SegmentPlanner big(40 * MiB, o);
    CHECK(big.connection_cap() == 4);
    CHECK(big.piece() == 8 * MiB); // 10 MiB each would exceed piece_size
}

TEST_CASE("download planner: a free connection takes the lowest unclaimed range, one piece at most") {
    SegmentPlanner planner(40 * MiB, planner_options());
    download::RangeSet done;
    done.add(0, 1 * MiB);
    std::vector<ActiveRange> active{running(9 * MiB, 17 * MiB, 1e6)};
    auto next = planner.next(done, active, false, false);
    REQUIRE(next);
    CHECK(next->kind == Assignment::Kind::gap);
    CHECK(next->begin == 1 * MiB);
    CHECK(next->end == 9 * MiB); // the gap ends where the running connection starts
    active.push_back(running(next->begin, next->end, 1e6));
    next = planner.next(done, active, false, false);
    REQUIRE(next);
    CHECK(next->begin == 17 * MiB);
    CHECK(next->end == 25 * MiB); // one piece
    SUBCASE("no more than the cap") {
        active.push_back(running(17 * MiB, 25 * MiB, 1e6));
        active.push_back(running(25 * MiB, 33 * MiB, 1e6));
        CHECK_FALSE(planner.next(done, active, false, false));
    }
    SUBCASE("a single stream (Range ignored) runs alone, to the end of the file") {
        CHECK_FALSE(planner.next(done, active, true, false));
        auto alone = planner.next(done, {}, true, false);
        REQUIRE(alone);
        CHECK(alone->begin == 1 * MiB);
        CHECK(alone->end == 40 * MiB);
    }
}

TEST_CASE("download planner: before any piece was measured, only a clearly late tail is halved") {
    SegmentPlanner planner(4 * MiB, planner_options()); // fresh_speed 0
    download::RangeSet done;
    done.add(0, 2 * MiB);
    // 2 MiB left at 100 KB/s: 21 s, far beyond tail_split_eta.
    std::vector<ActiveRange> late{running(2 * MiB, 4 * MiB, 100'000)};
    auto next = planner.next(done, late, false, false);
    REQUIRE(next);
    CHECK(next->kind == Assignment::Kind::halve);
    CHECK(next->begin == 3 * MiB);
    CHECK(next->end == 4 * MiB);
    CHECK(next->lagging == 0);
    // On time (2 MiB at 10 MB/s = 0.2 s), or too short to halve (< 2 x tail_split_min): no split.
    std::vector<ActiveRange> on_time{running(2 * MiB, 4 * MiB, 10e6)};
    CHECK_FALSE(planner.next(done, on_time, false, false));
    done.add(2 * MiB, 3 * MiB + MiB / 2);
    std::vector<ActiveRange> short_tail{running(3 * MiB + MiB / 2, 4 * MiB, 1000)};
    CHECK_FALSE(planner.next(done, short_tail, false, false));
}

TEST_CASE("download planner: a lagging tail is split so that both connections finish together") {
    SegmentPlanner planner(40'000'000, planner_options());
    planner.record_piece_speed(10e6);
    download::RangeSet done;
    done.add(0, 28'000'000);
    // 12 MB left at 2 MB/s against 10 MB/s fresh: the lagging one keeps 12 x 2/12 = 2 MB.
    std::vector<ActiveRange> active{running(28'000'000, 40'000'000, 2e6)};
    auto next = planner.next(done, active, false, false);
    REQUIRE(next);
    CHECK(next->kind == Assignment::Kind::split);
    CHECK(next->begin == 30'000'000);
    CHECK(next->end == 40'000'000);
    SUBCASE("a connection that would hardly contribute is taken over whole") {
        active[0].recent_speed = 100'000; // keeps 12 MB x 0.1/10.1 < 1/8 of the range
        auto take = planner.next(done, active, false, false);
        REQUIRE(take);
        CHECK(take->kind == Assignment::Kind::take_over);
        CHECK(take->begin == 28'000'000);
        CHECK(take->end == 40'000'000);
    }
    SUBCASE("not worth a connection when the tail is about as fast as a fresh one") {
        // 3 MB at 9 MB/s: 0.33 s alone, 0.21 s together plus a new connection's start-up.
        download::RangeSet nearly;
        nearly.add(0, 37'000'000);
        std::vector<ActiveRange> near_end{running(37'000'000, 40'000'000, 9e6)};
        CHECK_FALSE(planner.next(nearly, near_end, false, false));
        near_end[0].recent_speed = 4e6; // 0.75 s alone: worth it
        CHECK(planner.next(nearly, near_end, false, false));
    }
    SUBCASE("young, unjudged or nearly finished connections are left alone; so is a rate limit") {
        auto young = active;
        young[0].age_seconds = 0.2;
        CHECK_FALSE(planner.next(done, young, false, false));
        auto unjudged = active;
        unjudged[0].measurable = false;
        CHECK_FALSE(planner.next(done, unjudged, false, false));
        CHECK_FALSE(planner.next(done, active, false, true));
        download::RangeSet almost;
        almost.add(0, 40'000'000 - 60'000);
        std::vector<ActiveRange> tiny{running(40'000'000 - 60'000, 40'000'000, 1000)};
        CHECK_FALSE(planner.next(almost, tiny, false, false));
    }
    SUBCASE("without a recent speed, the average since the start counts") {
        active[0].recent_speed.reset();
        active[0].received = 4'000'000; // 2 MB/s over 2 s
        auto same = planner.next(done, active, false, false);
        REQUIRE(same);
        CHECK(same->begin == 30'000'000);
    }
}

TEST_CASE("download planner: the fresh speed is a moving average of whole pieces") {
    SegmentPlanner planner(4 * MiB, planner_options());
    CHECK(planner.fresh_speed() == 0);
    planner.record_piece_speed(10e6);
    CHECK(planner.fresh_speed() == 10e6);
    planner.record_piece_speed(20e6);
    CHECK(planner.fresh_speed() == 15e6);
}

// ---- RetryPolicy -----------------------------------------------------------------------------

TEST_CASE("download retry: backoff doubles up to the cap, with jitter from the seeded generator") {
    download::RetryPolicy policy({6, 500ms, 30'000ms});
    const Error error = hub::transport_error(CURLE_COULDNT_CONNECT);
    std::mt19937_64 a(7), b(7);
    std::vector<double> first, second;
    for (int failures = 1; failures <= 9; ++failures) {
        const double full = std::min(30'000.0, 500.0 * (1 << (failures - 1)));
        const double delay = policy.delay_ms(error, failures, a);
        CHECK(delay >= 0.5 * full);
        CHECK(delay < full);
        first.push_back(delay);
        second.push_back(policy.delay_ms(error, failures, b));
    }
    CHECK(first == second); // same seed, same delays
}

TEST_CASE("download retry: Retry-After replaces the backoff") {
    download::RetryPolicy policy({6, 500ms, 30'000ms});
    hub::HttpFailureInfo info;
    info.retry_after_seconds = 2.5;
    Error limited = hub::http_error(429, info);
    std::mt19937_64 random(1);
    const auto now = std::chrono::steady_clock::time_point(100s);
    auto decision = policy.failed(limited, {0, 0, false}, now, random);
    CHECK(decision.action == download::RetryPolicy::Action::wait);
    CHECK(decision.delay_ms == 2500);
    CHECK(policy.not_before() == now + 2500ms);
    CHECK(policy.waiting(now + 2499ms));
    CHECK_FALSE(policy.waiting(now + 2500ms));
    policy.open_now(now); // resume: no waiting
    CHECK_FALSE(policy.waiting(now));
}

TEST_CASE("download retry: counted failures give up after max_attempts, one count per epoch") {
    download::RetryPolicy policy({3, 50ms, 500ms});
    std::mt19937_64 random(1);
    const auto now = std::chrono::steady_clock::time_point(100s);
    Error down = hub::http_error(503, {});
    // Two connections of epoch 0 fail together: the second is not counted again.
    CHECK(policy.failed(down, {0, 0, false}, now, random).action == download::RetryPolicy::Action::wait);
    CHECK(policy.failed(down, {0, 0, false}, now, random).action == download::RetryPolicy::Action::ignore);
    CHECK(policy.failures() == 1);
    CHECK(policy.epoch() == 1);
    CHECK(policy.failed(down, {0, 1, false}, now, random).action == download::RetryPolicy::Action::wait);
    auto last = policy.failed(down, {0, 2, false}, now, random);
    CHECK(last.action == download::RetryPolicy::Action::give_up);
    CHECK(down.details["attempts"] == 3);
}

TEST_CASE("download retry: progress resets the failure count") {
    download::RetryPolicy policy({3, 50ms, 500ms});
    std::mt19937_64 random(1);
    const auto now = std::chrono::steady_clock::time_point(100s);
    Error dropped = hub::transport_error(CURLE_PARTIAL_FILE);
    policy.failed(dropped, {0, 0, false}, now, random);
    policy.failed(dropped, {0, 1, false}, now, random);
    CHECK(policy.failures() == 2);
    // A connection that moved 256 KiB before dropping: the count starts over, then counts it.
    policy.failed(dropped, {download::k_progress_resets_failures, 2, false}, now, random);
    CHECK(policy.failures() == 1);
    policy.succeeded(1000, false);
    CHECK(policy.failures() == 1);
    policy.succeeded(1000, true); // reached the end of what it asked
    CHECK(policy.failures() == 0);
    policy.failed(dropped, {0, 3, false}, now, random);
    policy.succeeded(download::k_progress_resets_failures, false);
    CHECK(policy.failures() == 0);
    const auto epoch = policy.epoch();
    policy.start_over(); // integrity retry
    CHECK(policy.epoch() == epoch + 1);
}

TEST_CASE("download retry: which errors are tried again") {
    using download::download_retryable;
    CHECK(download_retryable(hub::http_error(429, {}), false));
    CHECK(download_retryable(hub::http_error(503, {}), false));
    CHECK(download_retryable(hub::http_error(408, {}), false));
    CHECK(download_retryable(hub::transport_error(CURLE_OPERATION_TIMEDOUT), false));
    CHECK_FALSE(download_retryable(hub::http_error(404, {}), false));
    CHECK_FALSE(download_retryable(hub::http_error(401, {}), false));
    CHECK_FALSE(download_retryable(Error{ErrorCode::disk_full, "full", {}}, false));
    // A refused signed CDN URL may have expired: retried through the resolve URL.
    CHECK(download_retryable(hub::http_error(403, {}), true));
    CHECK(download_retryable(hub::http_error(404, {}), true));
    std::mt19937_64 random(1);
    download::RetryPolicy policy({6, 50ms, 500ms});
    Error final = hub::http_error(404, {});
    CHECK(policy.failed(final, {0, 0, false}, {}, random).action == download::RetryPolicy::Action::give_up);
    CHECK(policy.failures() == 0);
}

// ---- RateBucket ------------------------------------------------------------------------------

TEST_CASE("download rate bucket: off lets everything through") {
    download::RateBucket bucket(0, {});
    CHECK_FALSE(bucket.enabled());
    CHECK(bucket.take(1u << 30));
}

TEST_CASE("download rate bucket: starts empty, earns rate x time up to a burst, may go negative") {
    const auto t0 = std::chrono::steady_clock::time_point(10s);
    download::RateBucket bucket(1u << 20, t0); // 1 MiB/s: burst max(104 857.6, 65 536)
    CHECK_FALSE(bucket.take(1));               // empty at start
    bucket.refill(t0 + 10ms);
    CHECK(bucket.tokens() == doctest::Approx(10'485.76));
    CHECK(bucket.take(256u << 10)); // a whole buffer, below zero
    CHECK(bucket.tokens() == doctest::Approx(10'485.76 - 262'144));
    CHECK_FALSE(bucket.take(1));
    CHECK(bucket.wait_ms() == 100); // 240 ms to go, one poll at most 100 ms
    bucket.refill(t0 + 10ms + 200500us); // -41 418.752 tokens left: 39.5 ms, rounded up
    CHECK(bucket.wait_ms() == 40);
    bucket.refill(t0 + 10s);
    CHECK(bucket.tokens() == doctest::Approx(104'857.6)); // the burst cap
    bucket.set_rate(2u << 20, t0 + 10s);                   // a new limit starts empty
    CHECK(bucket.tokens() == 0);
    CHECK_FALSE(bucket.has_tokens());
}

TEST_CASE("download rate bucket: bytes taken never exceed rate x time plus one buffer") {
    const std::uint64_t rate = 3'000'000;
    const std::size_t buffer = 256u << 10;
    auto now = std::chrono::steady_clock::time_point(10s);
    const auto t0 = now;
    download::RateBucket bucket(rate, now);
    std::uint64_t taken = 0;
    for (int turn = 0; turn < 5000; ++turn) {
        now += 1ms;
        bucket.refill(now);
        while (bucket.take(buffer)) taken += buffer;
        const double earned = static_cast<double>(rate) * std::chrono::duration<double>(now - t0).count();
        REQUIRE(static_cast<double>(taken) <= earned + buffer);
    }
    CHECK(static_cast<double>(taken) >= 0.9 * 5 * rate); // and the limit is not undershot
}

// ---- PartialFile and its journal ---------------------------------------------------------------

TEST_CASE("download partial: a fresh partial starts empty; a matching journal resumes, clipped to the file") {
    TempDir dir;
    const std::string content = pattern(5000, 'a');
    const auto path = dir.path() / "f.incomplete";
    const download::FileRequest request{"https://hub.test/f", {}, path, content.size(), sha256_of(content)};
    const auto now = std::chrono::steady_clock::time_point(5s);
    SUBCASE("fresh") {
        auto file = download::PartialFile::open(request, now);
        REQUIRE(file);
        CHECK(file->done().covered() == 0);
        CHECK(std::filesystem::exists(path));
    }
    SUBCASE("resume: the journal names 2000 bytes, the file holds 1000") {
        std::ofstream(path, std::ios::binary).write(content.data(), 1000);
        download::JournalData data{request.url, request.etag, request.size, {}};
        data.done.add(0, 2000);
        REQUIRE(download::write_journal(download::journal_path(path), data));
        auto file = download::PartialFile::open(request, now);
        REQUIRE(file);
        CHECK(file->done().covered() == 1000);
        CHECK(std::filesystem::file_size(path) == 1000);
    }
    SUBCASE("another etag: the partial is emptied and the journal removed") {
        std::ofstream(path, std::ios::binary).write(content.data(), 1000);
        download::JournalData data{request.url, std::string(64, 'b'), request.size, {}};
        data.done.add(0, 1000);
        REQUIRE(download::write_journal(download::journal_path(path), data));
        auto file = download::PartialFile::open(request, now);
        REQUIRE(file);
        CHECK(file->done().covered() == 0);
        CHECK(std::filesystem::file_size(path) == 0);
        CHECK_FALSE(std::filesystem::exists(download::journal_path(path)));
    }
}

TEST_CASE("download partial: the pre-flight refuses bad etags and missing disk space") {
    TempDir dir;
    const auto path = dir.path() / "h.incomplete";
    const auto now = std::chrono::steady_clock::time_point(5s);
    auto bad = download::PartialFile::open({"https://hub.test/h", {}, path, 10, "not-a-hash"}, now);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::bad_request);
    const download::FileRequest huge{"https://hub.test/h", {}, path, std::uint64_t{1} << 60, std::string(64, 'a')};
    auto full = download::PartialFile::open(huge, now);
    REQUIRE_FALSE(full);
    CHECK(full.error().code == ErrorCode::disk_full);
    CHECK_FALSE(std::filesystem::exists(path)); // nothing started: no empty partial left behind
    std::ofstream(path, std::ios::binary) << "x";
    CHECK_FALSE(download::PartialFile::open(huge, now));
    CHECK(std::filesystem::exists(path)); // a partial that was there stays
}

TEST_CASE("download partial: the journal is written every 16 MiB or every second, never without news") {
    TempDir dir;
    const auto path = dir.path() / "j.incomplete";
    const std::uint64_t size = 40u << 20;
    const download::FileRequest request{"https://hub.test/j", {}, path, size, std::string(64, 'c')};
    const auto t0 = std::chrono::steady_clock::time_point(5s);
    auto file = download::PartialFile::open(request, t0);
    REQUIRE(file);
    const auto journal = download::journal_path(path);
    CHECK_FALSE(file->journal_due(t0 + 5s)); // nothing written yet
    const std::string kib(1024, 'k');
    REQUIRE(file->write(kib.data(), kib.size(), 4096));
    CHECK_FALSE(file->journal_due(t0 + 999ms));
    CHECK(file->journal_due(t0 + 1s));
    file->flush_journal(t0 + 1s);
    auto read = download::read_journal(journal);
    REQUIRE(read);
    CHECK(read->done.ranges() == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{4096, 5120}});
    CHECK(read->url == request.url);
    CHECK_FALSE(file->journal_due(t0 + 10s)); // flushed, nothing new
    const std::string chunk(16u << 20, 'z');
    REQUIRE(file->write(chunk.data(), chunk.size(), 8u << 20));
    CHECK(file->journal_due(t0 + 1s)); // 16 MiB unjournaled: due at once
}

TEST_CASE("download partial: the contiguous prefix is hashed as it grows and handed to writeback") {
    TempDir dir;
    const auto path = dir.path() / "h.incomplete";
    const std::string content = pattern(3u << 20, 'q');
    const download::FileRequest request{"https://hub.test/h", {}, path, content.size(), sha256_of(content)};
    auto file = download::PartialFile::open(request, {});
    REQUIRE(file);
    REQUIRE(file->write(content.data() + MiB, MiB, MiB)); // the second MiB first
    file->pump_hash(nullptr);
    CHECK(file->hashed() == 0); // no prefix yet
    REQUIRE(file->write(content.data(), MiB, 0));
    file->pump_hash(nullptr);
    CHECK(file->hashed() == 2 * MiB);
    CHECK_FALSE(file->take_writeback()); // less than 8 MiB hashed, not the end
    CHECK_FALSE(file->complete());
    REQUIRE(file->write(content.data() + 2 * MiB, MiB, 2 * MiB));
    file->pump_hash(nullptr);
    CHECK(file->complete());
    auto writeback = file->take_writeback(); // the end: the rest at once
    REQUIRE(writeback);
    CHECK(writeback->first == 0);
    CHECK(writeback->second == 3 * MiB);
    CHECK_FALSE(file->take_writeback());
    auto verdict = file->verify();
    REQUIRE(verdict);
    CHECK(*verdict == download::PartialFile::Verdict::verified);
    CHECK_FALSE(file->is_open());
    CHECK(read_all(path) == content);
}

// Counts the hash worker's "caught up" calls and waits for a condition they may have made true.
struct CaughtUp {
    std::mutex mutex;
    std::condition_variable cv;
    int calls = 0;
    void operator()() {
        std::lock_guard lock(mutex);
        ++calls;
        cv.notify_all();
    }
    template <class Pred> bool wait(Pred pred) { // the 60 s only catch a hang
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, std::chrono::seconds(60), pred);
    }
};

TEST_CASE("download partial: the hash worker hashes the prefix on its own thread, file after file") {
    TempDir dir;
    CaughtUp caught_up;
    download::HashWorker worker([&] { caught_up(); });
    const std::string a = pattern(20u << 20, 'a'), b = pattern(3u << 20, 'b');
    const download::FileRequest ra{"https://hub.test/a", {}, dir.path() / "a.incomplete", a.size(), sha256_of(a)};
    const download::FileRequest rb{"https://hub.test/b", {}, dir.path() / "b.incomplete", b.size(), git_sha1_of(b)};
    auto fa = download::PartialFile::open(ra, {});
    auto fb = download::PartialFile::open(rb, {});
    REQUIRE(fa);
    REQUIRE(fb);
    REQUIRE(fa->write(a.data(), 12 * MiB, 0));
    fa->pump_hash(&worker);
    REQUIRE(caught_up.wait([&] { return fa->hashed() == 12 * MiB; })); // only the written prefix
    REQUIRE(fb->write(b.data(), b.size(), 0));
    REQUIRE(fa->write(a.data() + 12 * MiB, a.size() - 12 * MiB, 12 * MiB));
    fa->pump_hash(&worker);
    fb->pump_hash(&worker);
    REQUIRE(caught_up.wait([&] { return fa->complete() && fb->complete(); }));
    for (auto* file : {&*fa, &*fb}) {
        auto verdict = file->verify();
        REQUIRE(verdict);
        CHECK(*verdict == download::PartialFile::Verdict::verified);
    }
}

TEST_CASE("download partial: a partial let go while its hash is queued is never read again") {
    TempDir dir;
    CaughtUp caught_up;
    download::HashWorker worker([&] { caught_up(); });
    const std::string content = pattern(64u << 20, 'g');
    const auto path = dir.path() / "g.incomplete";
    {
        auto file = download::PartialFile::open({"https://hub.test/g", {}, path, content.size(), sha256_of(content)}, {});
        REQUIRE(file);
        REQUIRE(file->write(content.data(), content.size(), 0));
        file->pump_hash(&worker);
    } // closes the slot, waiting for the step in flight
    std::error_code ec;
    CHECK(std::filesystem::remove(path, ec)); // nothing holds it open (Windows could not delete it)
    REQUIRE(caught_up.wait([&] { return caught_up.calls >= 1; })); // the worker dropped the slot
}

TEST_CASE("download partial: a hash mismatch starts over once, the second is INTEGRITY") {
    TempDir dir;
    const auto path = dir.path() / "m.incomplete";
    const std::string content = pattern(4096, 'm');
    std::string wrong = content;
    wrong[100] = static_cast<char>(wrong[100] ^ 1);
    const download::FileRequest request{"https://hub.test/m", {}, path, content.size(), sha256_of(content)};
    auto file = download::PartialFile::open(request, {});
    REQUIRE(file);
    const auto fill = [&] {
        REQUIRE(file->write(wrong.data(), wrong.size(), 0));
        file->flush_journal(std::chrono::steady_clock::time_point(1s));
        file->pump_hash(nullptr);
        CHECK(file->hashed() == wrong.size());
        REQUIRE(file->complete());
    };
    fill();
    auto first = file->verify();
    REQUIRE(first);
    CHECK(*first == download::PartialFile::Verdict::fetch_again);
    CHECK(file->done().covered() == 0);
    CHECK(std::filesystem::file_size(path) == 0);
    CHECK_FALSE(std::filesystem::exists(download::journal_path(path)));
    fill();
    auto second = file->verify();
    REQUIRE_FALSE(second);
    CHECK(second.error().code == ErrorCode::integrity);
    CHECK(second.error().details["expected"] == sha256_of(content));
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(download::journal_path(path)));
}

// ---- the driver's response check ---------------------------------------------------------------

TEST_CASE("download response: 206 must name the range asked for; 200 is the whole file") {
    using download::BodyKind;
    CHECK(download::judge_response(206, "bytes 100-199/1000", 100, 1000) == BodyKind::ranged);
    CHECK(download::judge_response(200, "", 100, 1000) == BodyKind::whole);
    CHECK(download::judge_response(404, "", 0, 1000) == BodyKind::error);
    CHECK(download::judge_response(503, "", 0, 1000) == BodyKind::error);
    for (const char* wrong : {"bytes 0-99/1000", "bytes 100-199/999", "garbage", ""}) {
        auto judged = download::judge_response(206, wrong, 100, 1000);
        REQUIRE_FALSE(judged);
        CHECK(judged.error().code == ErrorCode::network);
        CHECK(judged.error().http_status == 206);
    }
}

TEST_CASE("download planner: after the first wave, the rest is shared in smaller pieces") {
    auto options = planner_options(); // 1 MiB segments, 8 MiB pieces, 4 connections
    SegmentPlanner planner(64 * MiB, options);
    download::RangeSet done;
    std::vector<ActiveRange> active;
    // The first wave: whole pieces, even when the rest is less than a piece per connection.
    for (int i = 0; i < 3; ++i) {
        auto next = planner.next(done, active, false, false);
        REQUIRE(next);
        CHECK(next->end - next->begin == 8 * MiB);
        active.push_back(running(next->begin, next->end, 1e6));
    }
    done.add(24 * MiB, 56 * MiB); // say a resumed file: 8 MiB unclaimed at 56 MiB
    auto before = planner.next(done, active, false, false);
    REQUIRE(before);
    CHECK(before->end - before->begin == 8 * MiB);
    planner.record_piece_speed(20e6); // a piece finished: the first wave is over
    auto after = planner.next(done, active, false, false);
    REQUIRE(after);
    CHECK(after->begin == 56 * MiB);
    CHECK(after->end - after->begin == 2 * MiB); // 8 MiB left / 4 connections
    done.add(56 * MiB, 63 * MiB);
    auto last = planner.next(done, active, false, false);
    REQUIRE(last);
    CHECK(last->end - last->begin == 1 * MiB); // never below min_segment_size
    SUBCASE("a gathered, unwritten stretch stays claimed by its connection") {
        std::vector<ActiveRange> one{running(40 * MiB, 48 * MiB, 1e6)};
        one[0].unwritten = 64 << 10; // received 40 MiB - 64 KiB .. 40 MiB, not written yet
        download::RangeSet written;
        written.add(0, 40 * MiB - (64u << 10));
        auto next = SegmentPlanner(56 * MiB, options).next(written, one, false, false);
        REQUIRE(next);
        CHECK(next->begin == 48 * MiB); // not 40 MiB - 64 KiB: those bytes are on their way
    }
}
