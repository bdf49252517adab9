#pragma once
// Realistic repo listings (onnx-community, bartowski GGUF, safetensors shards) for the generator.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::fakehub {

struct PlannedFile {
    std::string path;
    std::uint64_t size = 0;           // random content of this size when `text` is unset
    std::optional<std::string> text;  // exact content (JSON, README, ...)
};

struct Preset {
    std::vector<PlannedFile> files;
    std::string pipeline_tag;
    std::string library_name;
};

// Names: onnx, onnx-encdec, gguf, gguf-split, safetensors. Sizes of weight files are multiplied by
// `scale`. `repo_name` seeds file stems (GGUF names). nullopt for an unknown name.
std::optional<Preset> make_preset(const std::string& name, const std::string& repo_name, double scale);

// A valid minimal Hugging Face tokenizers file (WordPiece, whitespace pre-tokenizer, [UNK]).
std::string tokenizer_json();
std::string tokenizer_config_json();

// Header bytes that make a weight file look like its format (GGUF magic, safetensors header).
std::string format_prefix(const std::string& path);

} // namespace tabagent::fakehub
