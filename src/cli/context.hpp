#pragma once
// What every subcommand gets: the global flags, the resolved Config, and the one place that
// writes results (a table/summary on stdout, or exactly one JSON document with --json) and
// errors (stderr, or the JSON document) and turns them into exit codes.
#include "core/config.hpp"
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>

namespace tabagent::cli {

struct GlobalOptions {
    std::string cache_dir;
    std::string endpoint;
    std::optional<std::string> token;
    std::string limit_rate;
    bool offline = false;
    bool json = false;
    bool quiet = false;
    bool verbose = false;
};

// Config::from_environment(), then the flags on top. BAD_REQUEST for a malformed --limit-rate.
Result<Config> make_config(const GlobalOptions& options);

class Context {
public:
    Context(GlobalOptions options, Config config);

    const GlobalOptions& options() const { return m_options; }
    const Config& config() const { return m_config; }
    bool json() const { return m_options.json; }
    bool quiet() const { return m_options.quiet; }
    bool stderr_is_tty() const { return m_stderr_tty; }
    bool stdin_is_tty() const { return m_stdin_tty; }

    // Human output (stdout). Not used with --json.
    std::ostream& out() const;
    // A note for people on stderr (suppressed by --quiet and --json).
    void note(const std::string& text) const;
    // The single JSON document on stdout.
    void emit(const nlohmann::json& document) const;
    // Prints the error (stderr, or {"error":{...},"exitCode":N} with --json); returns the exit code.
    int report(const Error& error, nlohmann::json extra = nlohmann::json::object()) const;

private:
    GlobalOptions m_options;
    Config m_config;
    bool m_stderr_tty = false;
    bool m_stdin_tty = false;
};

// One-line hint for an error, e.g. how to pass a token on AUTH_REQUIRED; empty when none.
std::string hint_for(const Error& error);

} // namespace tabagent::cli
