#include "core/service/job_result.hpp"

#include "core/model/recommend.hpp"
#include "core/model/variants.hpp"
#include "core/platform/fs.hpp"

namespace tabagent::service {

nlohmann::json job_result_json(ModelService& models, const jobs::JobEvent& e) {
    nlohmann::json doc = {{"jobId", e.job_id},
                          {"kind", jobs::to_string(e.spec.kind)},
                          {"repo", e.spec.repo},
                          {"revision", e.spec.revision},
                          {"variant", nullptr},
                          {"status", to_string(e.status)},
                          {"cached", e.cached},
                          {"totalBytes", e.total},
                          {"files", nlohmann::json::array()}};
    // The files the job covered, as the cache now holds them (core decides which files those are).
    auto saved = models.known_listing(e.spec.repo, e.spec.revision);
    if (!saved) return doc;
    if (e.spec.kind == jobs::JobKind::download_quant) {
        std::string quant = e.spec.quant;
        if (quant.empty())
            if (auto best = model::recommend(model::group_files(saved->listing.files))) quant = *best;
        doc["variant"] = quant;
    }
    auto files = models.files_for(e.spec, saved->listing);
    if (!files) return doc;
    for (const auto& f : *files) {
        nlohmann::json entry = {{"path", f.path}, {"size", f.size}, {"localPath", nullptr}};
        if (auto p = models.has_file(e.spec.repo, f.path, e.spec.revision); p && p->exists)
            entry["localPath"] = platform::reported_path(p->path);
        doc["files"].push_back(entry);
    }
    if (auto commit = models.store().resolve_commit(e.spec.repo, e.spec.revision)) {
        doc["commit"] = *commit;
        doc["snapshot"] = platform::reported_path(models.store().snapshot_dir(e.spec.repo, *commit));
    }
    return doc;
}

} // namespace tabagent::service
