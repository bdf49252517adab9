#include "presets.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>

namespace tabagent::fakehub {

using nlohmann::json;

namespace {

constexpr std::uint64_t k_kib = 1024, k_mib = 1024 * 1024;
constexpr std::array<const char*, 16> k_words = {"hello", "world", "the",  "a",     "model", "cache", "download", "fast",
                                                 "tab",   "agent", "token", "file", "hub",   "test",  "small",    "data"};

json added_token(int id, const char* content) {
    return {{"id", id},         {"content", content}, {"single_word", false}, {"lstrip", false},
            {"rstrip", false},  {"normalized", false}, {"special", true}};
}

std::string text_of(const json& j) { return j.dump(2) + "\n"; }

std::string gitattributes() {
    std::string s;
    for (const char* ext : {"onnx", "onnx_data", "gguf", "safetensors", "bin", "pt", "msgpack", "h5", "ot"})
        s += std::string("*.") + ext + " filter=lfs diff=lfs merge=lfs -text\n";
    return s;
}

std::string readme(const std::string& library, const std::string& pipeline, const std::string& title) {
    return "---\nlibrary_name: " + library + "\npipeline_tag: " + pipeline + "\nlicense: apache-2.0\n---\n\n# " +
           title + "\n\nA generated repository for tests of the TabAgent native host.\n";
}

json llm_config(bool onnx) {
    json c = {{"architectures", {"LlamaForCausalLM"}},
              {"model_type", "llama"},
              {"hidden_size", 64},
              {"intermediate_size", 128},
              {"num_attention_heads", 4},
              {"num_key_value_heads", 2},
              {"num_hidden_layers", 2},
              {"max_position_embeddings", 2048},
              {"vocab_size", k_words.size() + 4},
              {"bos_token_id", 1},
              {"eos_token_id", 2},
              {"pad_token_id", 3},
              {"torch_dtype", "float32"},
              {"transformers_version", "4.43.0"}};
    if (onnx)
        c["transformers.js_config"] = {{"kv_cache_dtype", {{"q4f16", "float16"}, {"fp16", "float16"}}},
                                       {"use_external_data_format", {{"model.onnx", true}}}};
    return c;
}

void add_tokenizer_files(Preset& p) {
    p.files.push_back({"tokenizer.json", 0, tokenizer_json()});
    p.files.push_back({"tokenizer_config.json", 0, tokenizer_config_json()});
    p.files.push_back({"special_tokens_map.json", 0,
                       text_of({{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "[UNK]"}, {"pad_token", "[PAD]"}})});
}

std::uint64_t scaled(std::uint64_t size, double scale) {
    return static_cast<std::uint64_t>(std::llround(static_cast<double>(size) * scale));
}

std::string gguf_stem(const std::string& repo_name) {
    std::string stem = repo_name;
    for (const char* suffix : {"-GGUF", "-gguf"})
        if (stem.size() > 5 && stem.ends_with(suffix)) stem.resize(stem.size() - 5);
    return stem.empty() ? "Model" : stem;
}

} // namespace

std::string tokenizer_json() {
    json vocab = {{"[UNK]", 0}, {"<s>", 1}, {"</s>", 2}, {"[PAD]", 3}};
    int id = 4;
    for (const char* w : k_words) vocab[w] = id++;
    json j = {{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens",
               {added_token(0, "[UNK]"), added_token(1, "<s>"), added_token(2, "</s>"), added_token(3, "[PAD]")}},
              {"normalizer", {{"type", "Lowercase"}}},
              {"pre_tokenizer", {{"type", "Whitespace"}}},
              {"post_processor", nullptr},
              {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
              {"model",
               {{"type", "WordPiece"},
                {"unk_token", "[UNK]"},
                {"continuing_subword_prefix", "##"},
                {"max_input_chars_per_word", 100},
                {"vocab", vocab}}}};
    return text_of(j);
}

std::string tokenizer_config_json() {
    return text_of({{"tokenizer_class", "PreTrainedTokenizerFast"},
                    {"bos_token", "<s>"},
                    {"eos_token", "</s>"},
                    {"unk_token", "[UNK]"},
                    {"pad_token", "[PAD]"},
                    {"model_max_length", 2048},
                    {"clean_up_tokenization_spaces", true}});
}

std::string format_prefix(const std::string& path) {
    if (path.ends_with(".gguf")) {
        // "GGUF", version 3, tensor count 0, metadata count 0 (little endian).
        std::string h("GGUF\x03\0\0\0", 8);
        h.append(16, '\0');
        return h;
    }
    if (path.ends_with(".safetensors")) {
        std::string header = R"({"__metadata__":{"format":"pt"}})";
        while ((header.size() + 8) % 8 != 0) header.push_back(' ');
        std::string h(8, '\0');
        for (int i = 0; i < 8; ++i) h[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
        return h + header;
    }
    return {};
}

std::optional<Preset> make_preset(const std::string& name, const std::string& repo_name, double scale) {
    Preset p;
    auto weight = [&](std::string path, std::uint64_t size) { p.files.push_back({std::move(path), scaled(size, scale), {}}); };
    const json generation = {{"bos_token_id", 1}, {"eos_token_id", 2}, {"max_new_tokens", 64}, {"do_sample", false}};
    if (name == "onnx") {
        p.pipeline_tag = "text-generation";
        p.library_name = "transformers.js";
        p.files.push_back({"config.json", 0, text_of(llm_config(true))});
        p.files.push_back({"generation_config.json", 0, text_of(generation)});
        add_tokenizer_files(p);
        p.files.push_back({"README.md", 0, readme(p.library_name, p.pipeline_tag, repo_name)});
        p.files.push_back({".gitattributes", 0, gitattributes()});
        weight("onnx/model.onnx", 96 * k_kib);
        weight("onnx/model.onnx_data", 4 * k_mib);
        weight("onnx/model_fp16.onnx", 2 * k_mib);
        weight("onnx/model_q4f16.onnx", 768 * k_kib);
        weight("onnx/model_quantized.onnx", 1 * k_mib);
        weight("onnx/model_int8.onnx", 1 * k_mib);
        weight("onnx/model_uint8.onnx", 1 * k_mib);
        weight("onnx/model_q4.onnx", 896 * k_kib);
        weight("onnx/model_bnb4.onnx", 832 * k_kib);
    } else if (name == "onnx-encdec") {
        p.pipeline_tag = "text2text-generation";
        p.library_name = "transformers.js";
        json c = {{"architectures", {"T5ForConditionalGeneration"}}, {"model_type", "t5"}, {"d_model", 64},
                  {"num_layers", 2}, {"num_heads", 4}, {"vocab_size", k_words.size() + 4}, {"is_encoder_decoder", true},
                  {"decoder_start_token_id", 3}, {"eos_token_id", 2}, {"pad_token_id", 3}};
        p.files.push_back({"config.json", 0, text_of(c)});
        p.files.push_back({"generation_config.json", 0, text_of(generation)});
        add_tokenizer_files(p);
        p.files.push_back({"README.md", 0, readme(p.library_name, p.pipeline_tag, repo_name)});
        p.files.push_back({".gitattributes", 0, gitattributes()});
        for (const char* part : {"encoder_model", "decoder_model_merged"}) {
            const std::string base = std::string("onnx/") + part;
            weight(base + ".onnx", 2 * k_mib);
            weight(base + "_fp16.onnx", 1 * k_mib);
            weight(base + "_quantized.onnx", 512 * k_kib);
            weight(base + "_q4.onnx", 448 * k_kib);
            weight(base + "_q4f16.onnx", 384 * k_kib);
        }
    } else if (name == "gguf" || name == "gguf-split") {
        p.pipeline_tag = "text-generation";
        p.library_name = "gguf";
        const std::string stem = gguf_stem(repo_name);
        p.files.push_back({"README.md", 0, readme(p.library_name, p.pipeline_tag, repo_name)});
        p.files.push_back({".gitattributes", 0, gitattributes()});
        if (name == "gguf") {
            weight(stem + "-Q4_K_M.gguf", 2 * k_mib);
            weight(stem + "-Q4_K_S.gguf", 1900 * k_kib);
            weight(stem + "-Q8_0.gguf", 3 * k_mib);
            weight(stem + "-IQ4_XS.gguf", 1700 * k_kib);
            weight(stem + "-f16.gguf", 4 * k_mib);
        } else {
            for (int i = 1; i <= 3; ++i)
                weight(stem + "-Q8_0-0000" + std::to_string(i) + "-of-00003.gguf", i == 3 ? 512 * k_kib : 1 * k_mib);
            weight(stem + "-Q4_K_M.gguf", 1536 * k_kib);
        }
    } else if (name == "safetensors") {
        p.pipeline_tag = "text-generation";
        p.library_name = "transformers";
        p.files.push_back({"config.json", 0, text_of(llm_config(false))});
        p.files.push_back({"generation_config.json", 0, text_of(generation)});
        add_tokenizer_files(p);
        p.files.push_back({"README.md", 0, readme(p.library_name, p.pipeline_tag, repo_name)});
        p.files.push_back({".gitattributes", 0, gitattributes()});
        weight("model-00001-of-00002.safetensors", 2 * k_mib);
        weight("model-00002-of-00002.safetensors", 1 * k_mib);
        const auto total = scaled(3 * k_mib, scale);
        json index = {{"metadata", {{"total_size", total}}},
                      {"weight_map",
                       {{"model.embed_tokens.weight", "model-00001-of-00002.safetensors"},
                        {"model.layers.0.self_attn.q_proj.weight", "model-00001-of-00002.safetensors"},
                        {"model.layers.1.self_attn.q_proj.weight", "model-00002-of-00002.safetensors"},
                        {"lm_head.weight", "model-00002-of-00002.safetensors"}}}};
        p.files.push_back({"model.safetensors.index.json", 0, text_of(index)});
    } else {
        return std::nullopt;
    }
    return p;
}

} // namespace tabagent::fakehub
