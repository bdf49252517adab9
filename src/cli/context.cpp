#include "cli/context.hpp"

#include "cli/exit_codes.hpp"

#include "core/platform/console.hpp"
#include "core/platform/fs.hpp"

#include <iostream>

namespace tabagent::cli {

Result<Config> make_config(const GlobalOptions& o) {
    Config c = Config::from_environment();
    if (!o.cache_dir.empty()) c.cache_root = platform::u8path(o.cache_dir); // UTF-8 text (main.cpp)
    if (!o.endpoint.empty()) {
        std::string e = o.endpoint;
        while (e.size() > 1 && e.back() == '/') e.pop_back();
        if (!e.starts_with("http://") && !e.starts_with("https://"))
            return fail(ErrorCode::bad_request, "--endpoint must be an http:// or https:// URL", {{"endpoint", o.endpoint}});
        c.endpoint = e;
    }
    if (o.offline) c.offline = true;
    if (o.token) c.explicit_token = *o.token;
    if (!o.limit_rate.empty()) {
        auto rate = parse_size(o.limit_rate);
        if (!rate) return fail(ErrorCode::bad_request, "--limit-rate wants a size per second such as 10M or 500K",
                               {{"limit-rate", o.limit_rate}});
        c.rate_limit_bytes_per_second = *rate;
    }
    return c;
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
