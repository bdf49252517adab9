#pragma once
// Hugging Face access token: where it comes from, storing it (0600) and masking it for logs.
// Order (DESIGN §4): explicit > stored (data_dir/token) > HF_TOKEN > HF_HOME/token
// (or ~/.cache/huggingface/token). Tokens are never logged; use mask_token.
#include "core/config.hpp"
#include "core/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tabagent::hub {

struct Token {
    std::string value;
    std::string source; // "explicit" | "stored" | "env" | "hf_home"
};

// First non-empty token in the order above (file contents are trimmed); nullopt when none.
std::optional<Token> resolve_token(const Config& config);

// Writes data_dir/token atomically: a temp file created with mode 0600 (never chmod-ed after),
// fsynced, renamed over the old one. Creates data_dir (0700) when missing.
Status store_token(const std::filesystem::path& data_dir, std::string_view token);
// Removes data_dir/token; a missing file is not an error.
Status clear_token(const std::filesystem::path& data_dir);

// "hf_****wxyz" style: the prefix up to '_' and the last 4 chars; short tokens are fully masked.
std::string mask_token(std::string_view token);

} // namespace tabagent::hub
