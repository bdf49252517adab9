#include "core/platform/console.hpp"
#include "host/framing.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace tabagent::host;

namespace {
// Feeds `bytes` through a pipe and returns every ReadResult until the stream ends.
std::vector<ReadResult> read_all(const std::string& bytes, std::uint32_t limit = k_default_max_input_bytes) {
    auto pipe = tabagent::platform::open_pipe();
    REQUIRE(pipe);
    std::thread feeder([&] {
        (void)tabagent::platform::write_all(pipe->write_end.get(), bytes);
        pipe->write_end.reset(); // the end of the stream
    });
    FrameReader reader(pipe->read_end.get(), limit);
    std::vector<ReadResult> out;
    while (true) {
        auto r = reader.next();
        auto kind = r.kind;
        out.push_back(std::move(r));
        if (kind != ReadResult::Kind::frame) break;
    }
    feeder.join();
    return out;
}

std::string header(std::uint32_t len) {
    std::string h(4, '\0');
    std::memcpy(h.data(), &len, 4);
    return h;
}
} // namespace

TEST_CASE("framing: encode uses a native-endian length prefix") {
    auto f = encode_frame("{}");
    REQUIRE(f.size() == 6);
    std::uint32_t len = 0;
    std::memcpy(&len, f.data(), 4);
    CHECK(len == 2);
    CHECK(f.substr(4) == "{}");
}

TEST_CASE("framing: frames round-trip, then a clean EOF") {
    auto r = read_all(encode_frame("{\"a\":1}") + encode_frame("") + encode_frame("[]"));
    REQUIRE(r.size() == 4);
    CHECK(r[0].body == "{\"a\":1}");
    CHECK(r[1].kind == ReadResult::Kind::frame);
    CHECK(r[1].body.empty());
    CHECK(r[2].body == "[]");
    CHECK(r[3].kind == ReadResult::Kind::eof);
}

TEST_CASE("framing: a length over the limit is refused before any allocation") {
    auto r = read_all(header(0xFFFFFFFFu));
    REQUIRE(r.size() == 1);
    CHECK(r[0].kind == ReadResult::Kind::too_large);
    CHECK(r[0].declared == 0xFFFFFFFFu);
    CHECK(r[0].body.capacity() < 1024);

    auto small = read_all(header(11) + "hello world", 10);
    CHECK(small[0].kind == ReadResult::Kind::too_large);
}

TEST_CASE("framing: truncated header and truncated body are reported as such") {
    CHECK(read_all(std::string("\x05\x00", 2))[0].kind == ReadResult::Kind::truncated);
    auto r = read_all(header(100) + "only a little");
    CHECK(r[0].kind == ReadResult::Kind::truncated);
    // A body that claims 60 MiB but sends 10 bytes does not hold 60 MiB of memory.
    auto big = read_all(header(60u << 20) + "0123456789");
    CHECK(big[0].kind == ReadResult::Kind::truncated);
    CHECK(big[0].body.capacity() <= (2u << 20));
}

TEST_CASE("framing: CR, LF and ^Z bytes in lengths and bodies pass through untouched") {
    // A C runtime in text mode (Windows' default for stdin/stdout) turns "\n" into "\r\n" on
    // output, drops "\r" before "\n" and stops at ^Z on input: each would corrupt a frame. The
    // reader goes through platform::read_some (the OS handle), the pipe is in binary mode.
    std::string body = "{\"a\":\"x\"}\r\n\x1a\n\r";
    body.resize(0x0A0D, ' '); // the length's bytes are 0D 0A 00 00
    const std::string second = "\n";
    auto results = read_all(encode_frame(body) + encode_frame(second));
    REQUIRE(results.size() == 3);
    CHECK(results[0].kind == ReadResult::Kind::frame);
    CHECK(results[0].body == body);
    CHECK(results[1].body == second);
    CHECK(results[2].kind == ReadResult::Kind::eof);
}
