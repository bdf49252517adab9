#pragma once
// A file of a Hub repo as listed by the tree API, and a repo's listing at one commit.
// Shared by hub (produces it), model (groups it) and cache (stores it).
#include <cstdint>
#include <string>
#include <vector>

namespace tabagent::model {

struct RepoFile {
    std::string path;      // relative path in the repo, e.g. "onnx/model_q4f16.onnx"
    std::uint64_t size = 0;
    std::string etag;      // LFS: sha256 of the content (lfs.oid); else the git blob sha1 (oid)
    bool lfs = false;
    std::string blob_id{};  // the tree's git "oid" (for LFS files: of the pointer); "" when unknown
    std::string xet_hash{}; // the tree's "xetHash" for Xet-backed files; "" otherwise
};

struct RepoListing {
    std::string repo;         // owner/name
    std::string revision;     // what was asked for ("main", a tag, a commit)
    std::string commit;       // 40-hex commit the revision resolved to
    std::string pipeline_tag; // task, e.g. "text-generation"; may be empty
    bool gated = false;
    bool is_private = false;
    std::vector<RepoFile> files;
};

} // namespace tabagent::model
