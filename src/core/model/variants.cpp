#include "core/model/variants.hpp"

#include "core/model/gguf_name.hpp"
#include "core/model/onnx_name.hpp"
#include "core/model/text.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

namespace tabagent::model {
namespace {

struct WeightClass {
    std::string family;
    std::string variant;
    std::optional<OnnxName> onnx;
    std::optional<GgufName> gguf;
    bool index = false; // "*.safetensors.index.json" / "pytorch_model.bin.index.json"
};

int family_rank(std::string_view family) {
    constexpr std::array<std::string_view, 5> order = {
        k_family_onnx, k_family_gguf, k_family_mmproj, k_family_safetensors, k_family_pytorch};
    for (std::size_t i = 0; i < order.size(); ++i)
        if (order[i] == family)
            return static_cast<int>(i);
    return static_cast<int>(order.size());
}

bool is_hidden(std::string_view path) {
    std::size_t begin = 0;
    while (begin < path.size()) {
        if (path[begin] == '.')
            return true;
        const auto slash = path.find('/', begin);
        if (slash == std::string_view::npos)
            break;
        begin = slash + 1;
    }
    return false;
}

std::string_view extension_of(std::string_view base) {
    const auto dot = base.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : base.substr(dot + 1);
}

std::optional<WeightClass> classify_weight(std::string_view path) {
    if (auto onnx = parse_onnx_name(path)) {
        WeightClass w{std::string(k_family_onnx), onnx->variant, std::move(onnx), std::nullopt};
        return w;
    }
    if (auto gguf = parse_gguf_name(path)) {
        WeightClass w;
        if (gguf->mmproj) {
            w.family = std::string(k_family_mmproj);
            w.variant = gguf->tag.empty() ? "mmproj" : "mmproj-" + gguf->tag;
        } else {
            w.family = std::string(k_family_gguf);
            w.variant = gguf->tag.empty() ? gguf->stem : gguf->tag;
        }
        w.gguf = std::move(gguf);
        return w;
    }
    const std::string base = text::to_lower(text::base_of(path));
    const bool st_index = text::iends_with(base, ".safetensors.index.json");
    if (text::iends_with(base, ".safetensors") || st_index) {
        WeightClass w;
        w.family = std::string(k_family_safetensors);
        w.variant = base.rfind("consolidated", 0) == 0 ? "consolidated" : "safetensors";
        w.index = st_index;
        return w;
    }
    if (base.rfind("pytorch_model", 0) == 0) {
        const bool pt_index = text::iends_with(base, ".bin.index.json");
        if (pt_index || text::iends_with(base, ".bin")) {
            WeightClass w;
            w.family = std::string(k_family_pytorch);
            w.variant = "pytorch";
            w.index = pt_index;
            return w;
        }
    }
    return std::nullopt;
}

bool is_ignored_name(std::string_view base) {
    const std::string low = text::to_lower(base);
    for (std::string_view prefix :
         {"readme", "license", "licence", "notice", "copying", "use_policy", "requirements"})
        if (low.rfind(prefix, 0) == 0)
            return true;
    constexpr std::array<std::string_view, 25> ignored_ext = {
        "md",  "markdown", "rst", "png",  "jpg", "jpeg", "gif", "webp",  "svg",
        "bmp", "ico",      "tif", "tiff", "pdf", "py",   "pyc", "ipynb", "sh",
        "bat", "ps1",      "js",  "ts",   "cpp", "h",    "html"};
    const std::string ext = text::to_lower(extension_of(base));
    return std::find(ignored_ext.begin(), ignored_ext.end(), ext) != ignored_ext.end();
}

// Config-like files fetched with every variant (when they sit at the root or beside weights).
bool is_common_name(std::string_view base) {
    const std::string low = text::to_lower(base);
    constexpr std::array<std::string_view, 11> names = {"config.json",
                                                        "tokenizer.json",
                                                        "tokenizer_config.json",
                                                        "generation_config.json",
                                                        "special_tokens_map.json",
                                                        "vocab.json",
                                                        "merges.txt",
                                                        "added_tokens.json",
                                                        "tokenizer.model",
                                                        "preprocessor_config.json",
                                                        "chat_template.jinja"};
    if (std::find(names.begin(), names.end(), low) != names.end())
        return true;
    if (low.rfind("tokenizer", 0) == 0)
        return true; // tokenizer.model.v3 (Mistral), ...
    constexpr std::array<std::string_view, 5> exts = {"json", "txt", "model", "jinja", "tiktoken"};
    const std::string ext = text::to_lower(extension_of(base));
    return std::find(exts.begin(), exts.end(), ext) != exts.end();
}

struct Builder {
    Variant v;
    std::map<std::string, std::uint64_t> graph_bytes;   // onnx graph -> graph + data bytes
    std::map<std::string, std::string> graph_component; // onnx graph -> component
    std::set<std::string> listed_graphs;                // graphs present in the listing
    std::map<std::string, std::pair<unsigned, std::set<unsigned>>> shards; // unit -> (N, indices)
    bool shard_mismatch = false;
    std::optional<std::string> index_path;
};

using Key = std::pair<int, std::string>;

void add_weight(Builder &b, const RepoFile &f, const WeightClass &w) {
    b.v.files.push_back(f.path);
    b.v.total_size += f.size;
    if (w.onnx) {
        b.graph_bytes[w.onnx->onnx_path] += f.size;
        b.graph_component.emplace(w.onnx->onnx_path, w.onnx->component);
        if (w.onnx->external_data) {
            b.v.has_external_data = true;
            b.v.external_data_size += f.size;
        } else {
            b.listed_graphs.insert(f.path);
        }
    }
    if (w.gguf && w.gguf->shard_count > 0) {
        auto &[count, indices] = b.shards[w.gguf->unit];
        if (count != 0 && count != w.gguf->shard_count)
            b.shard_mismatch = true;
        count = w.gguf->shard_count;
        indices.insert(w.gguf->shard_index);
    }
    if (w.index && (!b.index_path || f.path < *b.index_path))
        b.index_path = f.path;
}

std::string main_onnx_graph(const Builder &b) {
    if (b.listed_graphs.empty())
        return b.graph_bytes.empty() ? std::string{} : b.graph_bytes.begin()->first;
    for (std::string_view preferred :
         {"model", "decoder_model_merged", "decoder_model", "decoder_with_past_model"}) {
        for (const auto &graph : b.listed_graphs) // sorted: the first path wins a tie
            if (text::iequals(b.graph_component.at(graph), preferred))
                return graph;
    }
    const std::string *best = nullptr;
    for (const auto &graph : b.listed_graphs)
        if (!best || b.graph_bytes.at(graph) > b.graph_bytes.at(*best))
            best = &graph;
    return *best;
}

Variant finish(Builder b) {
    Variant v = std::move(b.v);
    std::sort(v.files.begin(), v.files.end());
    if (v.family == k_family_onnx) {
        v.onnx_paths.assign(b.listed_graphs.begin(), b.listed_graphs.end());
        v.main_path = main_onnx_graph(b);
        v.dtype = extension_dtype(v.main_path);
        for (const auto &[graph, bytes] : b.graph_bytes)
            if (!b.listed_graphs.count(graph))
                v.incomplete = true;
    } else if (v.family == k_family_gguf || v.family == k_family_mmproj) {
        v.main_path = v.files.front();
        if (auto gguf = parse_gguf_name(v.main_path))
            v.dtype = gguf->tag;
        v.incomplete = b.shard_mismatch;
        for (const auto &[unit, shard] : b.shards) {
            const auto &[count, indices] = shard;
            if (indices.size() != count || *indices.begin() != 1 || *indices.rbegin() != count)
                v.incomplete = true;
        }
    } else {
        v.main_path = b.index_path.value_or(v.files.front());
    }
    return v;
}

} // namespace

Grouping group_files(const std::vector<RepoFile> &files) {
    std::map<std::string, const RepoFile *> by_path; // dedupe + sort; the first listing wins
    for (const auto &f : files)
        by_path.emplace(f.path, &f);

    Grouping out;
    std::map<Key, Builder> builders;
    std::set<std::string, std::less<>> weight_dirs;
    std::map<std::string, Key, std::less<>> folder_variants; // folder-layout dir -> its variant
    std::vector<const RepoFile *> others;

    for (const auto &[path, file] : by_path) {
        if (is_hidden(path)) {
            out.ignored.push_back(path);
            continue;
        }
        auto weight = classify_weight(path);
        if (!weight) {
            others.push_back(file);
            continue;
        }
        Key key{family_rank(weight->family), weight->variant};
        Builder &b = builders[key];
        if (b.v.name.empty()) {
            b.v.name = weight->variant;
            b.v.family = weight->family;
        }
        add_weight(b, *file, *weight);
        const std::string dir(text::dir_of(path));
        weight_dirs.insert(dir);
        if (weight->onnx && weight->onnx->folder_layout)
            folder_variants.emplace(dir, key);
    }

    for (const RepoFile *file : others) {
        const std::string_view path = file->path;
        const std::string_view dir = text::dir_of(path);
        const std::string_view base = text::base_of(path);
        const bool placed = dir.empty() || weight_dirs.count(dir) != 0;
        if (is_ignored_name(base) || !is_common_name(base) || !placed) {
            out.ignored.push_back(file->path);
            continue;
        }
        if (auto it = folder_variants.find(dir); it != folder_variants.end()) {
            Builder &b = builders.at(it->second);
            b.v.files.push_back(file->path);
            b.v.total_size += file->size;
            continue;
        }
        out.common.push_back(file->path);
        out.common_size += file->size;
    }

    for (auto &[key, builder] : builders)
        out.variants.push_back(finish(std::move(builder)));
    std::sort(out.ignored.begin(), out.ignored.end());
    return out; // common is already in path order
}

std::optional<std::string> variant_of(std::string_view path) {
    if (is_hidden(path))
        return std::nullopt;
    if (auto weight = classify_weight(path))
        return weight->variant;
    return std::nullopt;
}

const Variant *find_variant(const Grouping &grouping, std::string_view name) {
    for (const auto &v : grouping.variants)
        if (v.name == name)
            return &v;
    auto unique = [&](auto &&pred) -> const Variant * {
        const Variant *hit = nullptr;
        for (const auto &v : grouping.variants) {
            if (!pred(v))
                continue;
            if (hit)
                return nullptr;
            hit = &v;
        }
        return hit;
    };
    if (auto *v = unique([&](const Variant &c) { return text::iequals(c.name, name); }))
        return v;
    if (auto *v = unique([&](const Variant &c) {
            return c.family == k_family_onnx && c.name.find('/') != std::string::npos &&
                   text::iequals(text::base_of(c.name), name);
        }))
        return v;
    return unique([&](const Variant &c) { return !name.empty() && c.main_path == name; });
}

std::vector<std::string> files_for_variant(const Grouping &grouping, std::string_view name) {
    const Variant *v = find_variant(grouping, name);
    if (!v)
        return {};
    std::vector<std::string> out = v->files;
    out.insert(out.end(), grouping.common.begin(), grouping.common.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace tabagent::model
