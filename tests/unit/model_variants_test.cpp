#include "core/model/gguf_name.hpp"
#include "core/model/onnx_name.hpp"
#include "core/model/variants.hpp"
#include "model_listings.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace tabagent::model;
using Paths = std::vector<std::string>;

namespace {

std::vector<RepoFile> listing(const Paths &paths, std::uint64_t size = 100) {
    std::vector<RepoFile> out;
    for (const auto &p : paths)
        out.push_back(RepoFile{p, size, "etag-" + p, false});
    return out;
}

Paths names(const Grouping &g) {
    Paths out;
    for (const auto &v : g.variants)
        out.push_back(v.name);
    return out;
}

const Variant &must_find(const Grouping &g, std::string_view name) {
    const Variant *v = find_variant(g, name);
    REQUIRE_MESSAGE(v != nullptr, "no variant " << name);
    return *v;
}

// Every path of the listing lands in exactly one of: a variant, common, ignored.
void check_partition(const std::vector<RepoFile> &files, const Grouping &g) {
    Paths seen;
    for (const auto &v : g.variants)
        seen.insert(seen.end(), v.files.begin(), v.files.end());
    seen.insert(seen.end(), g.common.begin(), g.common.end());
    seen.insert(seen.end(), g.ignored.begin(), g.ignored.end());
    std::sort(seen.begin(), seen.end());
    Paths all;
    for (const auto &f : files)
        all.push_back(f.path);
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    CHECK(seen == all);
}

} // namespace

// ---- DESIGN §6 table, row by row -------------------------------------------------------------

TEST_CASE("model: onnx/model.onnx and its .onnx_data are the fp32 variant") {
    auto files = listing({"onnx/model.onnx", "onnx/model.onnx_data"});
    auto g = group_files(files);
    REQUIRE(names(g) == Paths{"fp32"});
    const auto &v = g.variants[0];
    CHECK(v.files == Paths{"onnx/model.onnx", "onnx/model.onnx_data"});
    CHECK(v.family == "onnx");
    CHECK(v.dtype == "fp32");
    CHECK(v.has_external_data);
    CHECK(v.external_data_size == 100);
    CHECK(v.total_size == 200);
    CHECK(v.onnx_paths == Paths{"onnx/model.onnx"});
    CHECK(v.main_path == "onnx/model.onnx");
    CHECK_FALSE(v.incomplete);
    CHECK(variant_of("onnx/model.onnx") == "fp32");
    CHECK(variant_of("onnx/model.onnx_data") == "fp32");
}

TEST_CASE("model: model_q4f16.onnx with _data and .onnx_data_1 is one q4f16 variant") {
    auto files = listing(
        {"onnx/model_q4f16.onnx", "onnx/model_q4f16.onnx_data", "onnx/model_q4f16.onnx_data_1"});
    auto g = group_files(files);
    REQUIRE(names(g) == Paths{"q4f16"});
    CHECK(g.variants[0].files.size() == 3);
    CHECK(g.variants[0].external_data_size == 200);
    CHECK(g.variants[0].onnx_paths == Paths{"onnx/model_q4f16.onnx"});
    CHECK(variant_of("onnx/model_q4f16.onnx_data_1") == "q4f16");
    // The ".onnx.data" spelling (microsoft, optimum) joins its graph too.
    CHECK(variant_of("onnx/model_fp16.onnx.data") == "fp16");
    auto parsed = parse_onnx_name("onnx/model_fp16.onnx.data");
    REQUIRE(parsed);
    CHECK(parsed->onnx_path == "onnx/model_fp16.onnx");
    CHECK(parsed->external_data);
    CHECK_FALSE(parse_onnx_name("onnx/model.onnx_dat"));
    CHECK_FALSE(parse_onnx_name("onnx/model.onnx_data_x"));
    CHECK_FALSE(parse_onnx_name("notes/onnx.txt"));
}

TEST_CASE("model: encoder and decoder_model_merged of one dtype form one q4 unit") {
    auto files = listing({"onnx/decoder_model_merged_q4.onnx", "onnx/encoder_model_q4.onnx"});
    auto g = group_files(files);
    REQUIRE(names(g) == Paths{"q4"});
    CHECK(g.variants[0].onnx_paths ==
          Paths{"onnx/decoder_model_merged_q4.onnx", "onnx/encoder_model_q4.onnx"});
    CHECK(g.variants[0].main_path == "onnx/decoder_model_merged_q4.onnx");
}

TEST_CASE("model: model_quantized.onnx is quantized, not fp32") {
    CHECK(variant_of("onnx/model_quantized.onnx") == "quantized");
    auto g = group_files(listing({"onnx/model.onnx", "onnx/model_quantized.onnx"}));
    CHECK(names(g) == Paths{"fp32", "quantized"});
    CHECK(must_find(g, "quantized").dtype == "quantized");
    CHECK(must_find(g, "quantized").files == Paths{"onnx/model_quantized.onnx"});
}

TEST_CASE("model: int8, uint8, bnb4 and fp16 suffixes name their variants") {
    CHECK(variant_of("model_int8.onnx") == "int8");
    CHECK(variant_of("model_uint8.onnx") == "uint8");
    CHECK(variant_of("model_bnb4.onnx") == "bnb4");
    CHECK(variant_of("model_fp16.onnx") == "fp16");
    CHECK(variant_of("onnx/model_q8.onnx") == "q8");
    CHECK(variant_of("onnx/model_fp32.onnx") == "fp32");
    CHECK(variant_of("model.onnx") == "fp32");
    auto g = group_files(
        listing({"model_int8.onnx", "model_uint8.onnx", "model_bnb4.onnx", "model_fp16.onnx"}));
    CHECK(names(g) == Paths{"bnb4", "fp16", "int8", "uint8"});
    CHECK(must_find(g, "uint8").dtype == "uint8");
    CHECK(must_find(g, "int8").dtype == "int8");
}

TEST_CASE("model: the three GGUF spellings of Q4_K_M are one tag") {
    CHECK(variant_of("model-Q4_K_M.gguf") == "Q4_K_M");
    CHECK(variant_of("Phi-3.5-mini-instruct.Q4_K_M.gguf") == "Q4_K_M");
    CHECK(variant_of("qwen2.5-1.5b-instruct-q4_k_m.gguf") == "Q4_K_M");
    auto g = group_files(listing({"model-Q4_K_M.gguf"}));
    REQUIRE(names(g) == Paths{"Q4_K_M"});
    CHECK(g.variants[0].family == "gguf");
    CHECK(g.variants[0].dtype == "Q4_K_M");
    CHECK(g.variants[0].main_path == "model-Q4_K_M.gguf");
}

TEST_CASE("model: split GGUF shards are one Q8_0 unit") {
    auto files = listing(
        {"X-Q8_0-00001-of-00003.gguf", "X-Q8_0-00002-of-00003.gguf", "X-Q8_0-00003-of-00003.gguf"});
    auto g = group_files(files);
    REQUIRE(names(g) == Paths{"Q8_0"});
    CHECK(g.variants[0].files.size() == 3);
    CHECK(g.variants[0].total_size == 300);
    CHECK(g.variants[0].main_path == "X-Q8_0-00001-of-00003.gguf");
    CHECK_FALSE(g.variants[0].incomplete);
    auto name = parse_gguf_name("X-Q8_0-00002-of-00003.gguf");
    REQUIRE(name);
    CHECK(name->shard_index == 2);
    CHECK(name->shard_count == 3);
    CHECK(name->stem == "X-Q8_0");
    SUBCASE("a missing shard makes the variant incomplete") {
        auto g2 =
            group_files(listing({"X-Q8_0-00001-of-00003.gguf", "X-Q8_0-00003-of-00003.gguf"}));
        REQUIRE(g2.variants.size() == 1);
        CHECK(g2.variants[0].incomplete);
    }
}

TEST_CASE("model: safetensors shards plus their index are one unit") {
    auto files = listing({"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                          "model.safetensors.index.json", "config.json"});
    auto g = group_files(files);
    REQUIRE(names(g) == Paths{"safetensors"});
    CHECK(g.variants[0].files == Paths{"model-00001-of-00002.safetensors",
                                       "model-00002-of-00002.safetensors",
                                       "model.safetensors.index.json"});
    CHECK(g.variants[0].main_path == "model.safetensors.index.json");
    CHECK(g.common == Paths{"config.json"});
    CHECK(variant_of("model.safetensors") == "safetensors");
}

TEST_CASE("model: the DESIGN list of config and tokenizer files is common") {
    Paths common = {"added_tokens.json",       "chat_template.jinja", "config.json",
                    "generation_config.json",  "merges.txt",          "preprocessor_config.json",
                    "special_tokens_map.json", "tokenizer.json",      "tokenizer.model",
                    "tokenizer_config.json",   "vocab.json"};
    Paths all = common;
    all.push_back("onnx/model.onnx");
    auto files = listing(all);
    auto g = group_files(files);
    CHECK(g.common == common);
    CHECK(g.common_size == 100 * common.size());
    CHECK(g.ignored.empty());
    for (const auto &p : common)
        CHECK_FALSE(variant_of(p));
}

TEST_CASE("model: other json/txt/model/jinja at the root or beside the weights are common") {
    auto files = listing({"normalizer.json", "vocab.txt", "spiece.model", "tool_use.jinja",
                          "quantize_config.json", "onnx/model.onnx", "onnx/extra_config.json",
                          "qwen.tiktoken", "tokenizer.model.v3",
                          // not beside weights: a folder without weights
                          "original/params.json", "original/tokenizer.model", "docs/notes.txt"});
    auto g = group_files(files);
    CHECK(g.common == Paths{"normalizer.json", "onnx/extra_config.json", "quantize_config.json",
                            "qwen.tiktoken", "spiece.model", "tokenizer.model.v3", "tool_use.jinja",
                            "vocab.txt"});
    CHECK(g.ignored == Paths{"docs/notes.txt", "original/params.json", "original/tokenizer.model"});
}

TEST_CASE("model: README, LICENSE, markdown, .gitattributes, images and code are in no variant") {
    auto files = listing({"README.md",
                          "README",
                          "LICENSE",
                          "LICENSE.txt",
                          "LICENCE",
                          "NOTICE",
                          "Notice",
                          "USE_POLICY.md",
                          "SECURITY.md",
                          ".gitattributes",
                          ".gitignore",
                          ".github/workflows/ci.yml",
                          "banner.png",
                          "assets/logo.jpg",
                          "arch.svg",
                          "modeling_phi3.py",
                          "configuration_phi3.py",
                          "demo.ipynb",
                          "run.sh",
                          "requirements.txt",
                          "model.imatrix",
                          "training_args.bin",
                          "tf_model.h5",
                          "flax_model.msgpack",
                          "rust_model.ot",
                          "original/consolidated.00.pth",
                          "onnx/model.onnx"});
    auto g = group_files(files);
    CHECK(names(g) == Paths{"fp32"});
    CHECK(g.common.empty());
    CHECK(g.ignored.size() == files.size() - 1);
    check_partition(files, g);
    CHECK_FALSE(variant_of("README.md"));
    CHECK_FALSE(variant_of("banner.png"));
    CHECK_FALSE(variant_of(".cache/model.onnx"));
}

TEST_CASE("model: there is no catch-all variant") {
    auto files = listing({"weird.bin", "data/file.dat", "config.json", "notes.xyz"});
    auto g = group_files(files);
    CHECK(g.variants.empty());
    CHECK(g.common == Paths{"config.json"});
    CHECK(g.ignored == Paths{"data/file.dat", "notes.xyz", "weird.bin"});
    CHECK(files_for_variant(g, "fp32").empty());
}

// ---- GGUF tags --------------------------------------------------------------------------------

TEST_CASE("model: every GGUF tag of DESIGN §6 is recognised in every spelling") {
    const Paths tags = {"Q2_K",   "Q3_K_S", "Q3_K_M", "Q3_K_L",  "Q3_K_XL", "Q4_0",   "Q4_1",
                        "Q4_K_S", "Q4_K_M", "Q4_K_L", "Q5_0",    "Q5_1",    "Q5_K_S", "Q5_K_M",
                        "Q5_K_L", "Q6_K",   "Q6_K_L", "Q8_0",    "IQ1_S",   "IQ1_M",  "IQ2_XXS",
                        "IQ2_XS", "IQ2_S",  "IQ2_M",  "IQ3_XXS", "IQ3_XS",  "IQ3_S",  "IQ3_M",
                        "IQ4_XS", "IQ4_NL", "F16",    "BF16",    "F32",     "TQ1_0",  "TQ2_0"};
    for (const auto &tag : tags) {
        CAPTURE(tag);
        std::string low = tag;
        std::transform(low.begin(), low.end(), low.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        CHECK(is_gguf_quant_tag(tag));
        CHECK(variant_of("Llama-3.2-3B-Instruct-" + tag + ".gguf") == tag);
        CHECK(variant_of("llama-2-7b." + tag + ".gguf") == tag);
        CHECK(variant_of("qwen2.5-1.5b-instruct-" + low + ".gguf") == tag);
        CHECK(variant_of("sub/dir/Model-" + tag + "-00002-of-00004.gguf") == tag);
    }
}

TEST_CASE("model: newer tags of the same shape are recognised, other tokens are not") {
    for (const char *tag : {"Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "IQ4_NL_4_4", "Q4_K_XL", "Q8_K_XL",
                            "Q2_K_L", "TQ3_1", "Q4", "q6_k", "bf16", "iq2_xxs"})
        CHECK_MESSAGE(is_gguf_quant_tag(tag), tag);
    for (const char *token :
         {"Instruct", "3B", "Q", "IQ", "Q4_", "Q_4", "F8", "FP16", "fp16", "TQ1", "TQ10_0", "Q4__K",
          "mmproj", "", "v0", "QQ4", "IIQ4_XS", "Q4-K", "Q4_K_M!"})
        CHECK_FALSE_MESSAGE(is_gguf_quant_tag(token), token);
}

TEST_CASE("model: the tag is the last matching '-'/'.' token of the stem") {
    CHECK(gguf_quant_tag("Llama-3.2-3B-Instruct-Q4_0_4_4") == "Q4_0_4_4");
    CHECK(gguf_quant_tag("Qwen3-8B-UD-Q4_K_XL") == "Q4_K_XL");
    CHECK(gguf_quant_tag("Model-Q4_K_M-imat") == "Q4_K_M");
    CHECK(gguf_quant_tag("model-f16") == "F16");
    CHECK_FALSE(gguf_quant_tag("tinyllama"));
    CHECK_FALSE(gguf_quant_tag("Mistral-7B-Instruct-v0.3.fp16"));
    CHECK_FALSE(gguf_quant_tag("model_q4_k_m")); // '_' is not a separator
}

TEST_CASE("model: GGUF files without a tag are a variant named by their stem") {
    auto g = group_files(listing(
        {"tinyllama.gguf", "ggml-model-00001-of-00002.gguf", "ggml-model-00002-of-00002.gguf"}));
    CHECK(names(g) == Paths{"ggml-model", "tinyllama"});
    CHECK(must_find(g, "ggml-model").files.size() == 2);
    CHECK(must_find(g, "tinyllama").dtype.empty());
}

TEST_CASE("model: legacy '.gguf-split-a' parts form one unit") {
    auto g = group_files(listing({"llama-2-70b.Q8_0.gguf-split-a", "llama-2-70b.Q8_0.gguf-split-b",
                                  "llama-2-70b.Q4_K_M.gguf"}));
    CHECK(names(g) == Paths{"Q4_K_M", "Q8_0"});
    CHECK(must_find(g, "Q8_0").files.size() == 2);
    CHECK(is_gguf_path("x.gguf.part1of2"));
    CHECK_FALSE(is_gguf_path("x.gguf.json"));
    CHECK_FALSE(is_gguf_path("gguf"));
}

TEST_CASE("model: mmproj files are their own family") {
    auto g = group_files(listing({"mmproj-model-f16.gguf", "mmproj-F32.gguf", "mmproj.gguf",
                                  "Model-F16.gguf", "model-mmproj-q8_0.gguf"}));
    CHECK(names(g) == Paths{"F16", "mmproj", "mmproj-F16", "mmproj-F32", "mmproj-Q8_0"});
    CHECK(must_find(g, "mmproj-F16").family == "mmproj");
    CHECK(must_find(g, "mmproj-F16").files == Paths{"mmproj-model-f16.gguf"});
    CHECK(must_find(g, "F16").files == Paths{"Model-F16.gguf"});
    CHECK(variant_of("mmproj-model-f16.gguf") == "mmproj-F16");
}

// ---- lookup -----------------------------------------------------------------------------------

TEST_CASE("model: variant lookup is case-insensitive and files_for_variant adds common") {
    auto g =
        group_files(listing({"Model-Q4_K_M.gguf", "Model-Q8_0.gguf", "config.json", "README.md"}));
    CHECK(must_find(g, "q4_k_m").name == "Q4_K_M");
    CHECK(must_find(g, "Model-Q4_K_M.gguf").name == "Q4_K_M"); // by main path
    CHECK(find_variant(g, "Q5_K_M") == nullptr);
    CHECK(files_for_variant(g, "q8_0") == Paths{"Model-Q8_0.gguf", "config.json"});
    CHECK(files_for_variant(g, "nope").empty());
    SUBCASE("an exact match wins over a case-insensitive one; two loose matches are ambiguous") {
        auto g2 = group_files(listing({"model_q4.onnx", "x-Q4.gguf", "y.Q4_K_M.gguf"}));
        CHECK(names(g2) == Paths{"q4", "Q4", "Q4_K_M"});
        CHECK(must_find(g2, "q4").family == "onnx");
        CHECK(must_find(g2, "Q4").family == "gguf");
        CHECK(find_variant(g2, "") == nullptr);
        auto g3 = group_files(listing({"onnx/model_Int4.onnx", "onnx/model_INT4.onnx"}));
        CHECK(names(g3) == Paths{"INT4", "Int4"});
        CHECK(find_variant(g3, "int4") == nullptr);
        CHECK(must_find(g3, "Int4").files == Paths{"onnx/model_Int4.onnx"});
    }
}

TEST_CASE("model: duplicate paths in a listing are kept once, grouping is order-independent") {
    auto a = listing({"onnx/model_q4.onnx", "config.json", "onnx/model.onnx", "config.json"});
    auto b = listing({"onnx/model.onnx", "config.json", "onnx/model_q4.onnx"});
    auto ga = group_files(a);
    auto gb = group_files(b);
    CHECK(names(ga) == names(gb));
    CHECK(ga.common == Paths{"config.json"});
    CHECK(ga.variants[0].files == gb.variants[0].files);
}

TEST_CASE("model: ONNX suffixes outside the transformers.js dtypes") {
    CHECK(variant_of("onnx/model_O4.onnx") == "O4");
    CHECK(variant_of("onnx/model_qint8_avx512_vnni.onnx") == "qint8_avx512_vnni");
    CHECK(variant_of("onnx/decoder_model_merged.onnx") == "fp32");
    CHECK(variant_of("onnx/decoder_with_past_model.onnx") == "fp32");
    CHECK(variant_of("onnx/text_encoder_model.onnx") == "fp32"); // unknown component, no digit
    CHECK(variant_of("onnx/vision_encoder_q4f16.onnx") == "q4f16");
    CHECK(variant_of("onnx/gen_head_Q4F16.onnx") == "q4f16"); // known dtype: lower-cased
    CHECK(extension_dtype("onnx/model_qint8_avx512.onnx") == "int8");
    CHECK(extension_dtype("onnx/model_uint8.onnx") == "uint8");
    CHECK(extension_dtype("onnx/model_O4.onnx") == "fp32");
    CHECK(extension_dtype("cuda/cuda-fp16/phi3-mini-4k-instruct-cuda-fp16.onnx") == "fp16");
    CHECK(extension_dtype("onnx/model_q4f16.onnx") == "q4f16");
    CHECK(extension_dtype("onnx/model_bnb4.onnx") == "bnb4");
}

TEST_CASE("model: external data without its graph makes the variant incomplete") {
    auto g = group_files(listing({"onnx/model_fp16.onnx_data", "onnx/model.onnx"}));
    CHECK(must_find(g, "fp16").incomplete);
    CHECK(must_find(g, "fp16").main_path == "onnx/model_fp16.onnx");
    CHECK(must_find(g, "fp16").onnx_paths.empty());
    CHECK_FALSE(must_find(g, "fp32").incomplete);
}

// ---- realistic repos --------------------------------------------------------------------------

TEST_CASE("model: onnx-community Qwen2.5-0.5B-Instruct groups one variant per dtype") {
    auto l = listings::qwen_onnx();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"bnb4", "fp16", "fp32", "int8", "q4", "q4f16", "quantized", "uint8"});
    CHECK(must_find(g, "fp32").files == Paths{"onnx/model.onnx", "onnx/model.onnx_data"});
    CHECK(must_find(g, "fp32").external_data_size == 1976 * listings::k_mib);
    CHECK(must_find(g, "q4f16").files == Paths{"onnx/model_q4f16.onnx"});
    CHECK_FALSE(must_find(g, "q4f16").has_external_data);
    CHECK(g.common == Paths{"added_tokens.json", "config.json", "generation_config.json",
                            "merges.txt", "special_tokens_map.json", "tokenizer.json",
                            "tokenizer_config.json", "vocab.json"});
    CHECK(g.ignored == Paths{".gitattributes", "README.md"});
    auto fetch = files_for_variant(g, "q4f16");
    CHECK(fetch.size() == 9);
    CHECK(std::find(fetch.begin(), fetch.end(), "onnx/model_q4f16.onnx") != fetch.end());
    CHECK(std::find(fetch.begin(), fetch.end(), "tokenizer.json") != fetch.end());
    CHECK(std::find(fetch.begin(), fetch.end(), "onnx/model_q4.onnx") == fetch.end());
}

TEST_CASE("model: Xenova whisper-tiny joins its four graphs per dtype") {
    auto l = listings::whisper_tiny();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"bnb4", "fp16", "fp32", "int8", "q4", "q4f16", "quantized", "uint8"});
    const auto &q4 = must_find(g, "q4");
    CHECK(q4.files == Paths{"onnx/decoder_model_merged_q4.onnx", "onnx/decoder_model_q4.onnx",
                            "onnx/decoder_with_past_model_q4.onnx", "onnx/encoder_model_q4.onnx"});
    CHECK(q4.onnx_paths == q4.files);
    CHECK(q4.main_path == "onnx/decoder_model_merged_q4.onnx");
    CHECK(must_find(g, "fp32").main_path == "onnx/decoder_model_merged.onnx");
    CHECK(must_find(g, "fp32").files.size() == 4);
    CHECK(must_find(g, "quantized").dtype == "quantized");
    CHECK(g.common.size() == 12); // normalizer.json, quant configs and preprocessor included
    CHECK(std::find(g.common.begin(), g.common.end(), "normalizer.json") != g.common.end());
    CHECK(std::find(g.common.begin(), g.common.end(), "preprocessor_config.json") !=
          g.common.end());
}

TEST_CASE("model: Xenova distilbert has fp32 and quantized, vocab.txt is common") {
    auto l = listings::distilbert();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"fp32", "quantized"});
    CHECK(g.common == Paths{"config.json", "quantize_config.json", "special_tokens_map.json",
                            "tokenizer.json", "tokenizer_config.json", "vocab.txt"});
}

TEST_CASE("model: microsoft Phi-3 ONNX folders are variants that own their configs") {
    auto l = listings::phi3_onnx();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"cpu_and_mobile/cpu-int4-rtn-block-32",
                            "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4", "cuda/cuda-fp16",
                            "cuda/cuda-int4-rtn-block-32", "directml/directml-int4-awq-block-128"});
    CHECK(g.common.empty());
    CHECK(g.ignored == Paths{".gitattributes", "LICENSE", "README.md"});
    const auto &cpu = must_find(g, "cpu-int4-rtn-block-32"); // last segment is enough
    CHECK(cpu.name == "cpu_and_mobile/cpu-int4-rtn-block-32");
    CHECK(cpu.files.size() == 9);
    CHECK(std::find(cpu.files.begin(), cpu.files.end(),
                    "cpu_and_mobile/cpu-int4-rtn-block-32/genai_config.json") != cpu.files.end());
    CHECK(cpu.main_path ==
          "cpu_and_mobile/cpu-int4-rtn-block-32/phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx");
    CHECK(cpu.has_external_data);
    CHECK(cpu.dtype == "fp32"); // int4 is not in the extension's dtype list
    CHECK(must_find(g, "cuda-fp16").dtype == "fp16");
    CHECK(must_find(g, "directml-int4-awq-block-128").main_path ==
          "directml/directml-int4-awq-block-128/model.onnx");
    // Config files never leak from one folder into another variant.
    auto fetch = files_for_variant(g, "cuda/cuda-fp16");
    CHECK(fetch.size() == 9);
    for (const auto &f : fetch)
        CHECK(f.rfind("cuda/cuda-fp16/", 0) == 0);
    CHECK(variant_of("cuda/cuda-fp16/phi3-mini-4k-instruct-cuda-fp16.onnx.data") ==
          "cuda/cuda-fp16");
}

TEST_CASE("model: bartowski Llama-3.2-3B GGUF has one variant per tag") {
    auto l = listings::bartowski_llama();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    Paths expected = {"F16",     "IQ3_M",  "IQ4_XS",   "Q2_K",     "Q2_K_L",   "Q3_K_L", "Q3_K_M",
                      "Q3_K_XL", "Q4_0",   "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "Q4_K_L", "Q4_K_M",
                      "Q4_K_S",  "Q5_K_L", "Q5_K_M",   "Q5_K_S",   "Q6_K",     "Q6_K_L", "Q8_0"};
    CHECK(names(g) == expected);
    CHECK(must_find(g, "Q8_0").files == Paths{"Llama-3.2-3B-Instruct-Q8_0.gguf"});
    CHECK(must_find(g, "f16").files == Paths{"Llama-3.2-3B-Instruct-f16.gguf"});
    CHECK(must_find(g, "Q4_0").files == Paths{"Llama-3.2-3B-Instruct-Q4_0.gguf"});
    CHECK(g.common.empty());
    CHECK(g.ignored == Paths{".gitattributes", "Llama-3.2-3B-Instruct.imatrix", "README.md"});
}

TEST_CASE("model: unsloth UD quants and a BF16 split in a folder") {
    auto l = listings::unsloth_qwen3();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"BF16", "IQ1_S", "Q4_K_M", "Q4_K_XL", "Q8_0"});
    const auto &bf16 = must_find(g, "bf16");
    CHECK(bf16.files == Paths{"BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf",
                              "BF16/Qwen3-30B-A3B-BF16-00002-of-00002.gguf"});
    CHECK(bf16.total_size == 61 * listings::k_gib);
    CHECK_FALSE(bf16.incomplete);
    CHECK(must_find(g, "Q4_K_XL").files == Paths{"Qwen3-30B-A3B-UD-Q4_K_XL.gguf"});
    CHECK(g.common == Paths{"config.json"});
    CHECK(g.ignored == Paths{".gitattributes", "README.md", "imatrix_unsloth.dat"});
}

TEST_CASE("model: MaziyarPanahi dotted tags; '.fp16' is no tag and keeps its stem") {
    auto l = listings::maziyar_mistral();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"IQ1_M", "IQ1_S", "IQ2_XS", "IQ3_XS", "IQ4_XS",
                            "Mistral-7B-Instruct-v0.3.fp16", "Q2_K", "Q3_K_L", "Q3_K_M", "Q3_K_S",
                            "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q6_K", "Q8_0"});
    CHECK(must_find(g, "Q4_K_M").files == Paths{"Mistral-7B-Instruct-v0.3.Q4_K_M.gguf"});
}

TEST_CASE("model: TheBloke Llama-2 GGUF keeps config.json common and drops license files") {
    auto l = listings::thebloke_llama2();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(g.variants.size() == 12);
    CHECK(must_find(g, "q4_k_m").files == Paths{"llama-2-7b.Q4_K_M.gguf"});
    CHECK(g.common == Paths{"config.json"});
    CHECK(g.ignored ==
          Paths{".gitattributes", "LICENSE.txt", "Notice", "README.md", "USE_POLICY.md"});
    CHECK(files_for_variant(g, "Q5_0") == Paths{"config.json", "llama-2-7b.Q5_0.gguf"});
}

TEST_CASE("model: ggml-org lower-case names and a generic mmproj") {
    auto l = listings::ggml_org_qwen();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"F16", "Q4_K_M", "Q8_0", "mmproj-F16"});
    CHECK(must_find(g, "Q4_K_M").files == Paths{"qwen2.5-1.5b-instruct-q4_k_m.gguf"});
    CHECK(must_find(g, "mmproj-f16").files == Paths{"mmproj-model-f16.gguf"});
    CHECK(must_find(g, "mmproj-F16").dtype == "F16");
    // A projector is not fetched with a language-model quant.
    CHECK(files_for_variant(g, "F16") == Paths{"qwen2.5-1.5b-instruct-f16.gguf"});
}

TEST_CASE("model: safetensors shard repos; original/ is ignored") {
    auto l = listings::llama_safetensors();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"safetensors"});
    CHECK(must_find(g, "safetensors").files.size() == 3);
    CHECK(g.common == Paths{"config.json", "generation_config.json", "special_tokens_map.json",
                            "tokenizer.json", "tokenizer_config.json"});
    CHECK(g.ignored == Paths{".gitattributes", "LICENSE.txt", "README.md", "USE_POLICY.md",
                             "original/consolidated.00.pth", "original/params.json",
                             "original/tokenizer.model"});
}

TEST_CASE("model: Mistral's consolidated copy is a variant of its own") {
    auto l = listings::mistral_safetensors();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"consolidated", "safetensors"});
    CHECK(must_find(g, "consolidated").files == Paths{"consolidated.safetensors"});
    CHECK(must_find(g, "safetensors").files.size() == 4);
    CHECK(must_find(g, "safetensors").family == "safetensors");
    CHECK(g.common == Paths{"config.json", "generation_config.json", "params.json",
                            "special_tokens_map.json", "tokenizer.json", "tokenizer.model",
                            "tokenizer.model.v3", "tokenizer_config.json"});
}

TEST_CASE("model: tiny-random-gpt2 has safetensors and pytorch, other frameworks ignored") {
    auto l = listings::tiny_random_gpt2();
    auto g = group_files(l.files);
    check_partition(l.files, g);
    CHECK(names(g) == Paths{"safetensors", "pytorch"});
    CHECK(must_find(g, "pytorch").files == Paths{"pytorch_model.bin"});
    CHECK(must_find(g, "pytorch").family == "pytorch");
    CHECK(g.ignored == Paths{".gitattributes", "flax_model.msgpack", "tf_model.h5"});
    CHECK(variant_of("pytorch_model-00001-of-00002.bin") == "pytorch");
    CHECK(variant_of("pytorch_model.bin.index.json") == "pytorch");
}
