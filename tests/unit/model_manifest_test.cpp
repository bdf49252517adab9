#include "core/model/manifest.hpp"
#include "model_listings.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace tabagent::model;
using nlohmann::json;
using Paths = std::vector<std::string>;

namespace {

// A fake cache: paths marked present / partial / downloading / failed.
struct FakeCache {
    std::map<std::string, FileState> states;

    void present(const std::string &p) { states[p].present = true; }
    void present_all(const std::vector<std::string> &ps) {
        for (const auto &p : ps)
            present(p);
    }
    Presence presence() const {
        return [this](const RepoFile &f) {
            auto it = states.find(f.path);
            return it == states.end() ? FileState{} : it->second;
        };
    }
};

std::set<std::string> keys(const json &j) {
    std::set<std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it)
        out.insert(it.key());
    return out;
}

ManifestOptions times() {
    ManifestOptions o;
    o.created_at = "2025-01-02T03:04:05Z";
    o.updated_at = "2025-01-03T00:00:00Z";
    return o;
}

} // namespace

TEST_CASE("model: quant status names round-trip") {
    const char *names[] = {"available", "downloading", "downloaded",  "failed",
                           "not_found", "unavailable", "unsupported", "server_only"};
    for (const char *name : names) {
        QuantStatus s{};
        REQUIRE(parse_quant_status(name, s));
        CHECK(to_string(s) == name);
    }
    QuantStatus s{};
    CHECK_FALSE(parse_quant_status("ready", s));
}

TEST_CASE("model: native manifest has exactly the DESIGN keys") {
    auto l = listings::qwen_onnx();
    FakeCache cache;
    auto m = native_manifest(l, cache.presence(), times());
    CHECK(keys(m) == std::set<std::string>{"repo_id", "task", "revision", "commit", "created_at",
                                           "updated_at", "recommended", "quants", "common"});
    CHECK(m["repo_id"] == "onnx-community/Qwen2.5-0.5B-Instruct");
    CHECK(m["task"] == "text-generation");
    CHECK(m["revision"] == "main");
    CHECK(m["commit"] == "0123456789abcdef0123456789abcdef01234567");
    CHECK(m["created_at"] == "2025-01-02T03:04:05Z");
    CHECK(m["updated_at"] == "2025-01-03T00:00:00Z");
    CHECK(m["recommended"] == "q4f16");
    CHECK(keys(m["quants"]) == std::set<std::string>{"bnb4", "fp16", "fp32", "int8", "q4", "q4f16",
                                                     "quantized", "uint8"});
    const json &q = m["quants"]["fp32"];
    CHECK(keys(q) == std::set<std::string>{"status", "family", "files", "total_size",
                                           "downloaded_size", "last_updated"});
    CHECK(q["status"] == "available");
    CHECK(q["family"] == "onnx");
    CHECK(q["files"] == json::array({"onnx/model.onnx", "onnx/model.onnx_data"}));
    CHECK(q["files"][0].is_string()); // DESIGN §3: files are arrays of path strings
    CHECK(q["total_size"] == 400 * listings::k_kib + 1976 * listings::k_mib);
    CHECK(q["downloaded_size"] == 0);
    CHECK(q["last_updated"] == "2025-01-03T00:00:00Z");
    CHECK(keys(m["common"]) == std::set<std::string>{"files", "total_size", "downloaded_size"});
    CHECK(m["common"]["files"].size() == 8);
    CHECK(m["common"]["files"][0] == "added_tokens.json");
    CHECK(m["common"]["downloaded_size"] == 0);
    // Deterministic: same inputs, same bytes.
    CHECK(native_manifest(l, cache.presence(), times()).dump() == m.dump());
}

TEST_CASE("model: native status follows what is on disk") {
    auto l = listings::qwen_onnx();
    auto g = group_files(l.files);
    FakeCache cache;
    const Variant &q4f16 = *find_variant(g, "q4f16");
    auto status = [&](const ManifestOptions &o = {}) {
        return native_status(l, g, q4f16, cache.presence(), o);
    };
    CHECK(status() == QuantStatus::available);

    SUBCASE("variant files present but a common file missing is not downloaded") {
        cache.present("onnx/model_q4f16.onnx");
        CHECK(status() == QuantStatus::available);
        cache.present_all(g.common);
        CHECK(status() == QuantStatus::downloaded);
        auto m = native_manifest(l, g, cache.presence(), times());
        CHECK(m["quants"]["q4f16"]["status"] == "downloaded");
        CHECK(m["quants"]["q4f16"]["downloaded_size"] == 461 * listings::k_mib);
        CHECK(m["quants"]["q4"]["status"] == "available");
        CHECK(m["common"]["downloaded_size"] == g.common_size);
    }
    SUBCASE("a partial file in progress is downloading and counts its bytes") {
        cache.states["onnx/model_q4f16.onnx"] = FileState{false, 100 * listings::k_mib, true, false};
        CHECK(status() == QuantStatus::downloading);
        auto m = native_manifest(l, g, cache.presence(), times());
        CHECK(m["quants"]["q4f16"]["downloaded_size"] == 100 * listings::k_mib);
    }
    SUBCASE("a common file in progress makes every variant downloading") {
        cache.states["tokenizer.json"].downloading = true;
        CHECK(status() == QuantStatus::downloading);
        auto m = native_manifest(l, g, cache.presence(), times());
        CHECK(m["quants"]["fp16"]["status"] == "downloading");
    }
    SUBCASE("a failed file is failed; downloading outranks failed") {
        cache.states["onnx/model_q4f16.onnx"].failed = true;
        CHECK(status() == QuantStatus::failed);
        cache.states["config.json"].downloading = true;
        CHECK(status() == QuantStatus::downloading);
    }
    SUBCASE("present_bytes is clamped to the listed size") {
        cache.states["onnx/model_q4f16.onnx"] = FileState{false, 10 * listings::k_gib, false, false};
        auto m = native_manifest(l, g, cache.presence(), times());
        CHECK(m["quants"]["q4f16"]["downloaded_size"] == 461 * listings::k_mib);
    }
    SUBCASE("offline: what is not on disk is unavailable, what is stays downloaded") {
        ManifestOptions o = times();
        o.offline = true;
        CHECK(status(o) == QuantStatus::unavailable);
        cache.present("onnx/model_q4f16.onnx");
        cache.present_all(g.common);
        CHECK(status(o) == QuantStatus::downloaded);
    }
    SUBCASE("an empty presence function means nothing is on disk") {
        auto m = native_manifest(l, g, Presence{}, times());
        CHECK(m["quants"]["q4f16"]["status"] == "available");
    }
}

TEST_CASE("model: native manifest per-variant last_updated, nulls and incomplete variants") {
    auto l = listings::make_listing(
        "org/x", "",
        {{"onnx/model.onnx", 10}, {"onnx/model_fp16.onnx_data", 10}, {"config.json", 5}});
    l.revision = "";
    l.commit = "";
    ManifestOptions o = times();
    o.last_updated["fp32"] = "2025-02-01T00:00:00Z";
    auto m = native_manifest(l, FakeCache{}.presence(), o);
    CHECK(m["task"].is_null());
    CHECK(m["revision"].is_null());
    CHECK(m["commit"].is_null());
    CHECK(m["quants"]["fp32"]["last_updated"] == "2025-02-01T00:00:00Z");
    CHECK(m["quants"]["fp16"]["last_updated"] == "2025-01-03T00:00:00Z");
    CHECK(m["quants"]["fp16"]["status"] == "not_found"); // data without its graph
    CHECK(m["recommended"] == "fp32");
    auto st = native_manifest(listings::llama_safetensors(), FakeCache{}.presence(), o);
    CHECK(st["recommended"].is_null());
    CHECK(st["quants"]["safetensors"]["family"] == "safetensors");
    CHECK(st["quants"]["safetensors"]["status"] == "available");
}

TEST_CASE("model: native server_only uses the limit; download facts win") {
    auto l = listings::phi3_onnx();
    auto g = group_files(l.files);
    FakeCache cache;
    auto m = native_manifest(l, g, cache.presence(), times());
    CHECK(m["quants"]["cuda/cuda-fp16"]["status"] == "server_only");
    CHECK(m["quants"]["directml/directml-int4-awq-block-128"]["status"] == "available");
    CHECK(m["recommended"] == "directml/directml-int4-awq-block-128");
    cache.present_all(find_variant(g, "cuda-fp16")->files);
    m = native_manifest(l, g, cache.presence(), times());
    CHECK(m["quants"]["cuda/cuda-fp16"]["status"] == "downloaded"); // no common files here
    ManifestOptions big = times();
    big.server_only_limit = 8 * listings::k_gib;
    m = native_manifest(l, g, FakeCache{}.presence(), big);
    CHECK(m["quants"]["cuda/cuda-fp16"]["status"] == "available");
}

TEST_CASE("model: extension manifest has exactly the DESIGN keys, keyed by ONNX path") {
    auto l = listings::qwen_onnx();
    auto m = extension_manifest(l, FakeCache{}.presence(), times());
    CHECK(keys(m) == std::set<std::string>{"repo", "task", "manifestVersion", "quants"});
    CHECK(m["repo"] == "onnx-community/Qwen2.5-0.5B-Instruct");
    CHECK(m["task"] == "text-generation");
    CHECK(m["manifestVersion"] == 1);
    CHECK(keys(m["quants"]) == std::set<std::string>{"onnx/model.onnx", "onnx/model_bnb4.onnx",
                                                     "onnx/model_fp16.onnx", "onnx/model_int8.onnx",
                                                     "onnx/model_q4.onnx", "onnx/model_q4f16.onnx",
                                                     "onnx/model_quantized.onnx",
                                                     "onnx/model_uint8.onnx"});
    const json &q = m["quants"]["onnx/model_q4f16.onnx"];
    CHECK(keys(q) ==
          std::set<std::string>{"files", "status", "dtype", "hasExternalData", "fileSizes"});
    CHECK(q["status"] == "available");
    CHECK(q["dtype"] == "q4f16");
    CHECK(q["hasExternalData"] == false);
    // files: the graph plus every common file, as path strings, sorted.
    CHECK(q["files"] ==
          json::array({"added_tokens.json", "config.json", "generation_config.json", "merges.txt",
                       "onnx/model_q4f16.onnx", "special_tokens_map.json", "tokenizer.json",
                       "tokenizer_config.json", "vocab.json"}));
    CHECK(q["fileSizes"].size() == 9);
    CHECK(q["fileSizes"]["onnx/model_q4f16.onnx"] == 461 * listings::k_mib);
    CHECK(q["fileSizes"]["config.json"] == 900);
    const json &fp32 = m["quants"]["onnx/model.onnx"];
    CHECK(fp32["dtype"] == "fp32");
    CHECK(fp32["hasExternalData"] == true);
    CHECK(fp32["fileSizes"]["onnx/model.onnx_data"] == 1976 * listings::k_mib);
    CHECK(m["quants"]["onnx/model_quantized.onnx"]["dtype"] == "quantized");
    CHECK(m["quants"]["onnx/model_uint8.onnx"]["dtype"] == "uint8");
    CHECK(m["quants"]["onnx/model_int8.onnx"]["dtype"] == "int8");
    CHECK(m["quants"]["onnx/model_bnb4.onnx"]["dtype"] == "bnb4");
    CHECK(m["quants"]["onnx/model_q4.onnx"]["dtype"] == "q4");
    CHECK(m["quants"]["onnx/model_fp16.onnx"]["dtype"] == "fp16");
}

TEST_CASE("model: extension manifest keys encoder-decoder variants by decoder_model_merged") {
    auto m = extension_manifest(listings::whisper_tiny(), FakeCache{}.presence(), times());
    CHECK(m["quants"].size() == 8);
    CHECK(m["quants"].contains("onnx/decoder_model_merged_q4f16.onnx"));
    CHECK(m["quants"].contains("onnx/decoder_model_merged.onnx"));
    const json &q = m["quants"]["onnx/decoder_model_merged_q4.onnx"];
    CHECK(q["dtype"] == "q4");
    CHECK(q["files"].size() == 4 + 12);
    CHECK(q["fileSizes"].contains("onnx/encoder_model_q4.onnx"));
}

TEST_CASE("model: extension server_only threshold on external data") {
    auto make = [](std::uint64_t data) {
        return listings::make_listing("org/x", "text-generation",
                                  {{"onnx/model_q4f16.onnx", 1000},
                                   {"onnx/model_q4f16.onnx_data", data},
                                   {"tokenizer.json", 10}});
    };
    auto status_of = [&](std::uint64_t data, const ManifestOptions &o) {
        return extension_manifest(make(data), FakeCache{}.presence(),
                                  o)["quants"]["onnx/model_q4f16.onnx"]["status"];
    };
    const ManifestOptions o = times();
    CHECK(status_of(k_default_server_only_limit, o) == "available");
    CHECK(status_of(k_default_server_only_limit + 1, o) == "server_only");
    CHECK(k_default_server_only_limit == static_cast<std::uint64_t>(2.1 * 1024 * 1024 * 1024));
    ManifestOptions small = times();
    small.server_only_limit = 999;
    CHECK(status_of(1000, small) == "server_only");
    CHECK(status_of(999, small) == "available");
    SUBCASE("server_only outranks downloaded in the extension dialect, not in the native one") {
        auto l = make(k_default_server_only_limit + 1);
        FakeCache cache;
        for (const auto &f : l.files)
            cache.present(f.path);
        auto ext = extension_manifest(l, cache.presence(), o);
        CHECK(ext["quants"]["onnx/model_q4f16.onnx"]["status"] == "server_only");
        auto native = native_manifest(l, cache.presence(), o);
        CHECK(native["quants"]["q4f16"]["status"] == "downloaded");
    }
}

TEST_CASE("model: extension manifest statuses: downloaded, downloading, unsupported, not_found") {
    auto l = listings::make_listing("org/x", "feature-extraction",
                                {{"onnx/model.onnx", 100},
                                 {"onnx/model_O4.onnx", 100},
                                 {"onnx/model_fp16.onnx_data", 100},
                                 {"onnx/model_q4.onnx", 50},
                                 {"config.json", 5}});
    FakeCache cache;
    cache.present("onnx/model.onnx");
    cache.present("config.json");
    cache.states["onnx/model_q4.onnx"].downloading = true;
    auto m = extension_manifest(l, cache.presence(), times());
    CHECK(m["quants"]["onnx/model.onnx"]["status"] == "downloaded");
    CHECK(m["quants"]["onnx/model_q4.onnx"]["status"] == "downloading");
    CHECK(m["quants"]["onnx/model_O4.onnx"]["status"] == "unsupported");
    CHECK(m["quants"]["onnx/model_O4.onnx"]["dtype"] == "fp32");
    CHECK(m["quants"]["onnx/model_fp16.onnx"]["status"] == "not_found");
    // Keyed by the missing graph; only listed files appear in files/fileSizes.
    CHECK(m["quants"]["onnx/model_fp16.onnx"]["files"] ==
          json::array({"config.json", "onnx/model_fp16.onnx_data"}));
    CHECK_FALSE(m["quants"]["onnx/model_fp16.onnx"]["fileSizes"].contains("onnx/model_fp16.onnx"));
    // Native has no "unsupported": every variant can be downloaded.
    auto n = native_manifest(l, cache.presence(), times());
    CHECK(n["quants"]["O4"]["status"] == "available");
}

TEST_CASE("model: extension manifest lists GGUF by file with the tag as dtype") {
    auto m = extension_manifest(listings::unsloth_qwen3(), FakeCache{}.presence(), times());
    CHECK(keys(m["quants"]) ==
          std::set<std::string>{"BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf",
                                "Qwen3-30B-A3B-Q4_K_M.gguf", "Qwen3-30B-A3B-Q8_0.gguf",
                                "Qwen3-30B-A3B-UD-IQ1_S.gguf", "Qwen3-30B-A3B-UD-Q4_K_XL.gguf"});
    const json &bf16 = m["quants"]["BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf"];
    CHECK(bf16["dtype"] == "BF16");
    CHECK(bf16["hasExternalData"] == false);
    CHECK(bf16["files"] ==
          json::array({"BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf",
                       "BF16/Qwen3-30B-A3B-BF16-00002-of-00002.gguf", "config.json"}));
    CHECK(bf16["status"] == "available"); // 61 GiB, but the limit is about ONNX external data
    CHECK(m["quants"]["Qwen3-30B-A3B-UD-Q4_K_XL.gguf"]["dtype"] == "Q4_K_XL");
}

TEST_CASE("model: extension manifest leaves out mmproj, safetensors and pytorch") {
    auto ggml = extension_manifest(listings::ggml_org_qwen(), FakeCache{}.presence(), times());
    CHECK(keys(ggml["quants"]) == std::set<std::string>{"qwen2.5-1.5b-instruct-f16.gguf",
                                                        "qwen2.5-1.5b-instruct-q4_k_m.gguf",
                                                        "qwen2.5-1.5b-instruct-q8_0.gguf"});
    auto gpt2 = extension_manifest(listings::tiny_random_gpt2(), FakeCache{}.presence(), times());
    CHECK(gpt2["quants"].empty());
    CHECK(gpt2["quants"].is_object());
    auto native = native_manifest(listings::ggml_org_qwen(), FakeCache{}.presence(), times());
    CHECK(native["quants"].contains("mmproj-F16"));
    CHECK(native["quants"]["mmproj-F16"]["family"] == "mmproj");
}

TEST_CASE("model: folder-layout ONNX variants in the extension dialect") {
    auto m = extension_manifest(listings::phi3_onnx(), FakeCache{}.presence(), times());
    CHECK(m["quants"].size() == 5);
    const json &cuda = m["quants"]["cuda/cuda-fp16/phi3-mini-4k-instruct-cuda-fp16.onnx"];
    CHECK(cuda["dtype"] == "fp16");
    CHECK(cuda["status"] == "server_only");
    CHECK(cuda["files"].size() == 9);
    const json &dml = m["quants"]["directml/directml-int4-awq-block-128/model.onnx"];
    CHECK(dml["status"] == "available");
    CHECK(dml["hasExternalData"] == true);
}
