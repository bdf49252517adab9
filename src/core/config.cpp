#include "core/config.hpp"

#include "core/platform/process.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace tabagent {
namespace fs = std::filesystem;

std::optional<std::string> env_string(const char* name) {
    auto v = platform::environment_variable(name);
    if (!v || v->empty()) return std::nullopt;
    return v;
}

bool env_flag(const char* name) {
    auto v = env_string(name);
    if (!v) return false;
    std::string s = *v;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s == "1" || s == "true" || s == "yes" || s == "on";
}

namespace {
// "<non-negative decimal><unit>" with surrounding whitespace, e.g. " 1.5G", "30d": the number and
// the unit text (possibly empty). nullopt when no number leads.
struct Quantity {
    double number = 0;
    std::string_view unit;
};
std::optional<Quantity> split_quantity(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    std::size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    Quantity q;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, q.number);
    if (ec != std::errc{} || ptr != text.data() + i || q.number < 0) return std::nullopt;
    q.unit = text.substr(i);
    return q;
}
} // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
    auto quantity = split_quantity(text);
    if (!quantity) return std::nullopt;
    const double number = quantity->number;
    std::string unit(quantity->unit);
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::toupper(c); });
    if (!unit.empty() && unit.back() == 'B') unit.pop_back();
    if (!unit.empty() && unit.back() == 'I') unit.pop_back();
    double mult = 1;
    if (unit.empty()) mult = 1;
    else if (unit == "K") mult = 1024.0;
    else if (unit == "M") mult = 1024.0 * 1024;
    else if (unit == "G") mult = 1024.0 * 1024 * 1024;
    else if (unit == "T") mult = 1024.0 * 1024 * 1024 * 1024;
    else return std::nullopt;
    double bytes = std::floor(number * mult);
    if (bytes > 1.8e19) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
}

std::optional<std::chrono::seconds> parse_age(std::string_view text) {
    auto quantity = split_quantity(text);
    if (!quantity) return std::nullopt;
    const double number = quantity->number;
    const std::string_view unit = quantity->unit;
    double mult = 0;
    if (unit.empty() || unit == "d" || unit == "D") mult = 86400;
    else if (unit == "s" || unit == "S") mult = 1;
    else if (unit == "m" || unit == "min") mult = 60;
    else if (unit == "h" || unit == "H") mult = 3600;
    else if (unit == "w" || unit == "W") mult = 7 * 86400;
    else return std::nullopt;
    double seconds = std::floor(number * mult);
    if (seconds > 1e15) return std::nullopt;
    return std::chrono::seconds(static_cast<std::int64_t>(seconds));
}

namespace {
std::optional<fs::path> env_path(const char* name) {
    auto v = platform::environment_path(name);
    if (!v || v->empty()) return std::nullopt;
    return v;
}

// huggingface_hub's constants.py: HF_HUB_CACHE, else HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub, on every platform (on Windows
// "~" is %USERPROFILE%: platform::home_directory).
fs::path default_cache_root() {
    if (auto v = env_path("TABAGENT_CACHE")) return *v;
    if (auto v = env_path("HF_HUB_CACHE")) return *v;
    if (auto v = env_path("HF_HOME")) return *v / "hub";
    if (auto v = env_path("XDG_CACHE_HOME")) return *v / "huggingface" / "hub";
    return platform::home_directory() / ".cache" / "huggingface" / "hub";
}

// TABAGENT_HOME, else the platform's per-user data folder: ~/.local/share/TabAgent (or
// $XDG_DATA_HOME/TabAgent), ~/Library/Application Support/TabAgent, %LOCALAPPDATA%\TabAgent.
fs::path default_data_dir() {
    if (auto v = env_path("TABAGENT_HOME")) return *v;
    return platform::user_data_directory() / "TabAgent";
}

int env_int(const char* name, int fallback, int lo, int hi) {
    auto v = env_string(name);
    if (!v) return fallback;
    int out = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc{} || ptr != v->data() + v->size()) return fallback;
    return std::clamp(out, lo, hi);
}
} // namespace

Config Config::from_environment() {
    Config c;
    c.cache_root = default_cache_root();
    c.data_dir = default_data_dir();
    if (auto v = env_string("HF_ENDPOINT")) {
        c.endpoint = *v;
        while (!c.endpoint.empty() && c.endpoint.back() == '/') c.endpoint.pop_back();
    }
    c.offline = env_flag("HF_HUB_OFFLINE") || env_flag("TABAGENT_OFFLINE");
    c.max_connections_per_host = env_int("TABAGENT_MAX_CONNECTIONS", 32, 1, 64);
    c.start_connections = std::min(env_int("TABAGENT_START_CONNECTIONS", 16, 1, 64), c.max_connections_per_host);
    c.max_parallel_jobs = env_int("TABAGENT_MAX_JOBS", 2, 1, 16);
    if (auto v = env_string("TABAGENT_RATE_LIMIT"))
        if (auto bytes = parse_size(*v)) c.rate_limit_bytes_per_second = *bytes;
    if (auto v = env_string("TABAGENT_AUTO_RESUME")) c.auto_resume_jobs = env_flag("TABAGENT_AUTO_RESUME");
    c.first_byte_timeout = std::chrono::milliseconds(
        env_int("TABAGENT_FIRST_BYTE_TIMEOUT_MS", 120'000, 100, 3'600'000));
    c.stall_timeout = std::chrono::milliseconds(env_int("TABAGENT_STALL_TIMEOUT_MS", 10'000, 100, 3'600'000));
    if (auto v = env_string("TABAGENT_SERVER_ONLY_BYTES"))
        if (auto bytes = parse_size(*v)) c.server_only_threshold = *bytes;
    return c;
}

} // namespace tabagent
