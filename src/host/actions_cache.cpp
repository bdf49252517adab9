// Cache actions (never touch the network) and the token actions.
#include "host/actions.hpp"

#include "core/cache/clean.hpp"
#include "core/wire/wire.hpp"
#include "host/context.hpp"
#include "host/data_frame.hpp"
#include "host/fields.hpp"
#include "host/services.hpp"
#include "core/platform/fs.hpp"

#include <optional>

namespace tabagent::host {
namespace {

service::ModelService& models(HostContext& ctx) { return ctx.services->models; }

Result<std::string> repo_field(const Request& req) {
    return required_string(req.body, {"repo", "model_id", "model_name", "model", "modelPath", "repoId"});
}

Reply token_reply(const service::TokenStatus& s) {
    return payload_reply(
        {{"hasToken", s.has_token}, {"source", s.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.source)}});
}

} // namespace

namespace actions {

Result<Reply> scan_repo(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(repo, repo_field(req));
    TRY_ASSIGN(listing, models(ctx).scan_repo(repo, revision_field(req.body)));
    TRY_ASSIGN(manifest, models(ctx).manifest(repo, "native"));
    return payload_reply({{"manifest", manifest}, {"files", listing.files.size()}, {"commit", listing.commit}});
}

Result<Reply> get_manifest(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(repo, repo_field(req));
    TRY_ASSIGN(format, optional_string(req.body, {"format"}));
    TRY_ASSIGN(manifest, models(ctx).manifest(repo, format.value_or("native")));
    return payload_reply({{"manifest", manifest}});
}

Result<Reply> list_models(const Request&, HostContext& ctx) {
    return payload_reply(wire::to_json(models(ctx).list_models()));
}

Result<Reply> has_file(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(repo, repo_field(req));
    TRY_ASSIGN(file, required_string(req.body, {"file", "path", "fileName"}));
    TRY_ASSIGN(p, models(ctx).has_file(repo, file, revision_field(req.body)));
    Reply r;
    r.payload = {{"exists", p.exists}, {"size", p.size}};
    if (p.exists) r.payload["path"] = platform::reported_path(p.path);
    if (p.known_missing) r.payload["knownMissing"] = true; // a .no_exist marker: the Hub lacks it
    return r;
}

Result<Reply> get_file(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(repo, repo_field(req));
    TRY_ASSIGN(file, required_string(req.body, {"file", "path", "fileName"}));
    TRY_ASSIGN(offset, optional_uint(req.body, "offset"));
    TRY_ASSIGN(length, optional_uint(req.body, "length"));
    // The reply frame is built around the chunk: the bytes are read into it and encoded in place.
    std::optional<DataReplyFrame> frame;
    auto room = [&](std::uint64_t want) {
        frame.emplace(req.id, static_cast<std::size_t>(want));
        return frame->raw_area(static_cast<std::size_t>(want));
    };
    TRY_ASSIGN(chunk, models(ctx).read_chunk_into(repo, file, offset.value_or(0),
                                                  length.value_or(service::k_max_chunk_bytes),
                                                  revision_field(req.body), room));
    if (!frame) frame.emplace(req.id, 0); // past the end: no data
    Reply r;
    r.frame = std::move(*frame).finish({chunk.offset, chunk.length, chunk.size, chunk.eof});
    return r;
}

Result<Reply> get_file_path(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(repo, repo_field(req));
    TRY_ASSIGN(file, required_string(req.body, {"file", "path", "fileName"}));
    TRY_ASSIGN(p, models(ctx).has_file(repo, file, revision_field(req.body)));
    if (p.known_missing)
        return fail(ErrorCode::not_found, "the Hub has no such file (remembered in the cache)",
                    {{"repo", repo}, {"file", file}, {"knownMissing", true}});
    if (!p.exists) return fail(ErrorCode::not_found, "file is not in the cache", {{"repo", repo}, {"file", file}});
    return payload_reply(
        {{"path", platform::reported_path(p.path)}, {"blobPath", platform::reported_path(p.blob_path)}, {"size", p.size}, {"commit", p.commit}});
}

Result<Reply> delete_model(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(repo, repo_field(req));
    TRY_ASSIGN(quant, optional_string(req.body, {"quant", "variant"}));
    TRY_ASSIGN(freed, models(ctx).delete_model(repo, quant.value_or("")));
    Reply r;
    r.payload = {{"freedBytes", freed}, {"repo", repo}};
    if (quant) r.payload["quant"] = *quant;
    r.top = {{"message", "deleted " + repo + (quant ? " (" + *quant + ")" : "")}, {"model", repo}};
    return r;
}

Result<Reply> get_stats(const Request&, HostContext& ctx) {
    return payload_reply(wire::to_json(models(ctx).stats()));
}

Result<Reply> clean(const Request& req, HostContext& ctx) {
    cache::CleanOptions options;
    TRY_ASSIGN(max_bytes, optional_uint(req.body, "maxBytes"));
    TRY_ASSIGN(days, optional_uint(req.body, "olderThanDays"));
    TRY_ASSIGN(dry_run, optional_bool(req.body, "dryRun", false));
    options.max_bytes = max_bytes;
    if (days) options.older_than = std::chrono::hours(24 * static_cast<long>(std::min<std::uint64_t>(*days, 100000)));
    options.dry_run = dry_run;
    if (!max_bytes && !days) return fail(ErrorCode::bad_request, "give maxBytes and/or olderThanDays");
    TRY_ASSIGN(report, models(ctx).clean(options));
    return payload_reply(wire::to_json(report));
}

Result<Reply> set_hf_token(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(token, required_string(req.body, {"token"}));
    TRY_ASSIGN(validate, optional_bool(req.body, "validate", false));
    TRY_ASSIGN(status, models(ctx).set_token(token, validate));
    return token_reply(status);
}

Result<Reply> get_hf_token_status(const Request&, HostContext& ctx) { return token_reply(models(ctx).token_status()); }

Result<Reply> clear_hf_token(const Request&, HostContext& ctx) {
    TRY_ASSIGN(status, models(ctx).clear_token());
    return token_reply(status);
}

} // namespace actions
} // namespace tabagent::host
