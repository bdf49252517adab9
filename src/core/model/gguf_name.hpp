#pragma once
// What a GGUF file name says: its quant tag, its shard position, whether it is a multimodal
// projector. Pure string logic (DESIGN §6).
#include <optional>
#include <string>
#include <string_view>

namespace tabagent::model {

struct GgufName {
    std::string unit;         // dir + stem without ".gguf" and the shard suffix: one download unit
    std::string stem;         // basename without ".gguf" and the shard suffix
    std::string tag;          // upper-case quant tag ("Q4_K_M"), empty when the name carries none
    bool mmproj = false;      // a multimodal projector ("mmproj-model-f16.gguf")
    unsigned shard_index = 0; // 1-based index of "-00001-of-00003"; 0 when the file is not split
    unsigned shard_count = 0; // N of "-of-0000N"; 0 when the file is not split
};

// True for "*.gguf" and TheBloke's legacy splits of huge files ("x.gguf-split-a",
// "x.gguf.part1of2"), which are joined by concatenation and so form one unit too.
bool is_gguf_path(std::string_view path);

// True when `token` has the shape of a quant tag, case-insensitively:
// (I?Q[0-9]+(_[0-9A-Z]+)*|F16|BF16|F32|TQ[0-9]_[0-9]). Hand-written: std::regex is slow and
// would be compiled per call.
bool is_gguf_quant_tag(std::string_view token);

// The quant tag of a stem (shard suffix already removed): the LAST '-' or '.' separated token
// that has the tag shape, upper-cased. Decision: "last matching token" rather than "last token,
// if it matches", so "X-Q4_K_M-imat" still reads Q4_K_M; whenever the last token matches (the
// common case) both readings agree. unsloth's "X-UD-Q4_K_XL" reads Q4_K_XL.
std::optional<std::string> gguf_quant_tag(std::string_view stem);

// Parses a GGUF path; nullopt when is_gguf_path is false. For legacy splits the shard fields
// stay 0 (the parts are simply one unit).
std::optional<GgufName> parse_gguf_name(std::string_view path);

} // namespace tabagent::model
