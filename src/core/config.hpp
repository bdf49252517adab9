#pragma once
// Where things live and how to reach the Hub, resolved once from the environment (DESIGN §4).
// Explicit values (CLI flags) win over the environment; the environment over defaults.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace tabagent {

struct Config {
    std::filesystem::path cache_root; // HF hub cache: models--owner--name/...
    std::filesystem::path data_dir;   // TabAgent's own state: manifests, jobs, token, logs
    std::string endpoint = "https://huggingface.co";
    bool offline = false;
    std::optional<std::string> explicit_token; // --token; never logged
    std::uint64_t rate_limit_bytes_per_second = 0; // 0 = unlimited
    int max_connections_per_host = 32; // the ceiling of the adaptive count (TABAGENT_MAX_CONNECTIONS)
    int start_connections = 16;        // where it starts (TABAGENT_START_CONNECTIONS, <= the ceiling)
    int max_parallel_jobs = 2;
    bool auto_resume_jobs = true;
    std::uint64_t server_only_threshold = 2'254'857'830ULL; // 2.1 GiB of external data
    // Download silences (EngineOptions): waiting for a response's first body byte (a Xet bridge
    // may need a minute) and a body that stopped.
    std::chrono::milliseconds first_byte_timeout{120'000};
    std::chrono::milliseconds stall_timeout{10'000};

    // Reads TABAGENT_CACHE, HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, HOME (Windows: USERPROFILE),
    // TABAGENT_HOME, XDG_DATA_HOME (Windows: LOCALAPPDATA), HF_ENDPOINT, HF_HUB_OFFLINE, TABAGENT_MAX_CONNECTIONS,
    // TABAGENT_START_CONNECTIONS, TABAGENT_MAX_JOBS, TABAGENT_RATE_LIMIT, TABAGENT_AUTO_RESUME,
    // TABAGENT_FIRST_BYTE_TIMEOUT_MS, TABAGENT_STALL_TIMEOUT_MS.
    static Config from_environment();

    std::filesystem::path logs_dir() const { return data_dir / "logs"; }
    std::filesystem::path manifests_dir() const { return data_dir / "manifests"; }
    std::filesystem::path jobs_dir() const { return data_dir / "jobs"; }
    std::filesystem::path token_file() const { return data_dir / "token"; }
};

// "1", "true", "yes", "on" (any case) are true.
bool env_flag(const char* name);
std::optional<std::string> env_string(const char* name);
// Parses "20G", "512M", "1.5GiB", "1000" into bytes; nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);
// Parses an age such as "30d", "12h", "90m", "45s", "2w" (a bare number is days, like the
// protocol's olderThanDays); nullopt when malformed.
std::optional<std::chrono::seconds> parse_age(std::string_view text);

} // namespace tabagent
