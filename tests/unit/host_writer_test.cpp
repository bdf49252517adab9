#include "host/envelope.hpp"
#include "host/router.hpp"
#include "host/writer.hpp"
#include "host/context.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <mutex>

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
