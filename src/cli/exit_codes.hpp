#pragma once
// The exit codes of tabagent-cache, one per kind of failure a script may want to tell apart.
// Header-only (no core objects to link) so the unit test checks the mapping code by code.
#include "core/error.hpp"

namespace tabagent::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_other = 1;       // internal error, lock, anything unforeseen
inline constexpr int k_exit_usage = 2;       // bad arguments, invalid repo id / path
inline constexpr int k_exit_not_found = 3;   // repo, revision, file, variant or job unknown
inline constexpr int k_exit_auth = 4;        // gated / private repo, bad token
inline constexpr int k_exit_network = 5;     // network error, offline, rate limited
inline constexpr int k_exit_integrity = 6;   // hash mismatch (also `verify` finding a bad blob)
inline constexpr int k_exit_disk_full = 7;   // no space left for the download
inline constexpr int k_exit_interrupted = 130; // Ctrl-C (128 + SIGINT), partial kept

constexpr int exit_code_for(ErrorCode code) {
    switch (code) {
    case ErrorCode::bad_request:
    case ErrorCode::invalid_repo:
    case ErrorCode::invalid_path:
    case ErrorCode::unknown_action:
    case ErrorCode::message_too_large: return k_exit_usage;
    case ErrorCode::not_found: return k_exit_not_found;
    case ErrorCode::auth_required:
    case ErrorCode::forbidden_origin: return k_exit_auth;
    case ErrorCode::rate_limited:
    case ErrorCode::network:
    case ErrorCode::offline: return k_exit_network;
    case ErrorCode::integrity: return k_exit_integrity;
    case ErrorCode::disk_full: return k_exit_disk_full;
    case ErrorCode::cancelled: return k_exit_interrupted;
    case ErrorCode::locked:
    case ErrorCode::reply_too_large:
    case ErrorCode::internal: return k_exit_other;
    }
    return k_exit_other;
}

} // namespace tabagent::cli
