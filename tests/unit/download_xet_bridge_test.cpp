// The engine against what a Xet bridge does (issue 13 item 1), on the fake transport and clock:
// a slow first byte, a compressed answer, a server that ignores Range. Hosts seen answering
// `/resolve` redirects this way: cas-bridge.xethub.hf.co and *.cdn.hf.co (hub-docs docs/xet/).
#include "download_fake_rig.hpp"
#include "download_test_server.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>

using namespace download_test;
using namespace std::chrono_literals;
using tabagent::test::make_content;

namespace {

download::EngineOptions bridge_options() {
    auto options = quick_options(); // stall_timeout 1 s, 1 MiB segments, 4 connections
    options.piece_size = 2u << 20;
    return options; // first_byte_timeout: the default, 120 s
}

bool has_header(const test::FakeRequest& r, const std::string& line) {
    return std::find(r.headers.begin(), r.headers.end(), line) != r.headers.end();
}

} // namespace

TEST_CASE("download: a 60 s first byte on every request is waited for, not taken for a stall") {
    Rig rig(bridge_options());
    CHECK(download::EngineOptions{}.first_byte_timeout == 120s);
    const std::string content = make_content(8u << 20, 31);
    auto file = fake_file(content);
    file.first_byte_delay = 60s; // every request, as a bridge rebuilding the file
    rig.serve("bridge.bin", file);
    const auto t0 = rig.clock.now();
    Run run;
    run.begin(*rig.engine, request_for(rig.url("bridge.bin"), rig.dir.path() / "b.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }, 500ms));
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(rig.dir.path() / "b.incomplete") == content);
    // One request per segment, none abandoned: the bytes on the wire are the file's.
    CHECK(rig.curl.requests().size() == 4);
    CHECK(rig.curl.bytes_sent() <= content.size() * 115 / 100);
    CHECK(rig.clock.now() - t0 < 65s); // one wait, shared by the four segments
}

TEST_CASE("download: a first wave still waiting after slow_start_replan is asked again as long ranges") {
    Rig rig(bridge_options()); // slow_start_replan: the default, 5 s
    const std::string content = make_content(32u << 20, 32);
    auto file = fake_file(content);
    file.first_byte_delay = 60s;
    rig.serve("long.bin", file);
    const auto t0 = rig.clock.now();
    Run run;
    run.begin(*rig.engine, request_for(rig.url("long.bin"), rig.dir.path() / "l.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }, 500ms));
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(rig.dir.path() / "l.incomplete") == content);
    // 2 MiB pieces would be 16 requests in four waves of 60 s. The four first pieces, still
    // waiting at 5 s, are dropped before any byte and the file is asked as four 8 MiB ranges.
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 8);
    for (std::size_t i = 0; i < 4; ++i) CHECK(log[i].range == bytes_range(i * (2u << 20), (i + 1) * (2u << 20)));
    for (std::size_t i = 4; i < 8; ++i) CHECK(log[i].range == bytes_range((i - 4) * (8u << 20), (i - 3) * (8u << 20)));
    CHECK(log[4].at - log[0].at < 6s);
    CHECK(rig.curl.bytes_sent() == content.size()); // the dropped requests had sent nothing
    // One wait of 60 s after the 5 s, then 8 MiB per connection at the fake's 512 KiB/s (500 ms
    // turns); two waits would be over 120 s.
    CHECK(rig.clock.now() - t0 < 85s);
}

TEST_CASE("download: no first byte within first_byte_timeout retries the request") {
    auto options = bridge_options();
    options.first_byte_timeout = 30s;
    Rig rig(options);
    const std::string content = make_content(600'000, 33);
    auto file = fake_file(content);
    file.first_byte_delay = 600s; // the first request never answers in time
    file.first_byte_delay_times = 1;
    rig.serve("slow.bin", file);
    Run run;
    run.begin(*rig.engine, request_for(rig.url("slow.bin"), rig.dir.path() / "s.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }, 500ms));
    REQUIRE_MESSAGE(run.status(), run.message());
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 2);
    // Dropped on the first turn more than 30 s after the request (not after the 1 s stall bound);
    // the retry opens once its 25-50 ms backoff is over, on the next turn.
    CHECK(log[1].at - log[0].at == 31s);
    CHECK(log[1].range == log[0].range);
}

TEST_CASE("download: every file request asks for Accept-Encoding: identity") {
    // huggingface_hub file_download.py get_hf_file_metadata sends it on its HEAD ("prevent any
    // compression => we want to know the real size of the file"); a GET needs it as much: the
    // etag and the Range offsets count the stored bytes.
    Rig rig(bridge_options());
    const std::string content = make_content(3u << 20, 34);
    auto file = fake_file(content);
    file.drop_after = 100'000; // a retry must ask the same
    file.drop_times = 1;
    rig.serve("id.bin", file);
    Run run;
    run.begin(*rig.engine, request_for(rig.url("id.bin"), rig.dir.path() / "i.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }));
    REQUIRE_MESSAGE(run.status(), run.message());
    REQUIRE(rig.curl.requests().size() >= 4);
    for (const auto& r : rig.curl.requests()) {
        CHECK(has_header(r, "Accept-Encoding: identity"));
        CHECK(r.options.at(CURLOPT_HTTP_CONTENT_DECODING) == "0"); // never decoded behind our back
    }
}

TEST_CASE("download: a compressed body is refused with INTEGRITY, not hashed") {
    Rig rig(bridge_options());
    const std::string content = make_content(500'000, 35);
    auto file = fake_file(content);
    file.extra_headers = {"Content-Encoding: gzip"};
    rig.serve("gz.bin", file);
    Run run;
    const auto partial = rig.dir.path() / "g.incomplete";
    run.begin(*rig.engine, request_for(rig.url("gz.bin"), partial, content));
    REQUIRE(rig.run_until([&] { return run.done(); }));
    const auto status = run.status();
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::integrity);
    CHECK(status.error().message.find("Content-Encoding: gzip") != std::string::npos);
    CHECK(rig.curl.requests().size() == 1); // the same answer would come again: no retry
    CHECK(read_all(partial).find_first_not_of('\0') == std::string::npos); // nothing written
}

TEST_CASE("download: the single-stream fallback still asks for a Range") {
    // A bridge serves files over 50 GB only to ranged requests (xet-core issue 238: a whole-file
    // GET of such a file gets 400 Bad Request; huggingface_hub issues 2991, 3868): when the server
    // ignored Range once and the engine fell back to one stream, the stream's retry names its
    // range too ("bytes=N-<last>"), never a bare GET.
    Rig rig(bridge_options());
    const std::string content = make_content(3u << 20, 36);
    auto file = fake_file(content);
    file.ignore_range = true;
    file.drop_after = 1'000'000;
    file.drop_times = 1;
    rig.serve("one.bin", file);
    Run run;
    run.begin(*rig.engine, request_for(rig.url("one.bin"), rig.dir.path() / "o.incomplete", content));
    REQUIRE(rig.run_until([&] { return run.done(); }));
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(rig.dir.path() / "o.incomplete") == content);
    bool resumed = false;
    for (const auto& r : rig.curl.requests()) {
        CHECK(r.range.rfind("bytes=", 0) == 0);
        unsigned long long a = 0, b = 0;
        if (std::sscanf(r.range.c_str(), "bytes=%llu-%llu", &a, &b) == 2 && a > 0 && b + 1 == content.size())
            resumed = true;
    }
    CHECK(resumed);
}
