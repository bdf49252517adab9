#include "core/download/host_budget.hpp"

#include "core/hub/rate_budget.hpp"

#include <spdlog/spdlog.h>

namespace tabagent::download {

bool budget_admits(LoopContext& loop, Transfer& t, const std::string& url, Clock::time_point at) {
    if (loop.budgets == nullptr) return true;
    const auto wait = loop.budgets->acquire(hub::url_origin(url), at);
    if (!wait) return true;
    if (t.budget_until <= at)
        spdlog::info("download: transfer {} waits {} ms for the request budget of {}", t.id,
                     std::chrono::duration_cast<std::chrono::milliseconds>(*wait).count(), hub::url_origin(url));
    t.budget_until = at + *wait;
    return false;
}

void budget_observe(Connection& c, std::string_view line) {
    if (c.loop->budgets == nullptr || c.budget_told || c.budget_origin.empty()) return;
    const bool end_of_head = line == "\r\n" || line == "\n";
    // 1xx heads (100 Continue) are not the answer.
    if (!end_of_head || c.response.status < 200) return;
    c.budget_told = true;
    c.loop->budgets->observe(c.budget_origin, c.response.status, c.response, c.loop->now());
}

double budget_wait_seconds(const Transfer& t, Clock::time_point at) {
    if (!t.connections.empty() || t.budget_until <= at) return 0;
    return std::chrono::duration<double>(t.budget_until - at).count();
}

} // namespace tabagent::download
