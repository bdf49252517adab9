#include "core/model/manifest.hpp"

#include "core/model/onnx_name.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace tabagent::model {
namespace {

constexpr std::array<std::string_view, 8> k_status_names = {
    "available", "downloading", "downloaded",  "failed",
    "not_found", "unavailable", "unsupported", "server_only"};

// Looks files of a listing up by path; paths missing from the listing count as absent, size 0.
class FileIndex {
  public:
    FileIndex(const RepoListing &listing, const Presence &presence) : m_presence(presence) {
        for (const auto &f : listing.files)
            m_files.emplace(f.path, &f);
    }

    std::uint64_t size(const std::string &path) const {
        auto it = m_files.find(path);
        return it == m_files.end() ? 0 : it->second->size;
    }

    // The state of a file, with present_bytes normalised to [0, size] (= size when present).
    FileState state(const std::string &path) const {
        auto it = m_files.find(path);
        if (it == m_files.end() || !m_presence)
            return {};
        FileState s = m_presence(*it->second);
        s.present_bytes =
            s.present ? it->second->size : std::min(s.present_bytes, it->second->size);
        return s;
    }

  private:
    const Presence &m_presence;
    std::map<std::string, const RepoFile *, std::less<>> m_files;
};

struct Tally {
    bool all_present = true;
    bool any_downloading = false;
    bool any_failed = false;
    std::uint64_t present_bytes = 0;

    void add(const FileState &s) {
        all_present = all_present && s.present;
        any_downloading = any_downloading || s.downloading;
        any_failed = any_failed || s.failed;
        present_bytes += s.present_bytes;
    }
};

Tally tally(const FileIndex &index, const std::vector<std::string> &paths) {
    Tally t;
    for (const auto &p : paths)
        t.add(index.state(p));
    return t;
}

// Tally of the variant's files and the common files together: what "downloaded" is about.
Tally tally_with_common(const FileIndex &index, const Grouping &grouping, const Variant &v) {
    Tally t = tally(index, v.files);
    const Tally c = tally(index, grouping.common);
    t.all_present = t.all_present && c.all_present;
    t.any_downloading = t.any_downloading || c.any_downloading;
    t.any_failed = t.any_failed || c.any_failed;
    return t;
}

bool transformers_js_selectable(const Variant &v) {
    if (v.family != k_family_onnx || v.name.find('/') != std::string::npos)
        return true;
    const auto dtypes = transformers_js_dtypes();
    return std::find(dtypes.begin(), dtypes.end(), v.name) != dtypes.end();
}

QuantStatus native_from(const Variant &v, const Tally &t, const ManifestOptions &options) {
    if (v.incomplete)
        return QuantStatus::not_found;
    if (t.all_present)
        return QuantStatus::downloaded;
    if (t.any_downloading)
        return QuantStatus::downloading;
    if (t.any_failed)
        return QuantStatus::failed;
    if (is_server_only(v, options.server_only_limit))
        return QuantStatus::server_only;
    if (options.offline)
        return QuantStatus::unavailable;
    return QuantStatus::available;
}

QuantStatus extension_from(const Variant &v, const Tally &t, const ManifestOptions &options) {
    if (v.incomplete)
        return QuantStatus::not_found;
    if (!transformers_js_selectable(v))
        return QuantStatus::unsupported;
    if (is_server_only(v, options.server_only_limit))
        return QuantStatus::server_only;
    if (t.all_present)
        return QuantStatus::downloaded;
    if (t.any_downloading)
        return QuantStatus::downloading;
    if (t.any_failed)
        return QuantStatus::failed;
    if (options.offline)
        return QuantStatus::unavailable;
    return QuantStatus::available;
}

nlohmann::json string_or_null(const std::string &s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

} // namespace

std::string_view to_string(QuantStatus status) {
    return k_status_names.at(static_cast<std::size_t>(status));
}

bool parse_quant_status(std::string_view name, QuantStatus &out) {
    for (std::size_t i = 0; i < k_status_names.size(); ++i) {
        if (k_status_names[i] == name) {
            out = static_cast<QuantStatus>(i);
            return true;
        }
    }
    return false;
}

QuantStatus native_status(const RepoListing &listing, const Grouping &grouping, const Variant &v,
                          const Presence &presence, const ManifestOptions &options) {
    const FileIndex index(listing, presence);
    return native_from(v, tally_with_common(index, grouping, v), options);
}

QuantStatus extension_status(const RepoListing &listing, const Grouping &grouping, const Variant &v,
                             const Presence &presence, const ManifestOptions &options) {
    const FileIndex index(listing, presence);
    return extension_from(v, tally_with_common(index, grouping, v), options);
}

nlohmann::json native_manifest(const RepoListing &listing, const Grouping &grouping,
                               const Presence &presence, const ManifestOptions &options) {
    const FileIndex index(listing, presence);
    nlohmann::json quants = nlohmann::json::object();
    for (const auto &v : grouping.variants) {
        const Tally own = tally(index, v.files);
        auto stamp = options.last_updated.find(v.name);
        quants[v.name] = {
            {"status", to_string(native_from(v, tally_with_common(index, grouping, v), options))},
            {"family", v.family},
            {"files", v.files},
            {"total_size", v.total_size},
            {"downloaded_size", own.present_bytes},
            {"last_updated",
             stamp == options.last_updated.end() ? options.updated_at : stamp->second},
        };
    }
    const Tally common = tally(index, grouping.common);
    const auto recommended = recommend(grouping, {options.server_only_limit});
    return {
        {"repo_id", listing.repo},
        {"task", string_or_null(listing.pipeline_tag)},
        {"revision", string_or_null(listing.revision)},
        {"commit", string_or_null(listing.commit)},
        {"created_at", options.created_at},
        {"updated_at", options.updated_at},
        {"recommended", recommended ? nlohmann::json(*recommended) : nlohmann::json(nullptr)},
        {"quants", std::move(quants)},
        {"common",
         {{"files", grouping.common},
          {"total_size", grouping.common_size},
          {"downloaded_size", common.present_bytes}}},
    };
}

nlohmann::json native_manifest(const RepoListing &listing, const Presence &presence,
                               const ManifestOptions &options) {
    return native_manifest(listing, group_files(listing.files), presence, options);
}

nlohmann::json extension_manifest(const RepoListing &listing, const Grouping &grouping,
                                  const Presence &presence, const ManifestOptions &options) {
    const FileIndex index(listing, presence);
    nlohmann::json quants = nlohmann::json::object();
    for (const auto &v : grouping.variants) {
        if (v.family != k_family_onnx && v.family != k_family_gguf)
            continue;
        std::vector<std::string> files = v.files;
        files.insert(files.end(), grouping.common.begin(), grouping.common.end());
        std::sort(files.begin(), files.end());
        nlohmann::json sizes = nlohmann::json::object();
        for (const auto &f : files)
            sizes[f] = index.size(f);
        quants[v.main_path] = {
            {"files", files},
            {"status",
             to_string(extension_from(v, tally_with_common(index, grouping, v), options))},
            {"dtype", v.dtype},
            {"hasExternalData", v.has_external_data},
            {"fileSizes", std::move(sizes)},
        };
    }
    return {
        {"repo", listing.repo},
        {"task", string_or_null(listing.pipeline_tag)},
        {"manifestVersion", 1},
        {"quants", std::move(quants)},
    };
}

nlohmann::json extension_manifest(const RepoListing &listing, const Presence &presence,
                                  const ManifestOptions &options) {
    return extension_manifest(listing, group_files(listing.files), presence, options);
}

} // namespace tabagent::model
