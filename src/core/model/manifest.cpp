#include "core/model/manifest.hpp"

#include "core/model/onnx_name.hpp"
#include "core/util/enum_names.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

namespace tabagent::model {
namespace {

constexpr auto k_status_names =
    util::enum_names<QuantStatus>("available", "downloading", "downloaded", "failed", "not_found",
                                  "unavailable", "unsupported", "server_only");

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

// Whether the reason for `status` holds for the variant. Each dialect asks in its own order.
bool holds(QuantStatus status, const Variant &v, const Tally &t, const ManifestOptions &options) {
    switch (status) {
    case QuantStatus::not_found: return v.incomplete;
    case QuantStatus::unsupported: return !transformers_js_selectable(v);
    case QuantStatus::server_only: return is_server_only(v, options.server_only_limit);
    case QuantStatus::downloaded: return t.all_present;
    case QuantStatus::downloading: return t.any_downloading;
    case QuantStatus::failed: return t.any_failed;
    case QuantStatus::unavailable: return options.offline;
    case QuantStatus::available: return true;
    }
    return false;
}

using Precedence = std::span<const QuantStatus>;
// Native: what is on disk comes first; a server-only variant already downloaded is downloaded.
constexpr QuantStatus k_native_order[] = {QuantStatus::not_found,   QuantStatus::downloaded,
                                          QuantStatus::downloading, QuantStatus::failed,
                                          QuantStatus::server_only, QuantStatus::unavailable};
// Extension: what the browser runtime cannot load comes first, whatever the disk holds.
constexpr QuantStatus k_extension_order[] = {
    QuantStatus::not_found,  QuantStatus::unsupported, QuantStatus::server_only, QuantStatus::downloaded,
    QuantStatus::downloading, QuantStatus::failed,     QuantStatus::unavailable};

// The first status of `order` whose reason holds; available when none does.
QuantStatus status_by(Precedence order, const Variant &v, const Tally &t, const ManifestOptions &options) {
    for (auto status : order)
        if (holds(status, v, t, options))
            return status;
    return QuantStatus::available;
}

QuantStatus status_by(Precedence order, const RepoListing &listing, const Grouping &grouping,
                      const Variant &v, const Presence &presence, const ManifestOptions &options) {
    const FileIndex index(listing, presence);
    return status_by(order, v, tally_with_common(index, grouping, v), options);
}

nlohmann::json string_or_null(const std::string &s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

} // namespace

std::string_view to_string(QuantStatus status) { return k_status_names.name(status, "available"); }

bool parse_quant_status(std::string_view name, QuantStatus &out) {
    return k_status_names.parse(name, out);
}

QuantStatus native_status(const RepoListing &listing, const Grouping &grouping, const Variant &v,
                          const Presence &presence, const ManifestOptions &options) {
    return status_by(k_native_order, listing, grouping, v, presence, options);
}

QuantStatus extension_status(const RepoListing &listing, const Grouping &grouping, const Variant &v,
                             const Presence &presence, const ManifestOptions &options) {
    return status_by(k_extension_order, listing, grouping, v, presence, options);
}

nlohmann::json native_manifest(const RepoListing &listing, const Grouping &grouping,
                               const Presence &presence, const ManifestOptions &options) {
    const FileIndex index(listing, presence);
    nlohmann::json quants = nlohmann::json::object();
    for (const auto &v : grouping.variants) {
        const Tally own = tally(index, v.files);
        auto stamp = options.last_updated.find(v.name);
        quants[v.name] = {
            {"status",
             to_string(status_by(k_native_order, v, tally_with_common(index, grouping, v), options))},
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
             to_string(
                 status_by(k_extension_order, v, tally_with_common(index, grouping, v), options))},
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
