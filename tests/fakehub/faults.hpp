#pragma once
// Fault rules chosen per request through the control API: the first rule whose filters match a
// request and whose kind fits the stage is taken and its `times` counted down.
#include "stop_signal.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::fakehub {

enum class FaultKind {
    status, change_content, redirect_loop, redirect_other_host, first_byte_delay, // request stage
    drop, stall, corrupt, ignore_range, rate, truncate, wrong_length, hold, content_encoding // body stage
};

// The shared byte budget of a `hold` rule: every response that took the rule sends from it and
// blocks when it is spent, until the test adds bytes or releases the rule (or the server stops).
// It turns "the download is still running when the test acts" into a fact instead of a race.
class HoldGate {
public:
    explicit HoldGate(std::uint64_t budget) : m_left(budget) {}
    struct Grant {
        std::uint64_t bytes = 0; // 0: the server is stopping
        bool waited = false;     // the response was held before this grant
    };
    // Up to `want` bytes, blocking while the budget is spent and the rule is not released.
    Grant take(std::uint64_t want, const StopSignal& stop);
    // Returns bytes granted but not sent (the client went away).
    void give_back(std::uint64_t bytes);
    void add(std::uint64_t bytes);
    void release();
    nlohmann::json to_json() const; // {"left": bytes still allowed, "waiting": responses held now}

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::uint64_t m_left;
    bool m_released = false;
    int m_waiting = 0;
};

// Request-stage faults decide the response before any body; body-stage faults shape the bytes of
// a GET that serves file content (resolve 200/206 or CDN).
enum class FaultStage { request, body };

struct FaultRule {
    int id = 0;
    FaultKind kind = FaultKind::status;
    std::string path_contains;
    std::string method;   // empty = any
    std::string endpoint; // "", "api", "resolve", "cdn"
    int times = 1;        // -1 = forever
    int hits = 0;
    // parameters (meaning depends on kind)
    int status = 503;
    double retry_after = -1;
    std::string error_code;
    std::int64_t after_bytes = -1;
    double after_fraction = -1;
    std::int64_t stall_ms = 1000;
    bool stall_close = false;
    std::int64_t offset = -1;
    double bytes_per_second = 0;
    std::int64_t delta = 1024;
    std::int64_t delay_ms = 1000; // first_byte_delay: before the response head
    std::string encoding = "gzip"; // content_encoding
    std::string repo, file; // change_content on an API request names its target
    std::shared_ptr<HoldGate> hold; // kind hold: shared by the rule and every response that took it

    nlohmann::json to_json() const;
};

FaultStage stage_of(FaultKind kind);

class FaultBook {
public:
    // Parses and stores a rule; throws std::invalid_argument with a readable message when invalid.
    int add(const nlohmann::json& rule);
    // Removing a hold rule (clear, remove, reset) releases the responses it holds.
    int clear();
    bool remove(int id);
    // A hold rule: adds `bytes` to its budget, or (nullopt) releases and removes it. False when no
    // hold rule has this id.
    bool release(int id, std::optional<std::uint64_t> bytes);
    nlohmann::json list() const;
    // Takes the first matching rule for this stage (counting down its `times`).
    std::optional<FaultRule> take(FaultStage stage, const std::string& endpoint, const std::string& method,
                                  const std::string& match_text);

private:
    mutable std::mutex m_mutex;
    std::vector<FaultRule> m_rules;
    int m_next_id = 1;
};

} // namespace tabagent::fakehub
