#include "core/names.hpp"

#include <cctype>

namespace tabagent {
namespace {
bool valid_repo_part(std::string_view part) {
    if (part.empty() || part.size() > 96) return false;
    if (!std::isalnum(static_cast<unsigned char>(part[0]))) return false;
    for (char c : part) {
        auto u = static_cast<unsigned char>(c);
        if (!(std::isalnum(u) || c == '.' || c == '_' || c == '-')) return false;
    }
    return true;
}
} // namespace

Status validate_repo(std::string_view repo) {
    auto slash = repo.find('/');
    bool ok = slash != std::string_view::npos && repo.find('/', slash + 1) == std::string_view::npos &&
              valid_repo_part(repo.substr(0, slash)) && valid_repo_part(repo.substr(slash + 1)) &&
              repo.find("--") == std::string_view::npos && repo.find("..") == std::string_view::npos;
    if (!ok)
        return fail(ErrorCode::invalid_repo, "repo must look like owner/name",
                    {{"repo", std::string(repo.substr(0, 200))}});
    return {};
}

Status validate_file_path(std::string_view path) {
    auto bad = [&](const char* why) {
        return fail(ErrorCode::invalid_path, std::string("invalid file path: ") + why,
                    {{"file", std::string(path.substr(0, 200))}});
    };
    if (path.empty()) return bad("empty");
    if (path.size() > 1024) return bad("longer than 1024 bytes");
    if (path.front() == '/') return bad("absolute");
    if (path.find('\\') != std::string_view::npos) return bad("backslash");
    if (path.find('\0') != std::string_view::npos) return bad("NUL byte");
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        auto seg = path.substr(start, end - start);
        if (seg.empty()) return bad("empty segment");
        if (seg == "." || seg == "..") return bad("dot segment");
        start = end + 1;
    }
    return {};
}

bool is_commit_hash(std::string_view s) {
    if (s.size() != 40) return false;
    for (char c : s)
        if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c)))
            return false;
    return true;
}

Status validate_revision(std::string_view revision) {
    if (revision.empty() || revision.size() > 255) return fail(ErrorCode::bad_request, "invalid revision");
    for (char c : revision) {
        auto u = static_cast<unsigned char>(c);
        if (!(std::isalnum(u) || c == '.' || c == '_' || c == '-' || c == '/'))
            return fail(ErrorCode::bad_request, "invalid revision");
    }
    if (auto st = validate_file_path(revision); !st) return fail(ErrorCode::bad_request, "invalid revision");
    return {};
}

std::string repo_folder_name(std::string_view repo) {
    std::string out = "models--";
    for (char c : repo) {
        if (c == '/') out += "--";
        else out += c;
    }
    return out;
}

} // namespace tabagent
