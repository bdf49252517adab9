// The engine and the per-host request budget (hub/rate_budget.hpp), on the fake transport and a
// fake clock: a connection opens only when its host's budget allows, a 429's Retry-After closes
// the host for every transfer to it, and the wait shows in the progress (retry_in_seconds).
// Rate limits as the Hub sends them: hub-docs docs/hub/rate-limits.md; huggingface_hub >= 1.2
// utils/_http.py (RateLimit / RateLimit-Policy, Retry-After).
#include "core/download/engine.hpp"
#include "core/hub/rate_budget.hpp"
#include "download_test_server.hpp"
#include "download_fake_rig.hpp"
#include "download_test_util.hpp"
#include "fake_curl.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace download_test;
using namespace std::chrono_literals;
using tabagent::test::FakeFile;
using tabagent::test::make_content;

namespace {

struct BudgetRig {
    test::FakeClock clock;
    test::FakeCurl curl{clock};
    TempDir dir;
    std::shared_ptr<hub::HostBudgets> budgets = std::make_shared<hub::HostBudgets>();
    std::unique_ptr<download::Engine> engine;

    BudgetRig() {
        auto options = quick_options();
        options.clock = clock.function();
        options.random_seed = 7;
        options.budgets = budgets;
        engine = std::make_unique<download::Engine>(options, curl.api());
        curl.wait_parked();
    }
    ~BudgetRig() {
        curl.free_run();
        engine.reset();
    }
    BudgetRig(const BudgetRig&) = delete;
    BudgetRig& operator=(const BudgetRig&) = delete;

    static std::string url(const std::string& name) { return "https://hub.test/files/" + name; }
    template <class Done> bool run_until(Done&& done, std::chrono::milliseconds step = 50ms, int limit = 20'000) {
        for (int i = 0; i < limit; ++i) {
            clock.advance(step);
            curl.turn();
            if (done()) return true;
        }
        return false;
    }
};


} // namespace

TEST_CASE("download: connections open only as the host's request budget allows") {
    BudgetRig rig;
    // The host said: 2 requests per 10 s.
    hub::RateLimitInfo policy;
    policy.limit = 2;
    policy.window_seconds = 10;
    rig.budgets->observe("https://hub.test:443", 200, policy, std::nullopt, rig.clock.now());
    std::vector<std::string> contents;
    std::vector<std::unique_ptr<Run>> runs;
    for (int i = 0; i < 3; ++i) {
        const std::string name = "f" + std::to_string(i) + ".bin";
        contents.push_back(make_content(10'000, static_cast<unsigned>(i + 1)));
        rig.curl.add_file(rig.url(name), fake_file(contents.back()));
        runs.push_back(std::make_unique<Run>());
        runs.back()->begin(*rig.engine, request_for(rig.url(name), rig.dir.path() / (name + ".incomplete"), contents.back()));
    }
    REQUIRE(rig.run_until([&] { return runs[0]->done() && runs[1]->done() && runs[2]->done(); }));
    for (auto& run : runs) CHECK_MESSAGE(run->status(), run->message());
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 3);
    // Never 3 requests within 10 s: the third waited for the first to leave the window.
    CHECK(log[2].at - log[0].at >= 10s + hub::k_budget_margin);
    bool told = false;
    for (const auto& run : runs)
        for (const auto& p : run->progress()) told |= p.waiting && p.retry_in_seconds > 5;
    CHECK(told);
}

TEST_CASE("download: a 429's Retry-After closes the host for every transfer to it") {
    BudgetRig rig;
    const std::string first = make_content(20'000, 3), second = make_content(20'000, 4);
    auto refused = fake_file(first);
    refused.fail_status = 429;
    refused.fail_times = 1;
    refused.retry_after = "2";
    rig.curl.add_file(rig.url("a.bin"), refused);
    rig.curl.add_file(rig.url("b.bin"), fake_file(second));
    Run a, b;
    a.begin(*rig.engine, request_for(rig.url("a.bin"), rig.dir.path() / "a.incomplete", first));
    REQUIRE(rig.run_until([&] { return !rig.curl.requests().empty() && rig.curl.requests()[0].status == 429; }));
    rig.run_until([] { return false; }, 50ms, 2); // the 429's head reaches the engine
    b.begin(*rig.engine, request_for(rig.url("b.bin"), rig.dir.path() / "b.incomplete", second));
    REQUIRE(rig.run_until([&] { return a.done() && b.done(); }));
    CHECK(a.status());
    CHECK(b.status());
    const auto& log = rig.curl.requests();
    REQUIRE(log.size() == 3);
    // b.bin never asked before the Retry-After of a.bin's refusal had passed.
    for (std::size_t i = 1; i < log.size(); ++i) CHECK(log[i].at - log[0].at >= 2s);
}
