#pragma once
// The protocol's shapes: the one place where the core's typed results become wire JSON. The
// host's replies and events, the CLI's --json and (later) the Python package all use these, so a
// list, stats, clean or verify document has one shape whoever asks.
//
// Naming rule (docs/PROTOCOL.md, "Field names"): fields are camelCase. A snake_case name that
// TabAgent's client already reads is kept as an alias: wherever its camelCase twin appears, the
// legacy name appears beside it with the same value (legacy_aliases() lists them).
#include "core/cache/clean.hpp"
#include "core/cache/stats.hpp"
#include "core/cache/verify.hpp"
#include "core/jobs/job.hpp"
#include "core/service/model_list.hpp"

#include <nlohmann/json.hpp>

#include <span>
#include <string_view>
#include <utility>

namespace tabagent::wire {

// (camelCase name, legacy snake_case alias) pairs.
std::span<const std::pair<std::string_view, std::string_view>> legacy_aliases();
// Adds the legacy alias next to every camelCase name that has one, in every object of `doc`.
void add_legacy_aliases(nlohmann::json& doc);

// list_models / `list --json`: {cacheRoot, models:[{repo, size, partialBytes, files,
// revisions:[{commit, refs, size, files}], variants, scanned, lastAccess, lastModified}]}.
nlohmann::json to_json(const service::ModelList& list);
// get_stats / `stats --json`: {cacheRoot, totalRepos, totalSize, partialBytes, diskFree,
// repos:[{repo, size, partialBytes, files, revisions, lastAccess, lastModified}], warnings}.
nlohmann::json to_json(const cache::CacheStats& stats);
// clean / `clean --json`: {dryRun, freedBytes, totalBefore, totalAfter,
// removed:[{repo, bytes, reason, lastAccess}], removedPartials:[{repo, etag, bytes, lastModified}],
// skippedBusy, warnings}.
nlohmann::json to_json(const cache::CleanReport& report);
// verify's result (done event) / `verify --json`: {ok, bad, missing, unverifiable, unreadable,
// removed, bytesHashed, problems:[{repo, etag, state, size, path, removed, files, error?}],
// warnings}. Problems are the blobs that are not ok.
nlohmann::json to_json(const cache::VerifyReport& report);

// One entry of list_downloads / `jobs list --json`.
nlohmann::json to_json(const jobs::JobInfo& info);
// The payload of a modelWorkerLoadingProgress event.
nlohmann::json progress_payload(const jobs::JobEvent& event);

} // namespace tabagent::wire
