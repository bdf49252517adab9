#pragma once
// What an ONNX file name says: which .onnx a file belongs to (external data joins its graph),
// which model component it is and which dtype variant (DESIGN §6).
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tabagent::model {

struct OnnxName {
    std::string onnx_path; // the graph this file belongs to: itself, or the .onnx its data joins
    bool external_data = false; // ".onnx_data", ".onnx_data_<n>", ".onnx.data", ".onnx.data_<n>"
    bool folder_layout = false; // the variant is the directory (see parse_onnx_name)
    std::string component;      // "model", "decoder_model_merged", ...; the stem in folder layout
    std::string variant;        // variant name: dtype suffix, "fp32" without one, or the directory
};

// The dtypes transformers.js selects files by (`model_<dtype>.onnx`, none = fp32).
std::span<const std::string_view> transformers_js_dtypes();

// Parses an ONNX graph or external-data path; nullopt for anything else.
// Two layouts, decided by the file's directory:
// - the repo root or a directory named "onnx" (transformers.js, optimum): the variant is the
//   stem's dtype suffix. A stem ending in "_<transformers.js dtype>" (case-insensitive) gives
//   that dtype, lower-cased ("decoder_model_merged_q4" -> q4, "model_quantized" -> quantized,
//   never fp32); otherwise a stem "<known component>_<rest>" whose <rest> starts with a token
//   holding a digit gives <rest> as written ("model_O4" -> O4, "model_qint8_avx512" ->
//   qint8_avx512); otherwise fp32. So all components
//   of one dtype (encoder, decoder, decoder_with_past, decoder_model_merged, vision_encoder,
//   embed_tokens, ...) form one variant.
// - any other directory (microsoft's genai repos: "cpu_and_mobile/cpu-int4-rtn-block-32/x.onnx"):
//   the directory path is the variant, since those repos keep one complete model per folder.
std::optional<OnnxName> parse_onnx_name(std::string_view path);

// The dtype the TabAgent extension derives from an ONNX path: the first of q4f16, uint8, int8,
// bnb4, q4, q8, fp16, fp32, quantized found in the lower-cased basename, else "fp32".
std::string extension_dtype(std::string_view onnx_path);

} // namespace tabagent::model
