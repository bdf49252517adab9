#include "meta.hpp"

#include "core/util/fd.hpp"
#include "core/util/hash.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <unistd.h>

namespace tabagent::fakehub {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool valid_segment(const std::string& s) {
    if (s.empty() || s == "." || s == ".." || s.size() > 96) return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-';
    });
}

} // namespace

bool valid_repo_id(const std::string& repo_id) {
    auto slash = repo_id.find('/');
    if (slash == std::string::npos) return false;
    return valid_segment(repo_id.substr(0, slash)) && valid_segment(repo_id.substr(slash + 1));
}


std::optional<RepoMeta> load_meta(const fs::path& repo_dir) {
    std::ifstream in(repo_dir / k_meta_name);
    if (!in) return std::nullopt;
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    RepoMeta m;
    m.sha = j.value("sha", "");
    if (j.contains("pipeline_tag") && j["pipeline_tag"].is_string()) m.pipeline_tag = j["pipeline_tag"];
    m.library_name = j.value("library_name", "");
    if (j.contains("gated")) m.gated = j["gated"];
    m.is_private = j.value("private", false);
    m.lfs_threshold = j.value("lfs_threshold", k_default_lfs_threshold);
    if (j.contains("files") && j["files"].is_object()) {
        for (auto& [path, e] : j["files"].items()) {
            CachedHash h;
            h.size = e.value("size", std::uint64_t{0});
            h.mtime_ns = e.value("mtime_ns", std::int64_t{0});
            h.sha256 = e.value("sha256", "");
            h.git_sha1 = e.value("git_sha1", "");
            m.hashes[path] = h;
        }
    }
    return m;
}

bool save_meta(const fs::path& repo_dir, const RepoMeta& meta) {
    json files = json::object();
    for (const auto& [path, h] : meta.hashes) {
        json e = {{"size", h.size}, {"mtime_ns", h.mtime_ns}};
        if (!h.sha256.empty()) e["sha256"] = h.sha256;
        if (!h.git_sha1.empty()) e["git_sha1"] = h.git_sha1;
        files[path] = std::move(e);
    }
    json j = {{"sha", meta.sha},
              {"pipeline_tag", meta.pipeline_tag.empty() ? json(nullptr) : json(meta.pipeline_tag)},
              {"gated", meta.gated},
              {"private", meta.is_private},
              {"lfs_threshold", meta.lfs_threshold},
              {"files", std::move(files)}};
    if (!meta.library_name.empty()) j["library_name"] = meta.library_name;
    // Unique temp name: the generator and a running server may both write.
    auto tmp = repo_dir / (std::string(k_meta_name) + ".tmp" + std::to_string(::getpid()) + "-" +
                           std::to_string(std::hash<std::string>{}(meta.sha) & 0xffff));
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) return false;
        out << j.dump(2) << '\n';
        if (!out) return false;
    }
    std::error_code ec;
    fs::rename(tmp, repo_dir / k_meta_name, ec);
    return !ec;
}

bool is_lfs_file(const std::string& path, std::uint64_t size, std::uint64_t threshold) {
    static constexpr std::array<const char*, 9> k_exts = {".onnx", ".onnx_data", ".gguf", ".safetensors",
                                                          ".bin",  ".pt",        ".msgpack", ".h5", ".ot"};
    if (size >= threshold) return true;
    auto dot = path.find_last_of('.');
    if (dot == std::string::npos || path.find('/', dot) != std::string::npos) return false;
    std::string ext = path.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    // `.onnx_data_1` style continuation files count as external data too.
    if (ext.rfind(".onnx_data", 0) == 0) return true;
    return std::find(k_exts.begin(), k_exts.end(), ext) != k_exts.end();
}

bool is_gated(const json& gated) {
    if (gated.is_boolean()) return gated.get<bool>();
    if (gated.is_string()) return gated != "false" && !gated.get<std::string>().empty();
    return false;
}

std::string lfs_pointer(const std::string& sha256, std::uint64_t size) {
    return "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 + "\nsize " +
           std::to_string(size) + "\n";
}

std::string git_blob_sha1(const std::string& text) {
    util::Hasher h(util::HashKind::git_sha1, text.size());
    h.update(text.data(), text.size());
    return h.hex_digest();
}

std::string commit_from_listing(std::vector<ListedFile> files) {
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    std::string text = "fakehub-commit\n";
    for (const auto& f : files) text += f.path + '\0' + std::to_string(f.size) + '\0' + f.hash + '\n';
    return git_blob_sha1(text);
}

FileHashes hash_file_content(const fs::path& path, bool want_sha256, bool want_sha1, bool flip) {
    auto fd = util::UniqueFd::open_read(path);
    if (!fd) return {};
    auto size = fd->size();
    if (!size) return {};
    std::optional<util::Hasher> sha256, sha1;
    if (want_sha256) sha256.emplace(util::HashKind::sha256, *size);
    if (want_sha1) sha1.emplace(util::HashKind::git_sha1, *size);
    std::vector<std::byte> buf(1 << 20);
    std::uint64_t off = 0;
    while (off < *size) {
        auto n = fd->pread_some(buf, off);
        if (!n || *n == 0) return {};
        if (flip)
            for (std::size_t i = 0; i < *n; ++i) buf[i] ^= std::byte{0xFF};
        if (sha256) sha256->update(buf.data(), *n);
        if (sha1) sha1->update(buf.data(), *n);
        off += *n;
    }
    FileHashes out;
    if (sha256) out.sha256 = sha256->hex_digest();
    if (sha1) out.git_sha1 = sha1->hex_digest();
    return out;
}

std::int64_t mtime_ns(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

} // namespace tabagent::fakehub
