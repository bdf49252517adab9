// The engine against real libcurl and a live local HTTP server, for what needs real HTTP: the
// happy path, a server that ignores Range, a redirect to another host, a corrupt byte. Nothing
// here depends on timing; the timing-sensitive behaviour (pause, cancel, stalls, retries, rate
// limit, tail splitting, bytes on the wire) is pinned exactly on the fake transport
// (download_engine_fake_test.cpp).
#include "core/download/engine.hpp"
#include "core/download/journal.hpp"
#include "core/download/range_set.hpp"
#include "download_test_server.hpp"
#include "download_test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace download_test;
using tabagent::test::make_content;
using tabagent::test::served;
using tabagent::test::TestServer;

TEST_CASE("download: range set merges, finds gaps and the contiguous prefix") {
    download::RangeSet set;
    set.add(10, 20);
    set.add(0, 5);
    set.add(5, 10);
    CHECK(set.prefix_end() == 20);
    set.add(30, 40);
    CHECK(set.covered() == 30);
    CHECK(set.covers(0, 20));
    CHECK_FALSE(set.covers(15, 35));
    auto gap = set.first_gap(0, 100);
    REQUIRE(gap);
    CHECK(gap->first == 20);
    CHECK(gap->second == 30);
    CHECK(set.first_gap(30, 40) == std::nullopt);
    set.add(15, 35);
    CHECK(set.ranges().size() == 1);
    set.clip(25);
    CHECK(set.covered() == 25);
}

TEST_CASE("download: a small file is streamed and verified (sha256 and git-sha1 etags)") {
    TestServer server;
    TempDir dir;
    const std::string lfs = make_content(300'000, 7);
    const std::string small = R"({"model_type":"gpt2"})";
    server.add_file("model.bin", served(lfs));
    server.add_file("config.json", served(small));
    download::Engine engine(quick_options());

    Run a;
    a.begin(engine, request_for(server.url("model.bin"), dir.path() / "a.incomplete", lfs));
    Run b;
    b.begin(engine, {server.url("config.json"), {}, dir.path() / "b.incomplete", small.size(), git_sha1_of(small)});
    REQUIRE(a.wait());
    REQUIRE(b.wait());
    CHECK_MESSAGE(a.status(), a.message());
    CHECK_MESSAGE(b.status(), b.message());
    CHECK(read_all(dir.path() / "a.incomplete") == lfs);
    CHECK(read_all(dir.path() / "b.incomplete") == small);
    CHECK_FALSE(std::filesystem::exists(download::journal_path(dir.path() / "a.incomplete")));
    CHECK(a.last_done() == lfs.size());
    CHECK(server.requests().size() == 2); // small files: one connection each
}

TEST_CASE("download: a server ignoring Range still yields the right file") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(6u << 20, 4);
    auto file = served(content);
    file.ignore_range = true;
    server.add_file("norange.bin", file);
    download::Engine engine(quick_options());
    Run run;
    run.begin(engine, request_for(server.url("norange.bin"), dir.path() / "n.incomplete", content));
    REQUIRE(run.wait());
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(dir.path() / "n.incomplete") == content);
}

TEST_CASE("download: a corrupt byte is retried once, then INTEGRITY with nothing left behind") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(200'000, 5);
    SUBCASE("corrupt once: the retry from scratch succeeds") {
        auto file = served(content);
        file.corrupt_at = 1234;
        file.corrupt_times = 1;
        server.add_file("c.bin", file);
        download::Engine engine(quick_options());
        Run run;
        run.begin(engine, request_for(server.url("c.bin"), dir.path() / "c.incomplete", content));
        REQUIRE(run.wait());
        CHECK(run.status());
        CHECK(read_all(dir.path() / "c.incomplete") == content);
        CHECK(server.requests().size() == 2);
    }
    SUBCASE("corrupt every time: INTEGRITY") {
        auto file = served(content);
        file.corrupt_at = 1234;
        file.corrupt_times = 100;
        server.add_file("c.bin", file);
        download::Engine engine(quick_options());
        Run run;
        run.begin(engine, request_for(server.url("c.bin"), dir.path() / "c.incomplete", content));
        REQUIRE(run.wait());
        REQUIRE_FALSE(run.status());
        CHECK(run.status().error().code == ErrorCode::integrity);
        CHECK_FALSE(std::filesystem::exists(dir.path() / "c.incomplete"));
        CHECK_FALSE(std::filesystem::exists(download::journal_path(dir.path() / "c.incomplete")));
        CHECK(server.requests().size() == 2);
    }
}

TEST_CASE("download: Authorization is not forwarded to a redirect target on another host") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(6u << 20, 11);
    server.add_file("blob.bin", served(content));
    download::Engine engine(quick_options());
    Run run;
    auto request = request_for(server.base() + "/redirect/blob.bin", dir.path() / "a.incomplete", content);
    request.headers = {"Authorization: Bearer hf_secret_token_123"};
    run.begin(engine, request);
    REQUIRE(run.wait());
    REQUIRE_MESSAGE(run.status(), run.message());
    CHECK(read_all(dir.path() / "a.incomplete") == content);
    int redirects = 0, cdn = 0;
    for (const auto& r : server.requests()) {
        if (r.path.rfind("/redirect/", 0) == 0) {
            ++redirects;
            CHECK(r.authorization == "Bearer hf_secret_token_123");
        } else {
            ++cdn;
            CHECK(r.host.rfind("localhost", 0) == 0);
            CHECK(r.authorization.empty());
        }
    }
    CHECK(redirects >= 1);
    CHECK(cdn >= 2);
}
