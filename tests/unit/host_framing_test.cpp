#include "host/framing.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>
#include <unistd.h>

using namespace tabagent::host;

namespace {
// Feeds `bytes` through a pipe and returns every ReadResult until the stream ends.
std::vector<ReadResult> read_all(const std::string& bytes, std::uint32_t limit = k_default_max_input_bytes) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::thread feeder([&] {
        std::size_t off = 0;
        while (off < bytes.size()) {
            auto n = write(fds[1], bytes.data() + off, bytes.size() - off);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        close(fds[1]);
    });
    FrameReader reader(fds[0], limit);
    std::vector<ReadResult> out;
    while (true) {
        auto r = reader.next();
        auto kind = r.kind;
        out.push_back(std::move(r));
        if (kind != ReadResult::Kind::frame) break;
    }
    feeder.join();
    close(fds[0]);
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
