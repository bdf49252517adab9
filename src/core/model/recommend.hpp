#pragma once
// Which variant to fetch when the caller names none (DESIGN §6). Deterministic: depends on the
// grouping only.
//
// Order, best first:
// 1. ONNX variants that fit the browser (external data not over the server-only limit):
//    q4f16 > q4 > int8 > uint8 > fp16 > fp32 > bnb4 > q8, then every other ONNX variant
//    (quantized, O4, folder-layout names, ...) by name. Decision: ONNX before GGUF when a repo
//    has both, because the extension's in-browser runtime needs no native runtime.
// 2. GGUF variants: Q4_K_M > Q4_K_S > Q5_K_M > Q8_0 > Q5_K_S > Q6_K > Q4_0 > IQ4_XS > IQ4_NL >
//    Q4_1 > Q5_0 > Q5_1 > Q4_K_L > Q5_K_L > Q6_K_L > Q3_K_L > Q3_K_M > IQ3_M > Q3_K_S > IQ3_S >
//    IQ3_XS > IQ3_XXS > Q2_K > Q2_K_L > IQ2_M > IQ2_S > IQ2_XS > IQ2_XXS > IQ1_M > IQ1_S > TQ2_0 >
//    TQ1_0, then other tags (Q4_K_XL, Q4_0_4_4, ...) by name, then F16 > BF16 > F32 (full size,
//    rarely what a laptop wants), then untagged GGUF files by name. Reasoning: 4–5 bit k-quants
//    are llama.cpp's recommended size/quality balance; lower bit widths lose quality fast; the
//    unquantised ones are large.
// 3. ONNX variants over the server-only limit, in the order of 1.
// Never recommended: incomplete variants, mmproj, safetensors, pytorch (no TabAgent runtime
// loads them by themselves).
#include "core/model/variants.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::model {

// 2.1 GiB, rounded down to a byte: over this much external data onnxruntime-web cannot load a
// graph in the browser (DESIGN §6: "server_only").
inline constexpr std::uint64_t k_default_server_only_limit = 2'254'857'830;

struct RecommendOptions {
    std::uint64_t server_only_limit = k_default_server_only_limit;
};

// True when an ONNX variant's external data exceeds the limit (strictly greater).
bool is_server_only(const Variant &v, std::uint64_t limit = k_default_server_only_limit);

// Every recommendable variant, best first (see the order above).
std::vector<std::string> rank_variants(const Grouping &grouping,
                                       const RecommendOptions &options = {});

// The best variant's name; nullopt when nothing is recommendable.
std::optional<std::string> recommend(const Grouping &grouping,
                                     const RecommendOptions &options = {});

} // namespace tabagent::model
