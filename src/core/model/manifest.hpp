#pragma once
// The two manifest dialects (DESIGN §6) built from a listing, its grouping and the caller's view
// of what is on disk. Pure: presence and timestamps come in as arguments, so the same inputs give
// the same JSON (the filesystem stays the source of truth, DESIGN §4).
//
// native:
//   {repo_id, task, revision, commit, created_at, updated_at, recommended,
//    quants:{<variant>:{status, family, files[], total_size, downloaded_size, last_updated}},
//    common:{files[], total_size, downloaded_size}}
//   `task`/`revision`/`commit`/`recommended` are null when unknown. Every variant appears.
//   `files` and `total_size` are the variant's own files; common files are counted once, in
//   `common`. `family` is an addition to the DESIGN keys (onnx|gguf|mmproj|safetensors|pytorch).
// extension:
//   {repo, task, manifestVersion:1,
//    quants:{<key>:{files[], status, dtype, hasExternalData, fileSizes:{path:bytes}}}}
//   Only ONNX and GGUF variants appear (mmproj, safetensors and pytorch are not loadable by the
//   extension on their own). <key> is the variant's main_path: the main .onnx graph
//   ("onnx/model_q4f16.onnx"; for encoder-decoder and multi-graph variants decoder_model_merged,
//   see Variant::main_path) or the first .gguf file. `files`/`fileSizes` list everything loading
//   the quant needs: the variant's files plus the common files. dtype: extension_dtype for ONNX,
//   the quant tag for GGUF (empty for an untagged GGUF file).
//
// Status rules (first match wins):
//   native:    not_found (incomplete listing) > downloaded (every variant file and every common
//              file present) > downloading (any in progress) > failed (any failed) > server_only
//              (ONNX external data > limit) > unavailable (options.offline) > available.
//   extension: not_found > unsupported (an ONNX dtype suffix transformers.js cannot select, e.g.
//              "model_O4.onnx") > server_only > downloaded > downloading > failed > unavailable >
//              available. server_only outranks downloaded here: the browser cannot load it anyway.
#include "core/model/recommend.hpp"
#include "core/model/repo_file.hpp"
#include "core/model/variants.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace tabagent::model {

// A variant's status in a manifest; to_string spells it as the manifests do ("server_only"), and
// parse_quant_status is the inverse (false when the name is unknown).
enum class QuantStatus {
    available, downloading, downloaded, failed, not_found, unavailable, unsupported, server_only
};
std::string_view to_string(QuantStatus status);
bool parse_quant_status(std::string_view name, QuantStatus &out);

// What the cache knows about one file of the listing.
struct FileState {
    bool present = false;            // complete and verified in the snapshot
    std::uint64_t present_bytes = 0; // bytes on disk so far (a partial's size); ignored if present
    bool downloading = false;        // a job is fetching it now
    bool failed = false;             // the last attempt failed
};

// Asked once per file; an empty function means "nothing is on disk".
using Presence = std::function<FileState(const RepoFile &)>;

struct ManifestOptions {
    std::string created_at; // passed in so the output is deterministic
    std::string updated_at;
    std::map<std::string, std::string, std::less<>> last_updated; // per variant, else updated_at
    std::uint64_t server_only_limit = k_default_server_only_limit;
    bool offline = false; // the Hub cannot be reached: variants not on disk read `unavailable`
};

// Status of one variant under the native / extension rules above.
QuantStatus native_status(const RepoListing &listing, const Grouping &grouping, const Variant &v,
                          const Presence &presence, const ManifestOptions &options = {});
QuantStatus extension_status(const RepoListing &listing, const Grouping &grouping, const Variant &v,
                             const Presence &presence, const ManifestOptions &options = {});

// The native dialect. `grouping` must come from group_files(listing.files).
nlohmann::json native_manifest(const RepoListing &listing, const Grouping &grouping,
                               const Presence &presence, const ManifestOptions &options = {});
nlohmann::json native_manifest(const RepoListing &listing, const Presence &presence,
                               const ManifestOptions &options = {});

// The extension dialect. `grouping` must come from group_files(listing.files).
nlohmann::json extension_manifest(const RepoListing &listing, const Grouping &grouping,
                                  const Presence &presence, const ManifestOptions &options = {});
nlohmann::json extension_manifest(const RepoListing &listing, const Presence &presence,
                                  const ManifestOptions &options = {});

} // namespace tabagent::model
