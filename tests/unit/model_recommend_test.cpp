#include "core/model/recommend.hpp"
#include "core/model/variants.hpp"
#include "model_listings.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace tabagent::model;
using Paths = std::vector<std::string>;

namespace {

std::vector<RepoFile> files_of(const Paths &paths, std::uint64_t size = 1000) {
    std::vector<RepoFile> out;
    for (const auto &p : paths)
        out.push_back(RepoFile{p, size, "e", false});
    return out;
}

} // namespace

TEST_CASE(
    "model: ONNX recommendation follows q4f16 > q4 > int8 > uint8 > fp16 > fp32 > bnb4 > q8") {
    const Paths order = {"q4f16", "q4", "int8", "uint8", "fp16", "fp32", "bnb4", "q8"};
    // Remove the best one at a time: the next one in the order must win.
    for (std::size_t first = 0; first < order.size(); ++first) {
        Paths paths;
        for (std::size_t i = first; i < order.size(); ++i)
            paths.push_back("onnx/model_" + order[i] + ".onnx");
        paths.push_back("onnx/model_quantized.onnx");
        auto g = group_files(files_of(paths));
        CAPTURE(first);
        CHECK(recommend(g) == order[first]);
    }
    auto g =
        group_files(files_of({"onnx/model_q8.onnx", "onnx/model_quantized.onnx",
                              "onnx/model_O4.onnx", "onnx/model_bnb4.onnx", "onnx/model.onnx"}));
    CHECK(rank_variants(g) == Paths{"fp32", "bnb4", "q8", "O4", "quantized"});
    CHECK(recommend(group_files(files_of({"onnx/model_quantized.onnx", "onnx/model_O4.onnx"}))) ==
          "O4"); // others by name (byte order: upper case first)
}

TEST_CASE("model: GGUF recommendation follows Q4_K_M > Q4_K_S > Q5_K_M > Q8_0 > ...") {
    auto bartowski = group_files(listings::bartowski_llama().files);
    CHECK(recommend(bartowski) == "Q4_K_M");
    CHECK(rank_variants(bartowski) ==
          Paths{"Q4_K_M", "Q4_K_S", "Q5_K_M",  "Q8_0",     "Q5_K_S",   "Q6_K",     "Q4_0",
                "IQ4_XS", "Q4_K_L", "Q5_K_L",  "Q6_K_L",   "Q3_K_L",   "Q3_K_M",   "IQ3_M",
                "Q2_K",   "Q2_K_L", "Q3_K_XL", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "F16"});
    auto without = [](const Paths &tags) {
        Paths paths;
        for (const auto &t : tags)
            paths.push_back("M-" + t + ".gguf");
        return recommend(group_files(files_of(paths)));
    };
    CHECK(without({"Q4_K_S", "Q5_K_M", "Q8_0", "F16"}) == "Q4_K_S");
    CHECK(without({"Q5_K_M", "Q8_0", "F16"}) == "Q5_K_M");
    CHECK(without({"Q8_0", "Q6_K", "F16"}) == "Q8_0");
    CHECK(without({"IQ2_XXS", "IQ1_S", "Q2_K"}) == "Q2_K");
    CHECK(without({"F32", "BF16", "F16"}) == "F16");
    CHECK(without({"F32", "Q4_K_XL"}) == "Q4_K_XL"); // unlisted tags before full precision
    CHECK(recommend(group_files(listings::maziyar_mistral().files)) == "Q4_K_M");
    CHECK(recommend(group_files(listings::ggml_org_qwen().files)) == "Q4_K_M");
    CHECK(recommend(group_files(listings::unsloth_qwen3().files)) == "Q4_K_M");
    CHECK(recommend(group_files(listings::thebloke_llama2().files)) == "Q4_K_M");
}

TEST_CASE("model: untagged GGUF files come last, after full precision") {
    auto g = group_files(files_of({"tiny.gguf", "M-F32.gguf"}));
    CHECK(rank_variants(g) == Paths{"F32", "tiny"});
    CHECK(recommend(group_files(files_of({"tiny.gguf"}))) == "tiny");
}

TEST_CASE("model: ONNX wins over GGUF when a repo has both") {
    auto g = group_files(files_of({"onnx/model_fp32.onnx", "M-Q4_K_M.gguf"}));
    CHECK(recommend(g) == "fp32");
    CHECK(rank_variants(g) == Paths{"fp32", "Q4_K_M"});
}

TEST_CASE("model: server-only ONNX variants rank after every GGUF variant") {
    std::vector<RepoFile> files = {
        {"onnx/model_q4f16.onnx", 1000, "e", true},
        {"onnx/model_q4f16.onnx_data", k_default_server_only_limit + 1, "e", true},
        {"onnx/model_fp16.onnx", 1000, "e", true},
        {"onnx/model_fp16.onnx_data", k_default_server_only_limit, "e", true},
        {"M-F32.gguf", 1000, "e", true}};
    auto g = group_files(files);
    CHECK(is_server_only(*find_variant(g, "q4f16")));
    CHECK_FALSE(is_server_only(*find_variant(g, "fp16"))); // exactly at the limit is fine
    CHECK(rank_variants(g) == Paths{"fp16", "F32", "q4f16"});
    // The limit is a parameter.
    CHECK(recommend(g, {k_default_server_only_limit + 1}) == "q4f16");
    CHECK(recommend(g, {10}) == "F32");
    CHECK_FALSE(is_server_only(*find_variant(g, "F32"), 0)); // GGUF is never server-only
}

TEST_CASE("model: the realistic ONNX repos recommend their best browser variant") {
    CHECK(recommend(group_files(listings::qwen_onnx().files)) == "q4f16");
    CHECK(recommend(group_files(listings::whisper_tiny().files)) == "q4f16");
    CHECK(recommend(group_files(listings::distilbert().files)) == "fp32");
    // Folder-layout names sort by name; only the DirectML folder keeps its external data under
    // 2.1 GiB, every other folder is server-only and ranks after it.
    auto phi = group_files(listings::phi3_onnx().files);
    CHECK(recommend(phi) == "directml/directml-int4-awq-block-128");
    CHECK(rank_variants(phi) == Paths{"directml/directml-int4-awq-block-128",
                                      "cpu_and_mobile/cpu-int4-rtn-block-32",
                                      "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4",
                                      "cuda/cuda-fp16", "cuda/cuda-int4-rtn-block-32"});
    CHECK(recommend(phi, {3 * listings::k_gib}) == "cpu_and_mobile/cpu-int4-rtn-block-32");
}

TEST_CASE("model: nothing recommendable gives nullopt") {
    CHECK_FALSE(recommend(group_files(listings::llama_safetensors().files)));
    CHECK_FALSE(recommend(group_files(listings::tiny_random_gpt2().files)));
    CHECK_FALSE(recommend(group_files(files_of({"mmproj-model-f16.gguf", "README.md"}))));
    CHECK_FALSE(recommend(group_files({})));
    // Incomplete variants are skipped.
    auto g = group_files(files_of({"M-Q4_K_M-00001-of-00002.gguf", "M-Q8_0.gguf"}));
    CHECK(recommend(g) == "Q8_0");
    auto orphan = group_files(files_of({"onnx/model_q4f16.onnx_data", "onnx/model_q4.onnx"}));
    CHECK(recommend(orphan) == "q4");
}

TEST_CASE("model: recommendation does not depend on listing order") {
    auto files = listings::bartowski_llama().files;
    auto forward = rank_variants(group_files(files));
    std::reverse(files.begin(), files.end());
    CHECK(rank_variants(group_files(files)) == forward);
}
