#include "core/download/engine.hpp"
#include "core/download/journal.hpp"
#include "core/download/range_set.hpp"
#include "core/util/hash.hpp"
#include "download_test_server.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

using namespace tabagent;
using namespace std::chrono_literals;
using tabagent::test::make_content;
using tabagent::test::served;
using tabagent::test::TestServer;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char pattern[] = "/tmp/tabagent-dl-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

std::string sha256_of(const std::string& data) {
    util::Hasher h(util::HashKind::sha256, data.size());
    h.update(data.data(), data.size());
    return h.hex_digest();
}
std::string git_sha1_of(const std::string& data) {
    util::Hasher h(util::HashKind::git_sha1, data.size());
    h.update(data.data(), data.size());
    return h.hex_digest();
}
std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs one transfer to its end and records what the callbacks saw.
struct Run {
    std::promise<Status> done;
    std::mutex mutex;
    std::vector<download::Progress> progress;
    std::optional<download::TransferId> id;
    std::optional<Error> start_error;
    Status status;
    double seconds = 0;

    void begin(download::Engine& engine, download::FileRequest request) {
        auto started = engine.start(
            std::move(request),
            [this](const download::Progress& p) {
                std::lock_guard lock(mutex);
                progress.push_back(p);
            },
            [this](Status s) { done.set_value(std::move(s)); });
        if (started) id = *started;
        else start_error = started.error();
    }
    // Waits for on_done (bounded so a bug fails the test instead of hanging it).
    bool wait(std::chrono::seconds limit = 15s) {
        auto future = done.get_future();
        const auto t0 = std::chrono::steady_clock::now();
        if (future.wait_for(limit) != std::future_status::ready) return false;
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        status = future.get();
        return true;
    }
    std::uint64_t last_done() {
        std::lock_guard lock(mutex);
        return progress.empty() ? 0 : progress.back().bytes_done;
    }
};

download::EngineOptions quick_options() {
    download::EngineOptions o;
    o.backoff_base = 50ms;
    o.backoff_cap = 500ms;
    o.stall_timeout = 1s;
    o.min_segment_size = 1u << 20;
    o.piece_size = 8u << 20;
    o.max_connections_per_file = 4;
    return o;
}

download::FileRequest request_for(const std::string& url, const std::filesystem::path& partial,
                                   const std::string& content) {
    return {url, {}, partial, content.size(), sha256_of(content)};
}

} // namespace

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
    a.begin(engine, request_for(server.url("model.bin"), dir.path / "a.incomplete", lfs));
    Run b;
    b.begin(engine, {server.url("config.json"), {}, dir.path / "b.incomplete", small.size(), git_sha1_of(small)});
    REQUIRE(a.wait());
    REQUIRE(b.wait());
    CHECK_MESSAGE(a.status, (a.status ? "" : a.status.error().message));
    CHECK_MESSAGE(b.status, (b.status ? "" : b.status.error().message));
    CHECK(read_all(dir.path / "a.incomplete") == lfs);
    CHECK(read_all(dir.path / "b.incomplete") == small);
    CHECK_FALSE(std::filesystem::exists(download::journal_path(dir.path / "a.incomplete")));
    CHECK(a.last_done() == lfs.size());
    CHECK(server.requests().size() == 2); // small files: one connection each
}

TEST_CASE("download: an empty file needs no request") {
    TestServer server;
    TempDir dir;
    download::Engine engine(quick_options());
    Run run;
    run.begin(engine, request_for(server.url("none"), dir.path / "e.incomplete", ""));
    REQUIRE(run.wait());
    CHECK(run.status);
    CHECK(std::filesystem::file_size(dir.path / "e.incomplete") == 0);
}

TEST_CASE("download: a large file is fetched in segments with bounded bytes on the wire") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(40u << 20, 3);
    server.add_file("big.bin", served(content));
    auto options = quick_options();
    options.min_segment_size = 4u << 20;
    options.max_connections_per_file = 4;
    download::Engine engine(options);
    Run run;
    run.begin(engine, request_for(server.url("big.bin"), dir.path / "big.incomplete", content));
    REQUIRE(run.wait(30s));
    REQUIRE_MESSAGE(run.status, (run.status ? "" : run.status.error().message));
    CHECK(read_all(dir.path / "big.incomplete") == content);
    CHECK(server.bytes_sent() <= content.size() * 115 / 100);
    const auto log = server.requests();
    CHECK(log.size() >= 4);
    for (const auto& r : log) CHECK(r.range.rfind("bytes=", 0) == 0);
    for (const auto& r : log) CHECK(r.range.find('-') + 1 < r.range.size()); // bounded: a-b
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
    run.begin(engine, request_for(server.url("norange.bin"), dir.path / "n.incomplete", content));
    REQUIRE(run.wait());
    REQUIRE_MESSAGE(run.status, (run.status ? "" : run.status.error().message));
    CHECK(read_all(dir.path / "n.incomplete") == content);
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
        run.begin(engine, request_for(server.url("c.bin"), dir.path / "c.incomplete", content));
        REQUIRE(run.wait());
        CHECK(run.status);
        CHECK(read_all(dir.path / "c.incomplete") == content);
        CHECK(server.requests().size() == 2);
    }
    SUBCASE("corrupt every time: INTEGRITY") {
        auto file = served(content);
        file.corrupt_at = 1234;
        file.corrupt_times = 100;
        server.add_file("c.bin", file);
        download::Engine engine(quick_options());
        Run run;
        run.begin(engine, request_for(server.url("c.bin"), dir.path / "c.incomplete", content));
        REQUIRE(run.wait());
        REQUIRE_FALSE(run.status);
        CHECK(run.status.error().code == ErrorCode::integrity);
        CHECK_FALSE(std::filesystem::exists(dir.path / "c.incomplete"));
        CHECK_FALSE(std::filesystem::exists(download::journal_path(dir.path / "c.incomplete")));
        CHECK(server.requests().size() == 2);
    }
}

TEST_CASE("download: a connection dropped mid-body is resumed where it stopped") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(900'000, 6);
    auto file = served(content);
    file.drop_after = 400'000;
    file.drop_times = 1;
    server.add_file("d.bin", file);
    download::Engine engine(quick_options());
    Run run;
    run.begin(engine, request_for(server.url("d.bin"), dir.path / "d.incomplete", content));
    REQUIRE(run.wait());
    REQUIRE_MESSAGE(run.status, (run.status ? "" : run.status.error().message));
    CHECK(read_all(dir.path / "d.incomplete") == content);
    const auto log = server.requests();
    REQUIRE(log.size() == 2);
    CHECK(log[1].range == "bytes=400000-899999");
    CHECK(server.bytes_sent() == content.size());
}

TEST_CASE("download: 429 with Retry-After is honoured") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(50'000, 8);
    auto file = served(content);
    file.fail_status = 429;
    file.fail_times = 1;
    file.retry_after = "1";
    server.add_file("r.bin", file);
    download::Engine engine(quick_options());
    Run run;
    run.begin(engine, request_for(server.url("r.bin"), dir.path / "r.incomplete", content));
    REQUIRE(run.wait());
    CHECK(run.status);
    CHECK(run.seconds >= 0.95);
    bool saw_waiting = false;
    for (const auto& p : run.progress) saw_waiting |= p.waiting;
    CHECK(saw_waiting);
}

TEST_CASE("download: final HTTP answers fail at once with their protocol code") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(1000, 9);
    auto gated = served(content);
    gated.fail_status = 401;
    gated.fail_times = 100;
    gated.x_error_code = "GatedRepo";
    server.add_file("gated.bin", gated);
    download::Engine engine(quick_options());
    Run missing;
    missing.begin(engine, request_for(server.url("missing.bin"), dir.path / "m.incomplete", content));
    Run auth;
    auth.begin(engine, request_for(server.url("gated.bin"), dir.path / "g.incomplete", content));
    REQUIRE(missing.wait());
    REQUIRE(auth.wait());
    REQUIRE_FALSE(missing.status);
    CHECK(missing.status.error().code == ErrorCode::not_found);
    CHECK(missing.status.error().http_status == 404);
    REQUIRE_FALSE(auth.status);
    CHECK(auth.status.error().code == ErrorCode::auth_required);
    CHECK(auth.status.error().details["x_error_code"] == "GatedRepo");
    CHECK(server.requests().size() == 2); // no retries of final answers
}

TEST_CASE("download: 5xx is retried with backoff until attempts run out") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(1000, 10);
    auto file = served(content);
    file.fail_status = 503;
    file.fail_times = 100;
    server.add_file("down.bin", file);
    auto options = quick_options();
    options.max_attempts = 3;
    download::Engine engine(options);
    Run run;
    run.begin(engine, request_for(server.url("down.bin"), dir.path / "x.incomplete", content));
    REQUIRE(run.wait());
    REQUIRE_FALSE(run.status);
    CHECK(run.status.error().code == ErrorCode::network);
    CHECK(run.status.error().http_status == 503);
    CHECK(server.requests().size() == 3);
}

TEST_CASE("download: Authorization is not forwarded to a redirect target on another host") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(6u << 20, 11);
    server.add_file("blob.bin", served(content));
    download::Engine engine(quick_options());
    Run run;
    auto request = request_for(server.base() + "/redirect/blob.bin", dir.path / "a.incomplete", content);
    request.headers = {"Authorization: Bearer hf_secret_token_123"};
    run.begin(engine, request);
    REQUIRE(run.wait());
    REQUIRE_MESSAGE(run.status, (run.status ? "" : run.status.error().message));
    CHECK(read_all(dir.path / "a.incomplete") == content);
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

TEST_CASE("download: cancel takes effect within 200 ms and keeps the partial") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(4u << 20, 12);
    auto file = served(content);
    file.bytes_per_second = 256 * 1024;
    server.add_file("slow.bin", file);
    download::Engine engine(quick_options());
    std::promise<void> first_bytes;
    std::once_flag once;
    std::promise<Status> done;
    auto id = engine.start(
        request_for(server.url("slow.bin"), dir.path / "s.incomplete", content),
        [&](const download::Progress& p) {
            if (p.bytes_done > 0) std::call_once(once, [&] { first_bytes.set_value(); });
        },
        [&](Status s) { done.set_value(std::move(s)); });
    REQUIRE(id);
    REQUIRE(first_bytes.get_future().wait_for(10s) == std::future_status::ready);
    const auto t0 = std::chrono::steady_clock::now();
    engine.cancel(*id);
    auto future = done.get_future();
    REQUIRE(future.wait_for(5s) == std::future_status::ready);
    CHECK(std::chrono::steady_clock::now() - t0 < 200ms);
    auto status = future.get();
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::cancelled);
    CHECK(std::filesystem::exists(download::journal_path(dir.path / "s.incomplete")));
}

TEST_CASE("download: pause then resume continues from what is on disk") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(3u << 20, 13);
    auto file = served(content);
    file.bytes_per_second = 4u << 20;
    server.add_file("p.bin", file);
    download::Engine engine(quick_options());
    std::promise<void> some_bytes, paused;
    std::once_flag once_bytes, once_paused;
    std::promise<Status> done;
    auto id = engine.start(
        request_for(server.url("p.bin"), dir.path / "p.incomplete", content),
        [&](const download::Progress& p) {
            if (p.bytes_done > (512u << 10)) std::call_once(once_bytes, [&] { some_bytes.set_value(); });
            if (p.paused) std::call_once(once_paused, [&] { paused.set_value(); });
        },
        [&](Status s) { done.set_value(std::move(s)); });
    REQUIRE(id);
    REQUIRE(some_bytes.get_future().wait_for(10s) == std::future_status::ready);
    engine.pause(*id);
    REQUIRE(paused.get_future().wait_for(1s) == std::future_status::ready);
    const auto journal = download::read_journal(download::journal_path(dir.path / "p.incomplete"));
    REQUIRE(journal);
    CHECK(journal->done.covered() > 0);
    const auto sent_while_paused = server.bytes_sent();
    auto future = done.get_future();
    CHECK(future.wait_for(300ms) == std::future_status::timeout); // nothing moves while paused
    CHECK(server.bytes_sent() == sent_while_paused);
    engine.resume(*id);
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    auto status = future.get();
    CHECK(status);
    CHECK(read_all(dir.path / "p.incomplete") == content);
    CHECK(server.bytes_sent() <= content.size() * 115 / 100);
}

TEST_CASE("download: a partial with its journal resumes only the missing ranges") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(2u << 20, 14);
    server.add_file("j.bin", served(content));
    const auto partial = dir.path / "j.incomplete";
    const std::uint64_t half = 1u << 20;
    SUBCASE("same etag and size: resume") {
        std::ofstream(partial, std::ios::binary).write(content.data(), static_cast<std::streamsize>(half));
        download::JournalData data{server.url("j.bin"), sha256_of(content), content.size(), {}};
        data.done.add(0, half);
        REQUIRE(download::write_journal(download::journal_path(partial), data));
        download::Engine engine(quick_options());
        Run run;
        run.begin(engine, request_for(server.url("j.bin"), partial, content));
        REQUIRE(run.wait());
        CHECK(run.status);
        CHECK(read_all(partial) == content);
        CHECK(server.bytes_sent() == content.size() - half);
        for (const auto& r : server.requests()) CHECK(r.range.rfind("bytes=1048576-", 0) == 0);
    }
    SUBCASE("different etag: restart cleanly") {
        const std::string other = make_content(2u << 20, 99);
        std::ofstream(partial, std::ios::binary).write(other.data(), static_cast<std::streamsize>(half));
        download::JournalData data{server.url("j.bin"), sha256_of(other), content.size(), {}};
        data.done.add(0, half);
        REQUIRE(download::write_journal(download::journal_path(partial), data));
        download::Engine engine(quick_options());
        Run run;
        run.begin(engine, request_for(server.url("j.bin"), partial, content));
        REQUIRE(run.wait());
        CHECK(run.status);
        CHECK(read_all(partial) == content);
        CHECK(server.bytes_sent() == content.size());
    }
}

TEST_CASE("download: a stalled connection is reconnected") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(600'000, 15);
    auto file = served(content);
    file.stall_after = 200'000;
    file.stall_times = 1;
    server.add_file("st.bin", file);
    download::Engine engine(quick_options()); // stall_timeout 1 s
    Run run;
    run.begin(engine, request_for(server.url("st.bin"), dir.path / "st.incomplete", content));
    REQUIRE(run.wait());
    REQUIRE_MESSAGE(run.status, (run.status ? "" : run.status.error().message));
    CHECK(read_all(dir.path / "st.incomplete") == content);
    const auto log = server.requests();
    REQUIRE(log.size() == 2);
    CHECK(log[1].range == "bytes=200000-599999");
    CHECK(run.seconds < 3.0); // stall_timeout is 1 s
    server.release_stalls();
}

TEST_CASE("download: not enough disk space fails at once with DISK_FULL") {
    TestServer server;
    TempDir dir;
    download::Engine engine(quick_options());
    Run run;
    download::FileRequest request{server.url("huge.bin"), {}, dir.path / "h.incomplete",
                                  std::uint64_t{1} << 60, std::string(64, 'a')};
    run.begin(engine, request);
    REQUIRE(run.start_error);
    CHECK(run.start_error->code == ErrorCode::disk_full);
    CHECK(server.requests().empty());
}

TEST_CASE("download: a lagging last piece is split onto another connection") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(8u << 20, 16);
    auto file = served(content);
    file.bytes_per_second = 512u << 10; // the piece starting at 6 MiB crawls (4 s alone)
    file.slow_only_at = 6u << 20;
    server.add_file("tail.bin", file);
    auto options = quick_options();
    options.piece_size = 2u << 20;
    options.min_segment_size = 2u << 20;
    options.tail_split_min = 256u << 10;
    options.tail_split_eta = 1000ms;
    download::Engine engine(options);
    Run run;
    run.begin(engine, request_for(server.url("tail.bin"), dir.path / "t.incomplete", content));
    REQUIRE(run.wait());
    REQUIRE_MESSAGE(run.status, (run.status ? "" : run.status.error().message));
    CHECK(read_all(dir.path / "t.incomplete") == content);
    CHECK(run.seconds < 3.0);
    bool split = false;
    for (const auto& r : server.requests()) {
        unsigned long long a = 0;
        if (std::sscanf(r.range.c_str(), "bytes=%llu-", &a) == 1 && a > (6u << 20)) split = true;
    }
    CHECK(split);
}

TEST_CASE("download: the global rate limit slows transfers down") {
    TestServer server;
    TempDir dir;
    const std::string content = make_content(1536u << 10, 17);
    server.add_file("rl.bin", served(content));
    auto options = quick_options();
    options.rate_limit_bytes_per_second = 1u << 20;
    download::Engine engine(options);
    Run run;
    run.begin(engine, request_for(server.url("rl.bin"), dir.path / "rl.incomplete", content));
    REQUIRE(run.wait());
    CHECK(run.status);
    CHECK(run.seconds >= 1.0);
    CHECK(read_all(dir.path / "rl.incomplete") == content);
}
