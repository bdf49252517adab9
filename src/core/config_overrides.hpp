#pragma once
// The settings an edge may put on top of the environment: the CLI's global flags and the Python
// package's ModelCache arguments resolve through this one function, so both see the same cache,
// endpoint and token as the host.
#include "core/config.hpp"
#include "core/error.hpp"

#include <optional>
#include <string>

namespace tabagent {

struct ConfigOverrides {
    std::string cache_dir;            // empty: TABAGENT_CACHE / HF_HUB_CACHE / HF_HOME / default
    std::string endpoint;             // empty: HF_ENDPOINT or the Hub
    std::optional<std::string> token; // set: wins over the stored token and HF_TOKEN
    std::optional<bool> offline;      // unset: HF_HUB_OFFLINE
    std::string limit_rate;           // "10M"; empty: TABAGENT_RATE_LIMIT
};

// `config` (normally Config::from_environment()) with the overrides applied. BAD_REQUEST for an
// endpoint that is not an http(s) URL or a malformed rate.
Result<Config> apply_overrides(Config config, const ConfigOverrides& overrides);

} // namespace tabagent
