#include "core/model/onnx_name.hpp"

#include "core/model/text.hpp"

#include <array>

namespace tabagent::model {
namespace {

constexpr std::array<std::string_view, 9> k_transformers_js_dtypes = {
    "fp32", "fp16", "q4f16", "q4", "int8", "uint8", "bnb4", "q8", "quantized"};

// The extension's matching order: longer names first where one contains another.
constexpr std::array<std::string_view, 9> k_extension_dtype_order = {
    "q4f16", "uint8", "int8", "bnb4", "q4", "q8", "fp16", "fp32", "quantized"};

// Graph names used by transformers.js / optimum exports. Only consulted for suffixes that are
// not a transformers.js dtype ("model_O4"), and to keep a bare component name at fp32.
constexpr std::array<std::string_view, 24> k_components = {"model",
                                                           "encoder_model",
                                                           "decoder_model",
                                                           "decoder_with_past_model",
                                                           "decoder_model_merged",
                                                           "vision_encoder",
                                                           "embed_tokens",
                                                           "text_model",
                                                           "vision_model",
                                                           "audio_encoder",
                                                           "text_encoder",
                                                           "image_encoder",
                                                           "speech_encoder",
                                                           "prompt_encoder_mask_decoder",
                                                           "conditional_decoder",
                                                           "gen_head",
                                                           "prepare_inputs_embeds",
                                                           "lm_head",
                                                           "unet",
                                                           "vae_encoder",
                                                           "vae_decoder",
                                                           "encoder",
                                                           "decoder",
                                                           "audio_model"};

// True when `rest` (what follows ".onnx") is an external-data tail: "_data", "_data_2", ".data",
// ".data_1".
bool is_external_tail(std::string_view rest) {
    for (std::string_view head : {std::string_view{"_data"}, std::string_view{".data"}}) {
        if (!text::istarts_with(rest, head))
            continue;
        std::string_view more = rest.substr(head.size());
        if (more.empty())
            return true;
        if (more.size() < 2 || more[0] != '_')
            return false;
        for (char c : more.substr(1))
            if (!text::is_digit(c))
                return false;
        return true;
    }
    return false;
}

// "O4", "qint8_avx512", "int4": a suffix that names an optimisation or number format carries a
// digit in its first token; "with_past_model" or "merged" (parts of other component names) do
// not, which keeps an unknown component such as "text_encoder_model" from reading as a variant.
bool first_token_has_digit(std::string_view rest) {
    for (char c : rest.substr(0, rest.find('_')))
        if (text::is_digit(c))
            return true;
    return false;
}

} // namespace

std::span<const std::string_view> transformers_js_dtypes() {
    return k_transformers_js_dtypes;
}

std::optional<OnnxName> parse_onnx_name(std::string_view path) {
    const std::string_view base = text::base_of(path);
    const std::string low = text::to_lower(base);
    const auto dot = low.rfind(".onnx");
    if (dot == std::string::npos || dot == 0)
        return std::nullopt;
    const std::string_view rest = base.substr(dot + 5);
    OnnxName name;
    if (!rest.empty()) {
        if (!is_external_tail(rest))
            return std::nullopt;
        name.external_data = true;
    }
    name.onnx_path = std::string(path.substr(0, path.size() - rest.size()));
    const std::string_view stem = base.substr(0, dot);
    const std::string_view dir = text::dir_of(path);
    const std::string_view dir_base = text::base_of(dir);

    if (!dir.empty() && !text::iequals(dir_base, "onnx")) {
        name.folder_layout = true;
        name.component = std::string(stem);
        name.variant = std::string(dir);
        return name;
    }
    for (std::string_view comp : k_components) {
        if (text::iequals(stem, comp)) {
            name.component = std::string(stem);
            name.variant = "fp32";
            return name;
        }
    }
    for (std::string_view dtype : k_transformers_js_dtypes) {
        if (stem.size() > dtype.size() + 1 && text::iends_with(stem, dtype) &&
            stem[stem.size() - dtype.size() - 1] == '_') {
            name.component = std::string(stem.substr(0, stem.size() - dtype.size() - 1));
            name.variant = std::string(dtype);
            return name;
        }
    }
    std::string_view best;
    for (std::string_view comp : k_components) {
        if (stem.size() > comp.size() + 1 && text::istarts_with(stem, comp) &&
            stem[comp.size()] == '_' && comp.size() > best.size() &&
            first_token_has_digit(stem.substr(comp.size() + 1)))
            best = comp;
    }
    if (!best.empty()) {
        name.component = std::string(stem.substr(0, best.size()));
        name.variant = std::string(stem.substr(best.size() + 1));
        return name;
    }
    name.component = std::string(stem);
    name.variant = "fp32";
    return name;
}

std::string extension_dtype(std::string_view onnx_path) {
    const std::string low = text::to_lower(text::base_of(onnx_path));
    for (std::string_view dtype : k_extension_dtype_order)
        if (low.find(dtype) != std::string::npos)
            return std::string(dtype);
    return "fp32";
}

} // namespace tabagent::model
