// fakehub-gen: writes a realistic repo (files + .fakehub.json with cached hashes) for the fake hub.
#include "meta.hpp"
#include "presets.hpp"
#include "random_fill.hpp"
#include "repo_store.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <stdexcept>

namespace {

using namespace tabagent::fakehub;

// "16K", "20M", "2G", "123" (bytes); binary multiples.
std::uint64_t parse_size_arg(const std::string& s) {
    std::size_t used = 0;
    const double value = std::stod(s, &used);
    std::string unit = s.substr(used);
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
    if (!unit.empty() && (unit.back() == 'i')) unit.pop_back();
    double mult = 1;
    if (unit == "K" || unit == "k") mult = 1024.0;
    else if (unit == "M" || unit == "m") mult = 1024.0 * 1024;
    else if (unit == "G" || unit == "g") mult = 1024.0 * 1024 * 1024;
    else if (!unit.empty()) throw std::invalid_argument("bad size '" + s + "'");
    if (value < 0) throw std::invalid_argument("negative size '" + s + "'");
    return static_cast<std::uint64_t>(value * mult);
}

std::pair<std::string, std::string> split_spec(const std::string& spec) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0) throw std::invalid_argument("expected PATH:VALUE, got '" + spec + "'");
    return {spec.substr(0, colon), spec.substr(colon + 1)};
}

void upsert(std::vector<PlannedFile>& files, PlannedFile f) {
    for (auto& existing : files)
        if (existing.path == f.path) {
            existing = std::move(f);
            return;
        }
    files.push_back(std::move(f));
}

bool safe_path(const std::string& p) {
    if (p.empty() || p.front() == '/' || p.rfind(k_meta_name, 0) == 0) return false;
    std::size_t start = 0;
    while (start <= p.size()) {
        auto slash = p.find('/', start);
        if (slash == std::string::npos) slash = p.size();
        const auto seg = p.substr(start, slash - start);
        if (seg.empty() || seg == "." || seg == "..") return false;
        start = slash + 1;
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    std::string root, repo, preset_name, pipeline_tag, library_name;
    std::vector<std::string> file_specs, text_specs;
    std::uint64_t seed = 1;
    double scale = 1.0;
    bool gated = false, is_private = false, clean = false, no_hash = false;
    std::uint64_t lfs_threshold = k_default_lfs_threshold;
    CLI::App app{"fakehub-gen: generate a repo for the fake hub"};
    app.add_option("--root", root, "fake hub root directory")->required();
    app.add_option("--repo", repo, "owner/name")->required();
    app.add_option("--file", file_specs, "PATH:SIZE random file (SIZE like 16K, 20M, 2G); repeatable");
    app.add_option("--text", text_specs, "PATH:CONTENT text file; repeatable");
    app.add_option("--preset", preset_name, "onnx | onnx-encdec | gguf | gguf-split | safetensors");
    app.add_option("--scale", scale, "multiply preset weight sizes");
    app.add_option("--seed", seed, "random content seed");
    app.add_flag("--gated", gated, "gated repo (needs an accepted token to resolve files)");
    app.add_flag("--private", is_private, "private repo (invisible without an accepted token)");
    app.add_option("--pipeline-tag", pipeline_tag, "pipeline_tag reported by the API");
    app.add_option("--library-name", library_name, "library_name reported by the API");
    app.add_option("--lfs-threshold", lfs_threshold, "files at least this big are LFS (bytes)");
    app.add_flag("--clean", clean, "delete the repo directory first");
    app.add_flag("--no-hash", no_hash, "skip hashing (the server hashes on first use)");
    CLI11_PARSE(app, argc, argv);

    try {
        if (!valid_repo_id(repo)) throw std::invalid_argument("bad repo id '" + repo + "'");
        const auto dir = std::filesystem::path(root) / repo;
        if (clean) std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);

        Preset plan;
        if (!preset_name.empty()) {
            auto p = make_preset(preset_name, repo.substr(repo.find('/') + 1), scale);
            if (!p) throw std::invalid_argument("unknown preset '" + preset_name + "'");
            plan = std::move(*p);
        }
        for (const auto& spec : file_specs) {
            auto [path, size] = split_spec(spec);
            upsert(plan.files, {path, parse_size_arg(size), std::nullopt});
        }
        for (const auto& spec : text_specs) {
            auto [path, content] = split_spec(spec);
            upsert(plan.files, {path, 0, content});
        }

        RepoMeta meta = load_meta(dir).value_or(RepoMeta{});
        meta.lfs_threshold = lfs_threshold;
        meta.gated = gated ? nlohmann::json("auto") : nlohmann::json(false);
        meta.is_private = is_private;
        meta.pipeline_tag = !pipeline_tag.empty() ? pipeline_tag : plan.pipeline_tag;
        meta.library_name = !library_name.empty() ? library_name : plan.library_name;

        for (const auto& f : plan.files) {
            if (!safe_path(f.path)) throw std::invalid_argument("bad file path '" + f.path + "'");
            const auto dest = dir / f.path;
            const std::uint64_t size = f.text ? f.text->size() : f.size;
            const bool lfs = is_lfs_file(f.path, size, lfs_threshold);
            WrittenFile w = f.text ? write_text_file(dest, *f.text, !no_hash && lfs, !no_hash && !lfs)
                                   : write_random_file(dest, size, seed, f.path, format_prefix(f.path),
                                                       !no_hash && lfs, !no_hash && !lfs);
            meta.hashes[f.path] = CachedHash{w.size, mtime_ns(dest), w.sha256, w.git_sha1};
        }
        // The commit follows the content: same seed and listing, same sha. Hashes missing from the
        // cache (--no-hash) fall back to sizes, still deterministic.
        std::vector<ListedFile> listing;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
            if (!entry.is_regular_file()) continue;
            const std::string rel = entry.path().lexically_relative(dir).generic_string();
            if (rel.rfind(k_meta_name, 0) == 0) continue;
            const auto& h = meta.hashes[rel];
            listing.push_back({rel, entry.file_size(), h.sha256.empty() ? h.git_sha1 : h.sha256});
        }
        meta.sha = commit_from_listing(std::move(listing));
        if (!save_meta(dir, meta)) throw std::runtime_error("cannot write " + (dir / k_meta_name).string());
        std::printf("%s %s\n", repo.c_str(), meta.sha.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fakehub-gen: %s\n", e.what());
        return 1;
    }
    return 0;
}
