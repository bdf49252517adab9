#pragma once
// Grouping a repo's files into variants (DESIGN §6): every file is in exactly one variant, in
// `common` (fetched with every variant), or ignored. There is no catch-all variant.
//
// Decisions beyond the DESIGN table, pinned by tests/unit/model_variants_test.cpp:
// - Families: "onnx", "gguf", "mmproj", "safetensors", "pytorch".
// - ONNX: see parse_onnx_name (onnx_name.hpp). External data (".onnx_data", ".onnx_data_1",
//   ".onnx.data") joins the variant of its .onnx. In the folder layout (microsoft's genai
//   repos) the variant is named by its directory ("cpu_and_mobile/cpu-int4-rtn-block-32") and the
//   config/tokenizer files inside that directory belong to the variant, not to `common`: those
//   repos ship a complete, different set per folder. find_variant also accepts the last folder
//   segment ("cpu-int4-rtn-block-32") when it is unambiguous.
// - GGUF: the variant is the quant tag (gguf_name.hpp). All units with one tag form one variant
//   (shards "-0000i-of-0000N" and legacy "-split-a" parts included; a tagged file in a folder such
//   as unsloth's "BF16/" too). A GGUF without a tag is its own variant named by its stem without
//   the shard suffix ("tinyllama.gguf" -> "tinyllama"), so distinct untagged files never merge.
//   Projectors ("mmproj-*") form the "mmproj" family, variant "mmproj-<TAG>" ("mmproj-F16"), or
//   "mmproj" without a tag; they are not fetched with the language-model quants.
// - safetensors: every "*.safetensors" plus "*.safetensors.index.json" is variant
//   "safetensors", except Mistral's "consolidated*.safetensors" (a second copy of the same
//   weights), variant "consolidated".
// - pytorch: "pytorch_model*.bin" plus "pytorch_model.bin.index.json" is variant "pytorch". Other
//   frameworks' weights (tf_model.h5, flax_model.msgpack, rust_model.ot, *.pth, *.pt, *.ckpt,
//   *.tflite, openvino .xml/.bin, other *.bin) are ignored: no TabAgent runtime loads them.
// - common: the DESIGN list (config.json, tokenizer*, generation_config.json, ...), and other
//   .json, .txt, .model, .jinja, .tiktoken files, when they sit at the repo root or in a
//   directory holding weights. The same names elsewhere (e.g. meta-llama's "original/") are
//   ignored, so a variant download never pulls a second tokenizer from an unrelated folder.
// - ignored: hidden files and folders (.gitattributes, .github/), README*, LICENSE*/LICENCE*,
//   NOTICE*, USE_POLICY*, *.md, images, code (*.py, *.ipynb, *.sh, ...), requirements*.txt, and
//   anything not covered above (*.imatrix, training_args.bin, ...).
// - A variant is `incomplete` when its listing cannot be whole: external data whose .onnx is
//   missing, or GGUF shards missing from "-of-N".
#include "core/model/repo_file.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::model {

inline constexpr std::string_view k_family_onnx = "onnx";
inline constexpr std::string_view k_family_gguf = "gguf";
inline constexpr std::string_view k_family_mmproj = "mmproj";
inline constexpr std::string_view k_family_safetensors = "safetensors";
inline constexpr std::string_view k_family_pytorch = "pytorch";

struct Variant {
    std::string name;               // "q4f16", "Q4_K_M", "mmproj-F16", "safetensors", ...
    std::string family;             // one of the k_family_* names
    std::vector<std::string> files; // sorted paths; never includes the common files
    std::uint64_t total_size = 0;   // sum of `files`
    std::string dtype;              // onnx: extension_dtype(main_path); gguf/mmproj: the tag
                                    // (empty when untagged); otherwise empty
    bool has_external_data = false; // onnx only
    std::uint64_t external_data_size = 0;
    std::vector<std::string> onnx_paths; // sorted .onnx graphs of the variant (onnx only)
    // The file that names the variant in the extension dialect: onnx: the main graph (component
    // "model", else "decoder_model_merged", "decoder_model", "decoder_with_past_model", else the
    // graph with the most bytes incl. its data, ties by path); gguf/mmproj: the first file by
    // path (shard 1); safetensors/pytorch: the index json if listed, else the first file.
    std::string main_path;
    bool incomplete = false;
};

struct Grouping {
    std::vector<Variant> variants;   // sorted by family (onnx, gguf, mmproj, safetensors, pytorch),
                                     // then name
    std::vector<std::string> common; // sorted paths
    std::uint64_t common_size = 0;
    std::vector<std::string> ignored; // sorted paths
};

// Groups a listing (any order; duplicate paths are kept once). Deterministic.
Grouping group_files(const std::vector<RepoFile> &files);

// The variant a weight file belongs to, from its path alone (onnx graphs and data, gguf,
// safetensors, pytorch bins); nullopt for everything else. Config files inside a folder-layout
// variant need the listing: ask group_files.
std::optional<std::string> variant_of(std::string_view path);

// Finds a variant by name: exact, else case-insensitive ("q4_k_m" -> "Q4_K_M"), else the last
// segment of a folder-layout name, else the main_path ("onnx/model_q4f16.onnx"). nullptr when
// unknown or ambiguous.
const Variant *find_variant(const Grouping &grouping, std::string_view name);

// What download_quant fetches: the variant's files plus the common files, sorted, without
// duplicates. Empty when the variant is unknown (a variant always has at least one file).
std::vector<std::string> files_for_variant(const Grouping &grouping, std::string_view name);

} // namespace tabagent::model
