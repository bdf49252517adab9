#pragma once
// Realistic Hub listings for the model room's tests, written from the file lists of real repos
// (sizes rounded). Shared by model_variants_test, model_manifest_test and model_recommend_test.
#include "core/model/repo_file.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tabagent::model::listings {

constexpr std::uint64_t k_kib = 1024;
constexpr std::uint64_t k_mib = 1024 * k_kib;
constexpr std::uint64_t k_gib = 1024 * k_mib;

inline RepoListing make_listing(std::string repo, std::string task,
                                std::vector<std::pair<std::string, std::uint64_t>> files) {
    RepoListing l;
    l.repo = std::move(repo);
    l.revision = "main";
    l.commit = "0123456789abcdef0123456789abcdef01234567";
    l.pipeline_tag = std::move(task);
    for (auto &[path, size] : files)
        l.files.push_back(RepoFile{path, size, "etag:" + path, size > 10 * k_mib});
    return l;
}

// onnx-community/Qwen2.5-0.5B-Instruct: one graph per dtype; fp32 has external data.
inline RepoListing qwen_onnx() {
    return make_listing("onnx-community/Qwen2.5-0.5B-Instruct", "text-generation",
                        {{".gitattributes", 1600},
                         {"README.md", 9 * k_kib},
                         {"added_tokens.json", 605},
                         {"config.json", 900},
                         {"generation_config.json", 242},
                         {"merges.txt", 1671853},
                         {"onnx/model.onnx", 400 * k_kib},
                         {"onnx/model.onnx_data", 1976 * k_mib},
                         {"onnx/model_bnb4.onnx", 848 * k_mib},
                         {"onnx/model_fp16.onnx", 988 * k_mib},
                         {"onnx/model_int8.onnx", 497 * k_mib},
                         {"onnx/model_q4.onnx", 786 * k_mib},
                         {"onnx/model_q4f16.onnx", 461 * k_mib},
                         {"onnx/model_quantized.onnx", 497 * k_mib},
                         {"onnx/model_uint8.onnx", 497 * k_mib},
                         {"special_tokens_map.json", 613},
                         {"tokenizer.json", 7031645},
                         {"tokenizer_config.json", 7305},
                         {"vocab.json", 2776833}});
}

// Xenova/whisper-tiny: encoder / decoder / decoder_with_past / decoder_model_merged per dtype.
inline RepoListing whisper_tiny() {
    std::vector<std::pair<std::string, std::uint64_t>> files = {
        {".gitattributes", 1500},
        {"README.md", 4 * k_kib},
        {"added_tokens.json", 34 * k_kib},
        {"config.json", 2 * k_kib},
        {"generation_config.json", 3 * k_kib},
        {"merges.txt", 494 * k_kib},
        {"normalizer.json", 52 * k_kib},
        {"preprocessor_config.json", 339},
        {"quant_config.json", 1 * k_kib},
        {"quantize_config.json", 1 * k_kib},
        {"special_tokens_map.json", 2 * k_kib},
        {"tokenizer.json", 2 * k_mib},
        {"tokenizer_config.json", 282 * k_kib},
        {"vocab.json", 835 * k_kib}};
    const std::pair<const char *, std::uint64_t> suffixes[] = {
        {"", 4},    {"_bnb4", 1},  {"_fp16", 2},      {"_int8", 1},
        {"_q4", 1}, {"_q4f16", 1}, {"_quantized", 1}, {"_uint8", 1}};
    for (const char *comp :
         {"decoder_model", "decoder_model_merged", "decoder_with_past_model", "encoder_model"}) {
        for (auto [suffix, scale] : suffixes) {
            const std::uint64_t base =
                std::string(comp) == "encoder_model" ? 8 * k_mib : 30 * k_mib;
            files.emplace_back(std::string("onnx/") + comp + suffix + ".onnx", base * scale);
        }
    }
    return make_listing("Xenova/whisper-tiny", "automatic-speech-recognition", std::move(files));
}

// Xenova/distilbert-base-uncased-finetuned-sst-2-english: fp32 + quantized, vocab.txt.
inline RepoListing distilbert() {
    return make_listing("Xenova/distilbert-base-uncased-finetuned-sst-2-english",
                        "text-classification",
                        {{".gitattributes", 1500},
                         {"README.md", 300},
                         {"config.json", 700},
                         {"onnx/model.onnx", 267 * k_mib},
                         {"onnx/model_quantized.onnx", 67 * k_mib},
                         {"quantize_config.json", 400},
                         {"special_tokens_map.json", 125},
                         {"tokenizer.json", 711 * k_kib},
                         {"tokenizer_config.json", 400},
                         {"vocab.txt", 232 * k_kib}});
}

// microsoft/Phi-3-mini-4k-instruct-onnx: one complete genai model per folder.
inline RepoListing phi3_onnx() {
    std::vector<std::pair<std::string, std::uint64_t>> files = {
        {".gitattributes", 1600}, {"LICENSE", 1100}, {"README.md", 12 * k_kib}};
    auto folder = [&](const std::string &dir, const std::string &graph, std::uint64_t graph_size,
                      std::uint64_t data_size) {
        for (const char *name :
             {"added_tokens.json", "config.json", "genai_config.json", "special_tokens_map.json",
              "tokenizer.json", "tokenizer.model", "tokenizer_config.json"})
            files.emplace_back(dir + "/" + name, 4 * k_kib);
        files.emplace_back(dir + "/" + graph, graph_size);
        files.emplace_back(dir + "/" + graph + ".data", data_size);
    };
    folder("cpu_and_mobile/cpu-int4-rtn-block-32",
           "phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx", 260 * k_kib, 2600 * k_mib);
    folder("cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4",
           "phi3-mini-4k-instruct-cpu-int4-rtn-block-32-acc-level-4.onnx", 260 * k_kib,
           2600 * k_mib);
    folder("cuda/cuda-fp16", "phi3-mini-4k-instruct-cuda-fp16.onnx", 230 * k_kib, 7640 * k_mib);
    folder("cuda/cuda-int4-rtn-block-32", "phi3-mini-4k-instruct-cuda-int4-rtn-block-32.onnx",
           260 * k_kib, 2600 * k_mib);
    folder("directml/directml-int4-awq-block-128", "model.onnx", 240 * k_kib, 2130 * k_mib);
    return make_listing("microsoft/Phi-3-mini-4k-instruct-onnx", "text-generation",
                        std::move(files));
}

// bartowski/Llama-3.2-3B-Instruct-GGUF: dozens of quants, dash-separated tags, an imatrix.
inline std::vector<std::string> bartowski_tags() {
    return {"IQ3_M",  "IQ4_XS",   "Q2_K",     "Q2_K_L",   "Q3_K_L", "Q3_K_M", "Q3_K_XL",
            "Q4_0",   "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "Q4_K_L", "Q4_K_M", "Q4_K_S",
            "Q5_K_L", "Q5_K_M",   "Q5_K_S",   "Q6_K",     "Q6_K_L", "Q8_0",   "f16"};
}
inline RepoListing bartowski_llama() {
    std::vector<std::pair<std::string, std::uint64_t>> files = {
        {".gitattributes", 3 * k_kib},
        {"Llama-3.2-3B-Instruct.imatrix", 3 * k_mib},
        {"README.md", 10 * k_kib}};
    std::uint64_t size = 1300 * k_mib;
    for (const auto &tag : bartowski_tags()) {
        files.emplace_back("Llama-3.2-3B-Instruct-" + tag + ".gguf", size);
        size += 97 * k_mib;
    }
    return make_listing("bartowski/Llama-3.2-3B-Instruct-GGUF", "text-generation",
                        std::move(files));
}

// unsloth/Qwen3-30B-A3B-GGUF: UD dynamic quants, a BF16 split inside a folder, projector-free.
inline RepoListing unsloth_qwen3() {
    return make_listing("unsloth/Qwen3-30B-A3B-GGUF", "text-generation",
                        {{".gitattributes", 3 * k_kib},
                         {"BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf", 49 * k_gib},
                         {"BF16/Qwen3-30B-A3B-BF16-00002-of-00002.gguf", 12 * k_gib},
                         {"Qwen3-30B-A3B-Q4_K_M.gguf", 18 * k_gib},
                         {"Qwen3-30B-A3B-Q8_0.gguf", 32 * k_gib},
                         {"Qwen3-30B-A3B-UD-IQ1_S.gguf", 7 * k_gib},
                         {"Qwen3-30B-A3B-UD-Q4_K_XL.gguf", 17 * k_gib},
                         {"README.md", 20 * k_kib},
                         {"config.json", 1 * k_kib},
                         {"imatrix_unsloth.dat", 80 * k_mib}});
}

// MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF: dot-separated tags, ".fp16" (not a tag).
inline RepoListing maziyar_mistral() {
    std::vector<std::pair<std::string, std::uint64_t>> files = {{".gitattributes", 2 * k_kib},
                                                                {"README.md", 6 * k_kib}};
    for (const char *tag :
         {"IQ1_M", "IQ1_S", "IQ2_XS", "IQ3_XS", "IQ4_XS", "Q2_K", "Q3_K_L", "Q3_K_M", "Q3_K_S",
          "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q6_K", "Q8_0", "fp16"})
        files.emplace_back(std::string("Mistral-7B-Instruct-v0.3.") + tag + ".gguf", 4 * k_gib);
    return make_listing("MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF", "text-generation",
                        std::move(files));
}

// TheBloke/Llama-2-7B-GGUF: lower-case model name, dotted tags, a config.json, license files.
inline RepoListing thebloke_llama2() {
    std::vector<std::pair<std::string, std::uint64_t>> files = {
        {".gitattributes", 2 * k_kib}, {"LICENSE.txt", 7 * k_kib},   {"Notice", 112},
        {"README.md", 30 * k_kib},     {"USE_POLICY.md", 4 * k_kib}, {"config.json", 29}};
    for (const char *tag : {"Q2_K", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q4_0", "Q4_K_M", "Q4_K_S",
                            "Q5_0", "Q5_K_M", "Q5_K_S", "Q6_K", "Q8_0"})
        files.emplace_back(std::string("llama-2-7b.") + tag + ".gguf", 4 * k_gib);
    return make_listing("TheBloke/Llama-2-7B-GGUF", "text-generation", std::move(files));
}

// ggml-org style: lower-case tags and a generic projector name.
inline RepoListing ggml_org_qwen() {
    return make_listing("ggml-org/Qwen2.5-1.5B-Instruct-GGUF", "text-generation",
                        {{".gitattributes", 1600},
                         {"README.md", 2 * k_kib},
                         {"mmproj-model-f16.gguf", 1300 * k_mib},
                         {"qwen2.5-1.5b-instruct-f16.gguf", 3 * k_gib},
                         {"qwen2.5-1.5b-instruct-q4_k_m.gguf", 1 * k_gib},
                         {"qwen2.5-1.5b-instruct-q8_0.gguf", 1700 * k_mib}});
}

// meta-llama/Llama-3.2-3B-Instruct: safetensors shards + index, original/ (consolidated .pth).
inline RepoListing llama_safetensors() {
    return make_listing("meta-llama/Llama-3.2-3B-Instruct", "text-generation",
                        {{".gitattributes", 1500},
                         {"LICENSE.txt", 7 * k_kib},
                         {"README.md", 40 * k_kib},
                         {"USE_POLICY.md", 6 * k_kib},
                         {"config.json", 878},
                         {"generation_config.json", 189},
                         {"model-00001-of-00002.safetensors", 4965 * k_mib},
                         {"model-00002-of-00002.safetensors", 1459 * k_mib},
                         {"model.safetensors.index.json", 20 * k_kib},
                         {"original/consolidated.00.pth", 6425 * k_mib},
                         {"original/params.json", 220},
                         {"original/tokenizer.model", 2 * k_mib},
                         {"special_tokens_map.json", 296},
                         {"tokenizer.json", 9 * k_mib},
                         {"tokenizer_config.json", 54 * k_kib}});
}

// mistralai/Mistral-7B-Instruct-v0.3: HF shards plus a consolidated copy, tokenizer.model.v3.
inline RepoListing mistral_safetensors() {
    return make_listing("mistralai/Mistral-7B-Instruct-v0.3", "text-generation",
                        {{".gitattributes", 1500},
                         {"README.md", 7 * k_kib},
                         {"config.json", 601},
                         {"consolidated.safetensors", 14 * k_gib},
                         {"generation_config.json", 116},
                         {"model-00001-of-00003.safetensors", 4 * k_gib},
                         {"model-00002-of-00003.safetensors", 4 * k_gib},
                         {"model-00003-of-00003.safetensors", 5 * k_gib},
                         {"model.safetensors.index.json", 23 * k_kib},
                         {"params.json", 202},
                         {"special_tokens_map.json", 414},
                         {"tokenizer.json", 1961 * k_kib},
                         {"tokenizer.model", 587 * k_kib},
                         {"tokenizer.model.v3", 587 * k_kib},
                         {"tokenizer_config.json", 137 * k_kib}});
}

// hf-internal-testing/tiny-random-gpt2 (the predecessor's smoke-test repo): every framework.
inline RepoListing tiny_random_gpt2() {
    return make_listing("hf-internal-testing/tiny-random-gpt2", "text-generation",
                        {{".gitattributes", 1200},
                         {"config.json", 900},
                         {"flax_model.msgpack", 500 * k_kib},
                         {"merges.txt", 8 * k_kib},
                         {"model.safetensors", 500 * k_kib},
                         {"pytorch_model.bin", 500 * k_kib},
                         {"special_tokens_map.json", 90},
                         {"tf_model.h5", 500 * k_kib},
                         {"tokenizer.json", 20 * k_kib},
                         {"tokenizer_config.json", 230},
                         {"vocab.json", 12 * k_kib}});
}

} // namespace tabagent::model::listings
