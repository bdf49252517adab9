#pragma once
// Fault rules chosen per request through the control API: the first rule whose filters match a
// request and whose kind fits the stage is taken and its `times` counted down.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::fakehub {

enum class FaultKind {
    status, change_content, redirect_loop, redirect_other_host, // request stage
    drop, stall, corrupt, ignore_range, rate, truncate, wrong_length // body stage
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
    std::string repo, file; // change_content on an API request names its target

    nlohmann::json to_json() const;
};

FaultStage stage_of(FaultKind kind);

class FaultBook {
public:
    // Parses and stores a rule; throws std::invalid_argument with a readable message when invalid.
    int add(const nlohmann::json& rule);
    int clear();
    bool remove(int id);
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
