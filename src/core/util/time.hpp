#pragma once
#include <chrono>
#include <string>

namespace tabagent::util {
// "2026-11-25T21:34:48Z" (UTC, seconds).
std::string iso8601(std::chrono::system_clock::time_point t);
inline std::string now_iso8601() { return iso8601(std::chrono::system_clock::now()); }
} // namespace tabagent::util
