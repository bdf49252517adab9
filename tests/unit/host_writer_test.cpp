#include "host/envelope.hpp"
#include "core/util/base64.hpp"
#include "host/data_frame.hpp"
#include "host/framing.hpp"
#include "host/router.hpp"
#include "host/writer.hpp"
#include "host/context.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <mutex>
#include <random>
#include <vector>

using namespace tabagent;
using namespace tabagent::host;

namespace {
struct CapturedFrames {
    std::mutex mutex;
    std::vector<nlohmann::json> frames;
    std::size_t max_frame = 0;
    FrameWriter::Sink sink() {
        return [this](std::string_view f) {
            std::lock_guard lock(mutex);
            std::uint32_t len = 0;
            std::memcpy(&len, f.data(), 4);
            REQUIRE(len == f.size() - 4);
            max_frame = std::max<std::size_t>(max_frame, f.size() - 4);
            frames.push_back(nlohmann::json::parse(f.substr(4)));
            return true;
        };
    }
};
} // namespace

TEST_CASE("writer: frames leave in the order they were queued") {
    CapturedFrames cap;
    {
        FrameWriter w(cap.sink());
        RequestId id{"messageId", "m1"};
        w.send_reply(id, success_reply(id, Reply{}));
        w.send_event(make_event("modelWorkerLoadingProgress", {{"status", "initiate"}}));
        w.flush();
    }
    REQUIRE(cap.frames.size() == 2);
    CHECK(cap.frames[0]["messageId"] == "m1");
    CHECK(cap.frames[1]["type"] == "modelWorkerLoadingProgress");
    CHECK_FALSE(cap.frames[1].contains("messageId"));
}

TEST_CASE("writer: a reply over 1 MiB becomes REPLY_TOO_LARGE; an oversized event is dropped") {
    CapturedFrames cap;
    FrameWriter w(cap.sink());
    RequestId id{"messageId", "big"};
    Reply r;
    r.payload = {{"data", std::string(1024 * 1024, 'x')}};
    w.send_reply(id, success_reply(id, r));
    w.send_event(make_event("x", {{"data", std::string(2 * 1024 * 1024, 'y')}}));
    w.flush();
    REQUIRE(cap.frames.size() == 1);
    CHECK(cap.frames[0]["messageId"] == "big");
    CHECK(cap.frames[0]["status"] == "error");
    CHECK(cap.frames[0]["error"]["code"] == "REPLY_TOO_LARGE");
    CHECK(cap.max_frame <= 1024 * 1024);
}

TEST_CASE("writer: a frame of exactly the limit is still sent") {
    CapturedFrames cap;
    FrameWriter w(cap.sink());
    RequestId id{"messageId", "edge"};
    Reply r;
    Reply empty;
    empty.payload = {{"d", ""}};
    std::string probe = FrameWriter::serialize(success_reply(id, empty));
    r.payload = {{"d", std::string(1024 * 1024 - probe.size(), 'x')}};
    w.send_reply(id, success_reply(id, r));
    w.flush();
    REQUIRE(cap.frames.size() == 1);
    CHECK(cap.frames[0]["status"] == "success");
    CHECK(cap.max_frame == 1024 * 1024);
}

TEST_CASE("writer: a gone peer stops the writer without blocking flush") {
    int calls = 0;
    FrameWriter w([&](std::string_view) { ++calls; return false; });
    RequestId id;
    w.send_reply(id, success_reply(id, Reply{}));
    w.flush();
    CHECK(w.peer_gone());
    w.send_reply(id, success_reply(id, Reply{}));
    w.flush();
    CHECK(calls == 1);
}

TEST_CASE("router: unknown handlers are absent, exceptions become error replies") {
    Router router;
    router.add("boom", [](const Request& req, HostContext&) -> Result<Reply> {
        (void)req.body.at("missing").get<int>();
        return Reply{};
    });
    router.add("fails", [](const Request&, HostContext&) -> Result<Reply> {
        return fail(ErrorCode::not_found, "nothing here");
    });
    router.add("auth", [](const Request&, HostContext&) -> Result<Reply> {
        return fail(ErrorCode::auth_required, "gated", {{"repo", "o/n"}});
    });
    CHECK(router.find("nope") == nullptr);
    HostContext ctx;
    Request req{"boom", {"messageId", "b"}, {{"action", "boom"}}};
    auto reply = Router::dispatch(*router.find("boom"), req, ctx).reply;
    CHECK(reply["status"] == "error");
    CHECK(reply["error"]["code"] == "BAD_REQUEST");
    CHECK(reply["messageId"] == "b");

    req.action = "fails";
    reply = Router::dispatch(*router.find("fails"), req, ctx).reply;
    CHECK(reply["error"]["code"] == "NOT_FOUND");
    CHECK(reply["message"] == "nothing here");
    CHECK_FALSE(reply.contains("type"));

    reply = Router::dispatch(*router.find("auth"), req, ctx).reply;
    CHECK(reply["status"] == "auth_required");
    CHECK(reply["provider"] == "huggingface");
    CHECK(reply["repo"] == "o/n");
    CHECK(reply["instructions"].contains("step4"));
}

// get_file's frame (host/data_frame.hpp) and the base64 encoder it uses.

namespace {

// The textbook encoder, one character at a time: the reference the table-driven one must match.
std::string frame_test_textbook_base64(const std::vector<unsigned char>& in) {
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        unsigned v = in[i] << 16;
        if (i + 1 < in.size()) v |= in[i + 1] << 8;
        if (i + 2 < in.size()) v |= in[i + 2];
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += i + 1 < in.size() ? abc[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? abc[v & 63] : '=';
    }
    return out;
}

std::vector<unsigned char> frame_test_unbase64(const std::string& s) {
    auto val = [](char c) -> unsigned {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        FAIL("not base64: " << c);
        return 0;
    };
    std::vector<unsigned char> out;
    REQUIRE(s.size() % 4 == 0);
    for (std::size_t i = 0; i < s.size(); i += 4) {
        unsigned v = val(s[i]) << 18 | val(s[i + 1]) << 12;
        if (s[i + 2] != '=') v |= val(s[i + 2]) << 6;
        if (s[i + 3] != '=') v |= val(s[i + 3]);
        out.push_back(static_cast<unsigned char>(v >> 16));
        if (s[i + 2] != '=') out.push_back(static_cast<unsigned char>(v >> 8));
        if (s[i + 3] != '=') out.push_back(static_cast<unsigned char>(v));
    }
    return out;
}

std::vector<unsigned char> frame_test_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<unsigned char> v(n);
    for (auto& b : v) b = static_cast<unsigned char>(rng());
    return v;
}

// What the generic path sends for the same chunk.
std::string frame_test_generic(const RequestId& id, const std::vector<unsigned char>& data, const DataFrameFields& f) {
    tabagent::host::Reply r = tabagent::host::payload_reply({{"data", util::base64_encode(data.data(), data.size())},
                             {"offset", f.offset},
                             {"length", f.length},
                             {"size", f.size},
                             {"eof", f.eof}});
    return tabagent::host::encode_frame(
        tabagent::host::FrameWriter::serialize(tabagent::host::success_reply(id, std::move(r))));
}

std::string frame_test_direct(const RequestId& id, const std::vector<unsigned char>& data, std::size_t area,
                         const DataFrameFields& f) {
    DataReplyFrame frame(id, area);
    auto raw = frame.raw_area(area);
    REQUIRE(raw.size() == area);
    if (!data.empty()) // memcpy from an empty vector's null data() is undefined, even for 0 bytes
        std::memcpy(raw.data(), data.data(), data.size()); // a read of data.size() <= area bytes
    return std::move(frame).finish(f);
}

} // namespace

TEST_CASE("base64: the RFC 4648 vectors") {
    auto enc = [](std::string_view s) { return util::base64_encode(s.data(), s.size()); };
    CHECK(enc("") == "");
    CHECK(enc("f") == "Zg==");
    CHECK(enc("fo") == "Zm8=");
    CHECK(enc("foo") == "Zm9v");
    CHECK(enc("foob") == "Zm9vYg==");
    CHECK(enc("fooba") == "Zm9vYmE=");
    CHECK(enc("foobar") == "Zm9vYmFy");
    CHECK(enc(std::string_view("\xff\xfe\xfd\xfc\xfb\xfa\x00\x01", 8)) == "//79/Pv6AAE=");
}

TEST_CASE("base64: matches the textbook encoder and round-trips, every length 0..200 and 700 KiB") {
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 200; ++n) sizes.push_back(n);
    sizes.push_back(700 * 1024);
    sizes.push_back(700 * 1024 - 1);
    for (auto n : sizes) {
        CAPTURE(n);
        auto data = frame_test_bytes(n, static_cast<unsigned>(n));
        auto text = util::base64_encode(data.data(), data.size());
        CHECK(text.size() == util::base64_encoded_size(n));
        CHECK(text == frame_test_textbook_base64(data));
        CHECK(frame_test_unbase64(text) == data);
    }
}

TEST_CASE("base64: encoding in place, the input at the tail of the output area") {
    for (std::size_t n : {0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 100, 101, 102, 700 * 1024}) {
        CAPTURE(n);
        auto data = frame_test_bytes(n, static_cast<unsigned>(n) + 7);
        std::string area(util::base64_encoded_size(n), '\0');
        if (n > 0) std::memcpy(area.data() + area.size() - n, data.data(), n); // null data() when empty
        CHECK(util::base64_encode_to(area.data() + area.size() - n, n, area.data()) == area.size());
        CHECK(area == frame_test_textbook_base64(data));
    }
}

TEST_CASE("data frame: the same bytes as the generic reply path") {
    std::vector<RequestId> ids = {
        {"messageId", "m1"},
        {"messageId", 42},
        {"messageId", nullptr},
        {"messageId", "quote\" backslash\\ \xc3\xa9 ctl\x01"},
        {"messageId", "bad utf-8 \xff\xfe"},
        {"request_id", "r-7"},
        {"request_id", 3.5},
    };
    for (const auto& id : ids) {
        for (std::size_t n : {0, 1, 2, 3, 4, 5, 6, 1000, 700 * 1024}) {
            CAPTURE(id.value.dump());
            CAPTURE(n);
            auto data = frame_test_bytes(n, static_cast<unsigned>(n) + 11);
            DataFrameFields f{.offset = 123456789012ull, .length = n, .size = 18446744073709551615ull, .eof = n % 2 == 0};
            CHECK(frame_test_direct(id, data, n, f) == frame_test_generic(id, data, f));
        }
    }
}

TEST_CASE("data frame: a short read (fewer bytes than the area asked for) still frames exactly") {
    RequestId id{"messageId", "short"};
    for (std::size_t area : {1, 2, 3, 10, 700 * 1024}) {
        for (std::size_t got : {std::size_t{0}, area / 2, area - 1}) {
            CAPTURE(area);
            CAPTURE(got);
            auto data = frame_test_bytes(got, static_cast<unsigned>(area + got));
            DataFrameFields f{.offset = 0, .length = got, .size = got, .eof = true};
            std::string frame = frame_test_direct(id, data, area, f);
            CHECK(frame == frame_test_generic(id, data, f));
            auto parsed = nlohmann::json::parse(frame.substr(4));
            CHECK(frame_test_unbase64(parsed["payload"]["data"].get<std::string>()) == data);
        }
    }
}

TEST_CASE("data frame: a 700 KiB chunk fits the 1 MiB frame limit") {
    RequestId id{"messageId", std::string(64, 'x')};
    auto data = frame_test_bytes(700 * 1024, 1);
    std::string frame = frame_test_direct(id, data, data.size(), {.offset = 0, .length = data.size(), .size = data.size(), .eof = true});
    std::uint32_t len = 0;
    std::memcpy(&len, frame.data(), 4);
    CHECK(len == frame.size() - 4);
    CHECK(len <= tabagent::host::k_max_output_frame_bytes);
}
