#include "core/model/recommend.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <tuple>

namespace tabagent::model {
namespace {

constexpr std::array<std::string_view, 8> k_onnx_order = {"q4f16", "q4",   "int8", "uint8",
                                                          "fp16",  "fp32", "bnb4", "q8"};

constexpr std::array<std::string_view, 32> k_gguf_order = {
    "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q8_0",    "Q5_K_S", "Q6_K",    "Q4_0",   "IQ4_XS",
    "IQ4_NL", "Q4_1",   "Q5_0",   "Q5_1",    "Q4_K_L", "Q5_K_L",  "Q6_K_L", "Q3_K_L",
    "Q3_K_M", "IQ3_M",  "Q3_K_S", "IQ3_S",   "IQ3_XS", "IQ3_XXS", "Q2_K",   "Q2_K_L",
    "IQ2_M",  "IQ2_S",  "IQ2_XS", "IQ2_XXS", "IQ1_M",  "IQ1_S",   "TQ2_0",  "TQ1_0"};

constexpr std::array<std::string_view, 3> k_gguf_full = {"F16", "BF16", "F32"};

template <std::size_t N>
int index_in(const std::array<std::string_view, N> &order, std::string_view name) {
    for (std::size_t i = 0; i < N; ++i)
        if (order[i] == name)
            return static_cast<int>(i);
    return -1;
}

// (tier, position within the tier); lower is better; tier < 0 means not recommendable.
std::tuple<int, int> rank_of(const Variant &v, const RecommendOptions &options) {
    constexpr int unlisted = 1000;
    if (v.incomplete)
        return {-1, 0};
    if (v.family == k_family_onnx) {
        const int i = index_in(k_onnx_order, v.name);
        const int pos = i >= 0 ? i : unlisted;
        return {is_server_only(v, options.server_only_limit) ? 5 : 0, pos};
    }
    if (v.family == k_family_gguf) {
        if (v.dtype.empty())
            return {4, 0};
        if (const int i = index_in(k_gguf_order, v.name); i >= 0)
            return {1, i};
        if (const int i = index_in(k_gguf_full, v.name); i >= 0)
            return {3, i};
        return {2, 0};
    }
    return {-1, 0};
}

} // namespace

bool is_server_only(const Variant &v, std::uint64_t limit) {
    return v.family == k_family_onnx && v.external_data_size > limit;
}

std::vector<std::string> rank_variants(const Grouping &grouping, const RecommendOptions &options) {
    std::vector<std::pair<std::tuple<int, int>, const Variant *>> ranked;
    for (const auto &v : grouping.variants) {
        auto rank = rank_of(v, options);
        if (std::get<0>(rank) >= 0)
            ranked.emplace_back(rank, &v);
    }
    // Ties inside a tier (unlisted names) fall back to the name: deterministic.
    std::sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) {
        if (a.first != b.first)
            return a.first < b.first;
        return a.second->name < b.second->name;
    });
    std::vector<std::string> out;
    out.reserve(ranked.size());
    for (const auto &[rank, v] : ranked)
        out.push_back(v->name);
    return out;
}

std::optional<std::string> recommend(const Grouping &grouping, const RecommendOptions &options) {
    auto ranked = rank_variants(grouping, options);
    if (ranked.empty())
        return std::nullopt;
    return ranked.front();
}

} // namespace tabagent::model
