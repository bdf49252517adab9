#pragma once
// The engine's side of the per-host request budgets (hub/rate_budget.hpp), shared with the Hub
// client: a connection opens only when its host's budget lets one more request go, and the first
// response head of each connection tells the budget what the host said (RateLimit,
// RateLimit-Policy, 429/503 Retry-After). Engine thread only.
#include "core/download/connection.hpp"

#include <string>

namespace tabagent::download {

// Whether `t` may open a connection to `url` at `at`; counts it when yes. When not, `t` waits
// (budget_until) and schedule() skips it until then. Always true without budgets.
bool budget_admits(LoopContext& loop, Transfer& t, const std::string& url, Clock::time_point at);

// Called for every header line of `c`: at the end of its first response head (the host it was
// counted against; later heads are a redirect's target), tells the budget.
void budget_observe(Connection& c, std::string_view line);

// How long `t` still waits for its host's budget (0 when it does not, or has connections open).
double budget_wait_seconds(const Transfer& t, Clock::time_point at);

} // namespace tabagent::download
