#pragma once
// Runs a program with piped stdin/stdout for a short exchange (tabagent-host --check starts the
// host a browser would start and handshakes with it): send `input`, collect stdout until
// `complete` says the reply is whole, EOF, or the timeout; then close stdin, give the child the
// rest of the timeout to exit on its own, and kill it otherwise. stderr is inherited.
#include "core/error.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::platform {

struct SpawnRequest {
    std::filesystem::path program; // absolute; run directly (no shell, no PATH search)
    std::vector<std::string> args; // argv[1...], UTF-8
    std::string input;             // written to the child's stdin; it stays open until `complete`
                                   // says yes (without `complete`: closed after the input)
    std::chrono::milliseconds timeout{5000};
    // Called with everything read so far; true stops reading. Empty: read until EOF.
    std::function<bool(std::string_view)> complete;
};

struct SpawnOutcome {
    std::string output;     // the child's stdout as read
    bool timed_out = false; // `complete` never said yes and no EOF came within the timeout
};

// Errors: the program cannot be started (message names why), a pipe cannot be made.
Result<SpawnOutcome> run_exchange(const SpawnRequest& request);

// True when `path` names a file this process could start (POSIX: executable bit for us;
// Windows: an existing regular file).
bool is_executable(const std::filesystem::path& path);

} // namespace tabagent::platform
