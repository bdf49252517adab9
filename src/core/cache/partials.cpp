#include "core/cache/partials.hpp"

#include "core/cache/scan.hpp"
#include "core/cache/store.hpp"
#include "core/platform/fs.hpp"
#include "core/util/fd.hpp"

namespace tabagent::cache {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_incomplete = ".incomplete";

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_lower_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

} // namespace

std::string_view partial_kind_name(PartialKind kind) {
    switch (kind) {
    case PartialKind::incomplete: return "incomplete";
    case PartialKind::huggingface_hub: return "huggingface_hub";
    case PartialKind::llama_cpp: return "llama.cpp";
    }
    return "incomplete";
}

std::optional<PartialName> parse_partial_name(std::string_view name) {
    if (name.empty() || name.front() == '.') return std::nullopt;
    if (ends_with(name, k_llama_partial_suffix))
        return PartialName{std::string(name.substr(0, name.size() - k_llama_partial_suffix.size())),
                           PartialKind::llama_cpp};
    if (!ends_with(name, k_incomplete)) return std::nullopt;
    auto stem = name.substr(0, name.size() - k_incomplete.size());
    // huggingface_hub 1.x: f"{incomplete_path.stem}.{uuid.uuid4().hex[:8]}.incomplete", where
    // incomplete_path is "<etag>.incomplete", so the stem is the etag.
    auto dot = stem.rfind('.');
    if (dot != std::string_view::npos && stem.size() - dot - 1 == 8 && is_lower_hex(stem.substr(dot + 1)) && dot > 0)
        return PartialName{std::string(stem.substr(0, dot)), PartialKind::huggingface_hub};
    if (stem.find('.') != std::string_view::npos) return std::nullopt;
    return PartialName{std::string(stem), PartialKind::incomplete};
}

bool is_partial_side_file(std::string_view name) {
    return name.find(".incomplete.") != std::string_view::npos ||
           name.find(std::string(k_llama_partial_suffix) + ".") != std::string_view::npos;
}

std::vector<fs::path> partial_lock_paths(const Store& store, std::string_view repo, const ScannedPartial& partial) {
    std::vector<fs::path> out;
    if (!partial.etag.empty()) out.push_back(store.lock_path(repo, partial.etag));
    const auto file = store.repo_dir(repo) / platform::u8path(partial.file);
    out.push_back(platform::u8path(platform::u8string(file) + ".lock"));
    if (partial.kind == PartialKind::llama_cpp) {
        auto final_path = platform::u8string(file);
        final_path.resize(final_path.size() - k_llama_partial_suffix.size());
        out.push_back(platform::u8path(final_path + ".lock"));
    }
    return out;
}

bool partial_in_use(const Store& store, std::string_view repo, const ScannedPartial& partial) {
    for (const auto& lock : partial_lock_paths(store, repo, partial)) {
        auto held = util::FileLock::held_elsewhere(lock);
        if (!held || *held) return true;
    }
    return false;
}

std::optional<std::string> held_partial(const Store& store, std::string_view repo) {
    auto scanned = scan_repo(store.root(), repo);
    if (!scanned) return std::nullopt;
    for (const auto& p : scanned->partials)
        if (partial_in_use(store, repo, p)) return p.file;
    return std::nullopt;
}

} // namespace tabagent::cache
