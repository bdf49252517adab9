#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tabagent::util {
// "2026-11-25T21:34:48Z" (UTC, seconds).
std::string iso8601(std::chrono::system_clock::time_point t);
// Inverse of iso8601 for "YYYY-MM-DDTHH:MM:SSZ"; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);
// An HTTP-date (RFC 9110 5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete
// RFC 850 and asctime forms recipients must accept; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);
// iso8601, or "" for the epoch (a time nobody recorded: a file system without atime, say).
std::string iso8601_or_empty(std::chrono::system_clock::time_point t);
inline std::string now_iso8601() { return iso8601(std::chrono::system_clock::now()); }
} // namespace tabagent::util
