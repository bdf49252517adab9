#include "cli/context.hpp"

#include "cli/exit_codes.hpp"
#include "core/config_overrides.hpp"

#include "core/platform/console.hpp"

#include <iostream>

namespace tabagent::cli {

Result<Config> make_config(const GlobalOptions& o) {
    ConfigOverrides overrides;
    overrides.cache_dir = o.cache_dir;
    overrides.endpoint = o.endpoint;
    overrides.token = o.token;
    if (o.offline) overrides.offline = true;
    overrides.limit_rate = o.limit_rate;
    return apply_overrides(Config::from_environment(), overrides);
}

Context::Context(GlobalOptions options, Config config)
    : m_options(std::move(options)), m_config(std::move(config)), m_stderr_tty(platform::is_terminal(platform::k_stderr)),
      m_stdin_tty(platform::is_terminal(platform::k_stdin)) {}

std::ostream& Context::out() const { return std::cout; }

void Context::note(const std::string& text) const {
    if (m_options.quiet || m_options.json) return;
    std::cerr << text << '\n';
}

void Context::emit(const nlohmann::json& document) const {
    std::cout << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    std::cout.flush();
}

std::string hint_for(const Error& e) {
    switch (e.code) {
    case ErrorCode::auth_required:
        return "this repo needs a Hugging Face token: pass --token, set HF_TOKEN, or accept the repo's terms on the Hub";
    case ErrorCode::offline: return "offline mode is on (--offline or HF_HUB_OFFLINE=1)";
    case ErrorCode::rate_limited: return "the Hub is rate limiting; try again later or pass a token";
    case ErrorCode::not_found:
        if (e.details.contains("available") && e.details["available"].is_array() && !e.details["available"].empty()) {
            std::string names;
            for (const auto& n : e.details["available"]) names += (names.empty() ? "" : ", ") + n.get<std::string>();
            return "available variants: " + names;
        }
        return "";
    default: return "";
    }
}

int Context::report(const Error& error, nlohmann::json extra) const {
    int code = exit_code_for(error.code);
    if (m_options.json) {
        nlohmann::json doc = std::move(extra);
        doc["error"] = error.to_json();
        doc["exitCode"] = code;
        emit(doc);
    } else {
        std::cerr << "error: " << error.message;
        if (error.details.contains("repo") && error.details["repo"].is_string() &&
            error.message.find(error.details["repo"].get<std::string>()) == std::string::npos)
            std::cerr << " (" << error.details["repo"].get<std::string>() << ")";
        std::cerr << '\n';
        if (auto hint = hint_for(error); !hint.empty()) std::cerr << "hint: " << hint << '\n';
    }
    return code;
}

} // namespace tabagent::cli
