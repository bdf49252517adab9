// The engine on the fake transport (fake_curl.hpp) and a fake clock: the loop runs turn by turn
// with the test, so pause, cancel, stalls, retries, the rate limit, tail splitting and the bytes
// on the wire are counted exactly, whatever the machine's load.
#include "core/download/engine.hpp"
#include "core/download/journal.hpp"
#include "download_fake_rig.hpp"
#include "download_test_server.hpp"
#include "download_test_util.hpp"
#include "fake_curl.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>

using namespace download_test;
using namespace std::chrono_literals;
using tabagent::test::FakeFile;
using tabagent::test::make_content;

TEST_CASE("download: an empty file needs no request") {
    Rig rig;
    Run run;
    run.begin(*rig.engine, request_for(rig.url("none"), rig.dir.path() / "e.incomplete", ""));
    REQUIRE(rig.run_until([&] { return run.done(); }));
    CHECK(run.status());
    CHECK(std::filesystem::file_size(rig.dir.path() / "e.incomplete") == 0);
    CHECK(rig.curl.requests().empty());
}

TEST_CASE("download: each connection asks one bounded Range with the engine's curl options") {
    Rig rig;
    const std::string content = make_content(1000, 2);
    rig.serve("o.bin", fake_file(content));
    Run run;
    auto request = request_for(rig.url("o.bin"), rig.dir.path() / "o.incomplete", content);
    request.headers = {"Authorization: Bearer hf_token"};
    run.begin(*rig.engine, request);
    REQUIRE(rig.run_until([&] { return run.done(); }));
    CHECK_MESSAGE(run.status(), run.message());
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 1);
    const auto& options = log[0].options;
    CHECK(log[0].range == "bytes=0-999");
    CHECK(log[0].authorization == "Bearer hf_token"); // same origin as the request URL
    CHECK(options.at(CURLOPT_FOLLOWLOCATION) == "1");
    CHECK(options.at(CURLOPT_MAXREDIRS) == "10");
    CHECK(options.at(CURLOPT_PROTOCOLS_STR) == "http,https");
    CHECK(options.at(CURLOPT_REDIR_PROTOCOLS_STR) == "http,https");
    CHECK(options.at(CURLOPT_HTTP_VERSION) == std::to_string(CURL_HTTP_VERSION_2TLS));
    CHECK(options.at(CURLOPT_BUFFERSIZE) == std::to_string(256 * 1024));
    CHECK(options.at(CURLOPT_NOSIGNAL) == "1");
    CHECK(options.at(CURLOPT_CONNECTTIMEOUT_MS) == "10000");
}

TEST_CASE("download: a large file is fetched in segments with bounded bytes on the wire") {
    auto options = quick_options();
    options.min_segment_size = 4u << 20;
    options.max_connections_per_file = 4;
    Rig rig(options);
    const std::string content = make_content(40u << 20, 3);
    rig.serve("big.bin", fake_file(content));
    Run run;
    run.begin(*rig.engine, request_for(rig.url("big.bin"), rig.dir.path() / "big.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }));
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(rig.dir.path() / "big.incomplete") == content);
    CHECK(rig.curl.bytes_sent() <= content.size() * 115 / 100);
    CHECK(rig.curl.bytes_sent() == content.size()); // equal speeds: nothing fetched twice
    const auto& log = rig.curl.requests();
    CHECK(log.size() >= 4);
    // 4 connections, pieces of 40 MiB / 4 capped at piece_size (8 MiB): 32 MiB in the first
    // wave; the last 8 MiB are shared as pieces of at least min_segment_size (4 MiB), not one
    // piece for one connection while three sit idle.
    CHECK(log.size() == 6);
    for (const auto& r : log) CHECK(r.range.rfind("bytes=", 0) == 0);
    for (const auto& r : log) CHECK(r.range.find('-') + 1 < r.range.size()); // bounded: a-b
}

TEST_CASE("download: a connection dropped mid-body is resumed where it stopped") {
    Rig rig;
    const std::string content = make_content(900'000, 6);
    auto file = fake_file(content);
    file.drop_after = 400'000;
    file.drop_times = 1;
    rig.serve("d.bin", file);
    Run run;
    run.begin(*rig.engine, request_for(rig.url("d.bin"), rig.dir.path() / "d.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }));
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(rig.dir.path() / "d.incomplete") == content);
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 2);
    CHECK(log[1].range == "bytes=400000-899999");
    CHECK(rig.curl.bytes_sent() == content.size());
}

TEST_CASE("download: 429 with Retry-After is honoured") {
    Rig rig;
    const std::string content = make_content(50'000, 8);
    auto file = failing(content, 429, 1);
    file.retry_after = "1";
    rig.serve("r.bin", file);
    Run run;
    run.begin(*rig.engine, request_for(rig.url("r.bin"), rig.dir.path() / "r.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }, 100ms));
    CHECK(run.status());
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 2);
    // The 429 arrives in the turn of the first request; the retry opens on the first turn at
    // least Retry-After later. With 100 ms turns that is exactly 1 s.
    CHECK(log[1].at - log[0].at >= 1s);
    CHECK(log[1].at - log[0].at == 1s);
    bool saw_waiting = false;
    for (const auto& p : run.progress()) saw_waiting |= p.waiting;
    CHECK(saw_waiting);
}

TEST_CASE("download: final HTTP answers fail at once with their protocol code") {
    Rig rig;
    const std::string content = make_content(1000, 9);
    auto gated = failing(content, 401, 100);
    gated.x_error_code = "GatedRepo";
    rig.serve("gated.bin", gated);
    Run missing;
    missing.begin(*rig.engine, request_for(rig.url("missing.bin"), rig.dir.path() / "m.incomplete", content));
    Run auth;
    auth.begin(*rig.engine, request_for(rig.url("gated.bin"), rig.dir.path() / "g.incomplete", content));
    REQUIRE(rig.run_until([&] { return missing.done() && auth.done(); }));
    REQUIRE_FALSE(missing.status());
    CHECK(missing.status().error().code == ErrorCode::not_found);
    CHECK(missing.status().error().http_status == 404);
    REQUIRE_FALSE(auth.status());
    CHECK(auth.status().error().code == ErrorCode::auth_required);
    CHECK(auth.status().error().details["x_error_code"] == "GatedRepo");
    CHECK(rig.curl.requests().size() == 2); // no retries of final answers
}

TEST_CASE("download: 5xx is retried with backoff until attempts run out") {
    auto options = quick_options();
    options.max_attempts = 3;
    Rig rig(options);
    const std::string content = make_content(1000, 10);
    rig.serve("down.bin", failing(content, 503, 100));
    Run run;
    run.begin(*rig.engine, request_for(rig.url("down.bin"), rig.dir.path() / "x.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }));
    REQUIRE_FALSE(run.status());
    CHECK(run.status().error().code == ErrorCode::network);
    CHECK(run.status().error().http_status == 503);
    CHECK(run.status().error().details["attempts"] == 3);
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 3);
    // Backoff 50 ms x 2^(failures - 1) x jitter [0.5, 1); each 503 arrives in its request's turn
    // and the loop turns every 10 ms.
    CHECK(log[1].at - log[0].at >= 25ms);
    CHECK(log[1].at - log[0].at < 50ms + 10ms);
    CHECK(log[2].at - log[1].at >= 50ms);
    CHECK(log[2].at - log[1].at < 100ms + 10ms);
}

TEST_CASE("download: cancel takes effect within 200 ms and keeps the partial") {
    Rig rig;
    const std::string content = make_content(4u << 20, 12);
    auto file = fake_file(content);
    file.bytes_per_turn = 2560; // 256 KiB/s at 10 ms turns
    rig.serve("slow.bin", file);
    Run run;
    run.begin(*rig.engine, request_for(rig.url("slow.bin"), rig.dir.path() / "s.incomplete", content));
    REQUIRE(run.id);
    REQUIRE(rig.run_until([&] { return run.last_done() > 0; }));
    // What bounds the delay in real time: cancel() wakes the loop's poll at once, the poll never
    // waits more than 100 ms anyway, and the very next turn ends the transfer.
    const int wakeups = rig.curl.wakeups();
    CHECK(rig.curl.last_poll_timeout_ms() <= 100);
    rig.engine->cancel(*run.id);
    CHECK(rig.curl.wakeups() == wakeups + 1);
    rig.turn(0ms);
    REQUIRE(run.done());
    REQUIRE_FALSE(run.status());
    CHECK(run.status().error().code == ErrorCode::cancelled);
    CHECK(rig.curl.open_requests() == 0);
    CHECK(std::filesystem::exists(download::journal_path(rig.dir.path() / "s.incomplete")));
}

TEST_CASE("download: pause then resume continues from what is on disk") {
    Rig rig;
    const std::string content = make_content(3u << 20, 13);
    auto file = fake_file(content);
    file.bytes_per_turn = 64u << 10;
    rig.serve("p.bin", file);
    const auto partial = rig.dir.path() / "p.incomplete";
    Run run;
    run.begin(*rig.engine, request_for(rig.url("p.bin"), partial, content));
    REQUIRE(run.id);
    // Three connections (1 MiB pieces), 64 KiB each per 100 ms turn; every turn reports.
    REQUIRE(rig.run_until([&] { return run.last_done() > (512u << 10); }, 100ms));
    rig.engine->pause(*run.id);
    rig.turn(100ms);
    bool paused = false;
    for (const auto& p : run.progress()) paused |= p.paused;
    REQUIRE(paused);
    const auto journal = download::read_journal(download::journal_path(partial));
    REQUIRE(journal);
    CHECK(journal->done.covered() > 0);
    // Pause takes effect before the turn's transfers: no byte was in flight, every byte that
    // crossed the wire is in the journal (3 turns x 3 connections x 64 KiB).
    const auto sent_while_paused = rig.curl.bytes_sent();
    CHECK(sent_while_paused == 9 * (64u << 10));
    CHECK(journal->done.covered() == sent_while_paused);
    CHECK(rig.curl.open_requests() == 0);
    const auto requests_before_resume = rig.curl.requests().size();
    for (int i = 0; i < 3; ++i) rig.turn(100ms);
    CHECK_FALSE(run.done()); // nothing moves while paused
    CHECK(rig.curl.bytes_sent() == sent_while_paused);
    CHECK(rig.curl.requests().size() == requests_before_resume);
    rig.engine->resume(*run.id);
    REQUIRE(rig.run_until([&] { return run.done(); }, 100ms));
    CHECK(run.status());
    CHECK(read_all(partial) == content);
    CHECK(rig.curl.bytes_sent() <= content.size() * 115 / 100);
    CHECK(rig.curl.bytes_sent() == content.size());
    // After resume, exactly the ranges the journal lacked were asked for.
    std::vector<std::string> missing, asked;
    for (auto gap = journal->done.first_gap(0, content.size()); gap;
         gap = journal->done.first_gap(gap->second, content.size()))
        missing.push_back(bytes_range(gap->first, gap->second));
    const auto& log = rig.curl.requests();
    for (auto i = requests_before_resume; i < log.size(); ++i) asked.push_back(log[i].range);
    CHECK(missing.size() == 3);
    CHECK(asked == missing);
}

TEST_CASE("download: a partial with its journal resumes only the missing ranges") {
    Rig rig;
    const std::string content = make_content(2u << 20, 14);
    rig.serve("j.bin", fake_file(content));
    const auto partial = rig.dir.path() / "j.incomplete";
    const std::uint64_t half = 1u << 20;
    // A partial holding the first half of `on_disk`, with a journal saying so, then the download.
    const auto resume_over = [&](const std::string& on_disk) {
        std::ofstream(partial, std::ios::binary).write(on_disk.data(), static_cast<std::streamsize>(half));
        download::JournalData data{rig.url("j.bin"), sha256_of(on_disk), content.size(), {}};
        data.done.add(0, half);
        REQUIRE(download::write_journal(download::journal_path(partial), data));
        Run run;
        run.begin(*rig.engine, request_for(rig.url("j.bin"), partial, content));
        REQUIRE(rig.run_until([&] { return run.done(); }));
        CHECK(run.status());
        CHECK(read_all(partial) == content);
    };
    SUBCASE("same etag and size: resume") {
        resume_over(content);
        CHECK(rig.curl.bytes_sent() == content.size() - half);
        for (const auto& r : rig.curl.requests()) CHECK(r.range.rfind("bytes=1048576-", 0) == 0);
    }
    SUBCASE("different etag: restart cleanly") {
        resume_over(make_content(2u << 20, 99));
        CHECK(rig.curl.bytes_sent() == content.size());
    }
}

TEST_CASE("download: a stalled connection is reconnected") {
    Rig rig; // stall_timeout 1 s
    const std::string content = make_content(600'000, 15);
    auto file = fake_file(content);
    file.stall_after = 200'000;
    file.stall_times = 1;
    rig.serve("st.bin", file);
    const auto t0 = rig.clock.now();
    Run run;
    run.begin(*rig.engine, request_for(rig.url("st.bin"), rig.dir.path() / "st.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }, 100ms));
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(rig.dir.path() / "st.incomplete") == content);
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 2);
    CHECK(log[1].range == "bytes=200000-599999");
    // The last byte arrives in the first request's turn; the stall is noticed on the first turn
    // more than stall_timeout later (+1.1 s with 100 ms turns); the backoff (25-50 ms) is over
    // by the next turn.
    CHECK(log[1].at - log[0].at == 1200ms);
    CHECK(rig.clock.now() - t0 < 3s);
}

TEST_CASE("download: not enough disk space fails at once with DISK_FULL") {
    Rig rig;
    Run run;
    download::FileRequest request{rig.url("huge.bin"), {}, rig.dir.path() / "h.incomplete",
                                  std::uint64_t{1} << 60, std::string(64, 'a')};
    run.begin(*rig.engine, request);
    REQUIRE(run.start_error);
    CHECK(run.start_error->code == ErrorCode::disk_full);
    CHECK_FALSE(std::filesystem::exists(rig.dir.path() / "h.incomplete"));
    rig.turn(10ms);
    CHECK(rig.curl.requests().empty());
}

TEST_CASE("download: a lagging last piece is split onto another connection") {
    auto options = quick_options();
    options.piece_size = 2u << 20;
    options.min_segment_size = 2u << 20;
    options.tail_split_min = 256u << 10;
    options.tail_split_eta = 1000ms;
    Rig rig(options);
    const std::string content = make_content(8u << 20, 16);
    auto file = fake_file(content);
    file.bytes_per_turn = 5243; // the piece starting at 6 MiB crawls at 512 KiB/s (4 s alone) ...
    file.slow_only_at = 6u << 20; // ... the others get 256 KiB per 10 ms turn
    rig.serve("tail.bin", file);
    const auto t0 = rig.clock.now();
    Run run;
    run.begin(*rig.engine, request_for(rig.url("tail.bin"), rig.dir.path() / "t.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }));
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(rig.dir.path() / "t.incomplete") == content);
    CHECK(rig.clock.now() - t0 < 3s);
    bool split = false;
    for (const auto& r : rig.curl.requests()) {
        unsigned long long a = 0;
        if (std::sscanf(r.range.c_str(), "bytes=%llu-", &a) == 1 && a > (6u << 20)) split = true;
    }
    CHECK(split);
    CHECK(rig.curl.bytes_sent() <= content.size() * 115 / 100);
}

TEST_CASE("download: the global rate limit slows transfers down") {
    auto options = quick_options();
    const std::uint64_t rate = 1u << 20;
    options.rate_limit_bytes_per_second = rate;
    Rig rig(options);
    const std::string content = make_content(1536u << 10, 17);
    rig.serve("rl.bin", fake_file(content));
    const auto t0 = rig.clock.now(); // the bucket starts empty when the engine starts
    Run run;
    run.begin(*rig.engine, request_for(rig.url("rl.bin"), rig.dir.path() / "rl.incomplete", content));
    // After every turn, the bytes on the wire stay within what the bucket earned since it started,
    // plus the one 256 KiB buffer that may take it below zero.
    bool within = true;
    REQUIRE(rig.run_until([&] {
        const double earned = static_cast<double>(rate) * std::chrono::duration<double>(rig.clock.now() - t0).count();
        within = within && static_cast<double>(rig.curl.bytes_sent()) <= earned + (256u << 10);
        return run.done();
    }));
    CHECK(within);
    CHECK(run.status());
    CHECK(rig.clock.now() - t0 >= 1s);
    CHECK(read_all(rig.dir.path() / "rl.incomplete") == content);
}

TEST_CASE("download: bytes of a connection that stops short of a write batch still reach the partial") {
    Rig rig; // stall_timeout 1 s
    const std::string content = make_content(600'000, 16);
    auto file = fake_file(content);
    file.stall_after = 20'000; // less than one 64 KiB write batch, then silence
    file.stall_times = 1;
    rig.serve("slow.bin", file);
    Run run;
    run.begin(*rig.engine, request_for(rig.url("slow.bin"), rig.dir.path() / "slow.incomplete", content));
    for (int i = 0; i < 5; ++i) rig.turn(100ms); // 0.5 s: past the write delay, before the stall timeout
    CHECK_FALSE(run.done());
    CHECK(run.last_done() == 20'000); // written and counted, not held in memory until the stall
    REQUIRE(rig.run_until([&] { return run.done(); }, 100ms));
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(rig.dir.path() / "slow.incomplete") == content);
}
