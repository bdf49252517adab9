#include "core/hub/token.hpp"

#include "core/platform/fs.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/fd.hpp"


namespace tabagent::hub {
namespace {

std::string trim_token(std::string text) {
    const char* ws = " \t\r\n";
    const auto first = text.find_first_not_of(ws);
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(ws);
    return text.substr(first, last - first + 1);
}

std::optional<std::string> read_token_file(const std::filesystem::path& path) {
    auto text = util::read_file_shared(path);
    if (!text) return std::nullopt;
    std::string content = trim_token(std::move(*text));
    if (content.empty()) return std::nullopt;
    return content;
}

std::filesystem::path hf_home_token_path() {
    if (auto hf_home = env_string("HF_HOME"); hf_home && !hf_home->empty())
        return std::filesystem::path(*hf_home) / "token";
    if (auto xdg = env_string("XDG_CACHE_HOME"); xdg && !xdg->empty())
        return std::filesystem::path(*xdg) / "huggingface" / "token";
    if (auto home = env_string("HOME"); home && !home->empty())
        return std::filesystem::path(*home) / ".cache" / "huggingface" / "token";
    return {};
}

} // namespace

std::optional<Token> resolve_token(const Config& config) {
    if (config.explicit_token) {
        if (auto value = trim_token(*config.explicit_token); !value.empty())
            return Token{std::move(value), "explicit"};
    }
    if (!config.data_dir.empty()) {
        if (auto value = read_token_file(config.token_file())) return Token{*value, "stored"};
    }
    if (auto value = env_string("HF_TOKEN")) {
        if (auto trimmed = trim_token(*value); !trimmed.empty()) return Token{std::move(trimmed), "env"};
    }
    if (auto path = hf_home_token_path(); !path.empty()) {
        if (auto value = read_token_file(path)) return Token{*value, "hf_home"};
    }
    return std::nullopt;
}

Status store_token(const std::filesystem::path& data_dir, std::string_view token) {
    const std::string value = trim_token(std::string(token));
    if (value.empty()) return fail(ErrorCode::bad_request, "empty token");
    if (value.find_first_of("\r\n") != std::string::npos)
        return fail(ErrorCode::bad_request, "token contains a line break");
    std::error_code ec;
    if (!std::filesystem::exists(data_dir, ec)) {
        if (auto made = platform::create_directories(data_dir); !made) return made;
        std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all, ec);
    }
    // 0600 from the creation on (a chmod after the write would leave a readable window; on Windows
    // the file inherits the ACL of %LOCALAPPDATA%, the user's own); synced
    // because a token the user typed once cannot be fetched again.
    return util::write_file_atomically(data_dir / "token", value,
                                       {.durability = util::Durability::file, .mode = 0600});
}

Status clear_token(const std::filesystem::path& data_dir) {
    const auto target = data_dir / "token";
    if (auto removed = platform::remove_file(target); !removed) return tl::unexpected(removed.error());
    return {};
}

std::string mask_token(std::string_view token) {
    if (token.size() < 12) return "****";
    std::string prefix;
    if (auto underscore = token.find('_'); underscore != std::string_view::npos && underscore < 6)
        prefix = std::string(token.substr(0, underscore + 1));
    return prefix + "****" + std::string(token.substr(token.size() - 4));
}

} // namespace tabagent::hub
