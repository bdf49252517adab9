// Rate limits as the Hub sends them: the RateLimit / RateLimit-Policy headers (the format
// huggingface_hub >= 1.2 parses in src/huggingface_hub/utils/_http.py parse_ratelimit_headers,
// IETF draft-ietf-httpapi-ratelimit-headers-09), Retry-After, the per-host budget on an injected
// clock, and the Hub client retrying metadata requests as huggingface_hub's http_backoff does.
#include "core/hub/client.hpp"
#include "core/hub/http.hpp"
#include "core/hub/rate_budget.hpp"
#include "download_test_server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace tabagent;
using tabagent::test::TestServer;
using Clock = hub::HostBudgets::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {
constexpr const char* k_host = "https://huggingface.co:443";

hub::ResponseHeaders headers(long status, std::vector<std::string> lines) {
    hub::ResponseHeaders h;
    h.feed("HTTP/1.1 " + std::to_string(status) + " X\r\n");
    for (const auto& line : lines) h.feed(line + "\r\n");
    return h;
}
} // namespace

TEST_CASE("hub: RateLimit and RateLimit-Policy parse as huggingface_hub reads them") {
    // The example of huggingface_hub's parse_ratelimit_headers docstring.
    auto info = hub::parse_rate_limit(R"("api";r=0;t=55)", R"("fixed window";"api";q=500;w=300)");
    REQUIRE(info);
    CHECK(info->resource == "api");
    CHECK(info->remaining == 0);
    CHECK(info->reset_seconds == 55);
    CHECK(info->limit == 500);
    CHECK(info->window_seconds == 300);
    SUBCASE("spaces around the separators, other resource names") {
        auto spaced = hub::parse_rate_limit(R"("resolvers" ; r = 12 ; t = 3)", "q = 3000 ; w = 300");
        REQUIRE(spaced);
        CHECK(spaced->resource == "resolvers");
        CHECK(spaced->remaining == 12);
        CHECK(spaced->limit == 3000);
    }
    SUBCASE("a policy alone still says the budget; garbage says nothing") {
        auto policy_only = hub::parse_rate_limit("", R"("fixed window";"api";q=10;w=60)");
        REQUIRE(policy_only);
        CHECK_FALSE(policy_only->remaining);
        CHECK(policy_only->limit == 10);
        CHECK_FALSE(hub::parse_rate_limit("api;r=1", "q=1"));
        CHECK_FALSE(hub::parse_rate_limit("", ""));
    }
}

TEST_CASE("hub: a host's budget never lets more than q requests into any window of w seconds") {
    hub::HostBudgets budgets;
    const Clock::time_point t0{seconds(1000)};
    // Unknown host: nothing is limited.
    for (int i = 0; i < 3; ++i) CHECK_FALSE(budgets.acquire(k_host, t0));
    // The policy arrives with the third answer: 4 per 10 s. Three already went in this window.
    budgets.observe(k_host, 200, headers(200, {R"(RateLimit: "api";r=1;t=10)", R"(RateLimit-Policy: "fixed window";"api";q=4;w=10)"}), t0);
    REQUIRE(budgets.policy(k_host) == std::pair<long, long>{4, 10});
    CHECK_FALSE(budgets.acquire(k_host, t0 + milliseconds(100))); // the 4th
    auto wait = budgets.acquire(k_host, t0 + milliseconds(200));
    REQUIRE(wait);
    // The oldest of the four leaves the window (10 s + the latency margin) after t0.
    CHECK(*wait == seconds(10) + hub::k_budget_margin - milliseconds(200));
    CHECK(budgets.wait_for(k_host, t0 + milliseconds(200)) == *wait);
    CHECK(budgets.acquire(k_host, t0 + seconds(10) + hub::k_budget_margin - milliseconds(1)));
    // Then one at a time as the old ones leave: never 5 within 10 s.
    std::vector<Clock::time_point> sent{t0, t0, t0, t0 + milliseconds(100)};
    for (auto now = t0 + seconds(10); now < t0 + seconds(60); now += milliseconds(50))
        if (!budgets.acquire(k_host, now)) sent.push_back(now);
    for (std::size_t i = 0; i + 4 < sent.size(); ++i) CHECK(sent[i + 4] - sent[i] >= seconds(10));
    CHECK(sent.size() >= 4 * 5); // and the budget is used: about 4 per 10.25 s
    // Other hosts are not affected.
    CHECK_FALSE(budgets.acquire("https://cdn-lfs.hf.co:443", t0 + seconds(11)));
}

TEST_CASE("hub: Retry-After and RateLimit r=0 close the host until the time they name") {
    hub::HostBudgets budgets;
    const Clock::time_point t0{seconds(50)};
    SUBCASE("429 with Retry-After") {
        budgets.observe(k_host, 429, headers(429, {"Retry-After: 7"}), t0);
        CHECK(budgets.acquire(k_host, t0) == seconds(7));
        CHECK(budgets.acquire(k_host, t0 + seconds(6)) == seconds(1));
        CHECK_FALSE(budgets.acquire(k_host, t0 + seconds(7)));
    }
    SUBCASE("503 with Retry-After; a 200's Retry-After means nothing") {
        budgets.observe(k_host, 200, headers(200, {"Retry-After: 30"}), t0);
        CHECK_FALSE(budgets.acquire(k_host, t0));
        budgets.observe(k_host, 503, headers(503, {"Retry-After: 2"}), t0);
        CHECK(budgets.acquire(k_host, t0) == seconds(2));
    }
    SUBCASE("RateLimit r=0: the window is spent (maybe by another process), even on a 200") {
        budgets.observe(k_host, 200, headers(200, {R"(RateLimit: "api";r=0;t=55)"}), t0);
        CHECK(budgets.acquire(k_host, t0 + seconds(5)) == seconds(50));
        CHECK_FALSE(budgets.acquire(k_host, t0 + seconds(55)));
    }
    SUBCASE("a refused request's wait takes the longer of both") {
        budgets.observe(k_host, 429, headers(429, {"Retry-After: 3", R"(RateLimit: "api";r=0;t=9)"}), t0);
        CHECK(budgets.wait_for(k_host, t0) == seconds(9));
    }
}

TEST_CASE("hub: metadata requests are retried after Retry-After and the wait is told") {
    TestServer server;
    std::atomic<int> calls{0};
    server.raw().Get("/api/models/org/busy/revision/main", [&](const httplib::Request& req, httplib::Response& res) {
        server.record(req, 0);
        res.set_header("RateLimit-Policy", R"("fixed window";"api";q=100;w=300)");
        if (calls++ == 0) { // huggingface_hub http_backoff retries 429 after Retry-After
            res.status = 429;
            res.set_header("Retry-After", "1");
            res.set_header("RateLimit", R"("api";r=0;t=1)");
            return;
        }
        res.set_header("RateLimit", R"("api";r=98;t=299)");
        res.set_content(R"({"id":"org/busy","sha":"0123456789012345678901234567890123456789"})", "application/json");
    });
    server.raw().Get(R"(/api/models/org/busy/tree/.*)", [&](const httplib::Request& req, httplib::Response& res) {
        server.record(req, 200);
        res.set_content("[]", "application/json");
    });
    Config config;
    config.endpoint = server.base();
    hub::ClientOptions options;
    options.budgets = std::make_shared<hub::HostBudgets>();
    std::vector<std::optional<double>> told;
    options.on_wait = [&](std::optional<double> s) { told.push_back(s); };
    hub::HubClient client(config, std::nullopt, options);
    auto listing = client.list_repo("org/busy", "main");
    REQUIRE_MESSAGE(listing, (listing ? "" : listing.error().message));
    CHECK(server.requests().size() == 3); // 429, the retry, the tree
    REQUIRE(told.size() >= 2);
    REQUIRE(told.front());
    CHECK(*told.front() > 0.5);
    CHECK(*told.front() <= 1.0);
    CHECK_FALSE(told.back()); // the wait ended
    CHECK(options.budgets->policy(hub::url_origin(server.base())) == std::pair<long, long>{100, 300});
}

TEST_CASE("hub: a wait for the Hub ends with CANCELLED when the caller stops") {
    TestServer server;
    server.raw().Get("/api/models/org/slow/revision/main", [&](const httplib::Request& req, httplib::Response& res) {
        server.record(req, 429);
        res.status = 429;
        res.set_header("Retry-After", "3600");
    });
    Config config;
    config.endpoint = server.base();
    std::stop_source stop;
    hub::ClientOptions options;
    options.stop = stop.get_token();
    std::atomic<bool> waiting{false};
    options.on_wait = [&](std::optional<double> s) {
        if (s) waiting = true;
    };
    hub::HubClient client(config, std::nullopt, options);
    std::optional<Result<model::RepoListing>> result;
    std::thread caller([&] { result = client.list_repo("org/slow", "main"); });
    while (!waiting) std::this_thread::sleep_for(milliseconds(5)); // the event, not a time
    stop.request_stop();
    caller.join();
    REQUIRE(result);
    REQUIRE_FALSE(*result);
    CHECK(result->error().code == ErrorCode::cancelled);
    CHECK(server.requests().size() == 1);
}
