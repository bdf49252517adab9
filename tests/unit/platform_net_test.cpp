// platform/net.hpp and the loopback HTTP server on both sides of the seam (unit_tests natively and
// unit_tests.exe under Wine): listen and connect on 127.0.0.1, exchange bytes, send a file range
// (sendfile / TransmitFile), wake a waiting poll, a peer that closed is an error and not a crash,
// and a real HTTP request for a file.
#include "core/platform/net.hpp"
#include "host/http/server.hpp"
#include "host/http/socket_io.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <thread>

using namespace tabagent;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace http = tabagent::host::http;

namespace {

// Longer than any step here takes: only a hang fails on it.
constexpr auto k_guard = std::chrono::milliseconds(30s);

std::string pattern(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

class TempFile {
public:
    explicit TempFile(const std::string& content) {
        std::random_device random;
        m_path = fs::temp_directory_path() / ("tabagent-net-test-" + std::to_string(random()) + ".bin");
        std::ofstream(m_path, std::ios::binary) << content;
    }
    ~TempFile() {
        std::error_code ec;
        fs::remove(m_path, ec);
    }
    const fs::path& path() const { return m_path; }

private:
    fs::path m_path;
};

struct Pair {
    platform::Socket server; // accepted: non-blocking
    platform::Socket client; // blocking
};

Pair connected_pair() {
    auto listener = platform::listen_loopback(4);
    REQUIRE(listener);
    REQUIRE(listener->port > 0);
    auto client = platform::connect_loopback(listener->port);
    REQUIRE(client);
    platform::PollItem item{listener->socket.native(), platform::k_readable, 0};
    auto n = platform::poll(std::span(&item, 1), k_guard);
    REQUIRE((n && *n == 1));
    auto server = platform::accept(listener->socket);
    REQUIRE(server);
    REQUIRE(*server);
    return Pair{std::move(*server), std::move(*client)};
}

// Reads from a blocking socket until `n` bytes or the end.
std::string read_n(const platform::Socket& s, std::size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
        auto r = platform::recv_some(s, std::span<char>(buf, std::min(sizeof buf, n - out.size())));
        if (r.state != platform::IoState::ok) break;
        out.append(buf, r.bytes);
    }
    return out;
}

std::string read_to_end(const platform::Socket& s) {
    std::string out;
    char buf[65536];
    while (true) {
        auto r = platform::recv_some(s, buf);
        if (r.state != platform::IoState::ok) return out;
        out.append(buf, r.bytes);
    }
}

} // namespace

TEST_CASE("net: a loopback listener accepts a client and both sides exchange bytes") {
    platform::Waker wake;
    REQUIRE(wake.open());
    auto [server, client] = connected_pair();
    REQUIRE(http::send_all(client, "ping", false, wake, k_guard) == http::Io::ok);
    std::string got(4, '\0');
    std::size_t n = 0, total = 0;
    while (total < 4) {
        REQUIRE(http::receive_some(server, got.data() + total, 4 - total, n, wake, http::Clock::now() + k_guard) ==
                http::Io::ok);
        total += n;
    }
    CHECK(got == "ping");
    REQUIRE(http::send_all(server, "pong!", false, wake, k_guard) == http::Io::ok);
    CHECK(read_n(client, 5) == "pong!");
    // Nothing more to read on the non-blocking side: would_block, not an error.
    char byte = 0;
    CHECK(platform::recv_some(server, std::span<char>(&byte, 1)).state == platform::IoState::would_block);
    CHECK_FALSE(platform::peer_gone(server));
}

TEST_CASE("net: send_file sends exactly the asked range of a file") {
    platform::Waker wake;
    REQUIRE(wake.open());
    const std::string content = pattern(3 * 1024 * 1024 + 4321); // several TransmitFile steps
    TempFile file(content);
    auto source = platform::open_file_to_send(file.path());
    REQUIRE(source);
    CHECK(source->size() == content.size());
    auto [server, client] = connected_pair();
    const std::uint64_t offset = 12345, length = content.size() - offset - 99;
    auto reader = std::async(std::launch::async, [&client = client, length] { return read_n(client, length); });
    CHECK(http::send_file_range(server, source->native(), offset, length, wake, k_guard) == http::Io::ok);
    CHECK(reader.get() == content.substr(offset, length));
    MESSAGE("send_file method: ", platform::send_file_method());

    SUBCASE("a range past the end of the file is an error") {
        CHECK(http::send_file_range(server, source->native(), content.size() - 10, 20, wake, k_guard) ==
              http::Io::closed);
    }
    SUBCASE("a missing file or a folder is NOT_FOUND") {
        auto missing = platform::open_file_to_send(file.path().string() + ".missing");
        REQUIRE_FALSE(missing);
        CHECK(missing.error().code == ErrorCode::not_found);
        auto folder = platform::open_file_to_send(fs::temp_directory_path());
        REQUIRE_FALSE(folder);
        CHECK(folder.error().code == ErrorCode::not_found);
    }
}

TEST_CASE("net: the copying fallback (pread or ReadFile + send) sends exactly the asked range too") {
    platform::set_send_file_copies(true);
    struct Restore {
        ~Restore() { platform::set_send_file_copies(false); }
    } restore;
    CHECK((platform::send_file_method() == "pread+send" || platform::send_file_method() == "ReadFile+send"));
    platform::Waker wake;
    REQUIRE(wake.open());
    const std::string content = pattern(1024 * 1024 + 777); // many buffers of the copy
    TempFile file(content);
    auto source = platform::open_file_to_send(file.path());
    REQUIRE(source);
    auto [server, client] = connected_pair();
    const std::uint64_t offset = 70000, length = content.size() - offset - 5;
    auto reader = std::async(std::launch::async, [&client = client, length] { return read_n(client, length); });
    CHECK(http::send_file_range(server, source->native(), offset, length, wake, k_guard) == http::Io::ok);
    CHECK(reader.get() == content.substr(offset, length));
    CHECK(http::send_file_range(server, source->native(), content.size() - 10, 20, wake, k_guard) == http::Io::closed);
}

TEST_CASE("net: raising the waker ends a poll and a stalled file send") {
    platform::Waker wake;
    REQUIRE(wake.open());
    auto [server, client] = connected_pair();
    SUBCASE("a poll waiting without a timeout") {
        auto waiter = std::async(std::launch::async, [&wake, &server = server] {
            platform::PollItem items[2] = {{server.native(), platform::k_readable, 0},
                                           {wake.pollable(), platform::k_readable, 0}};
            auto n = platform::poll(items, std::chrono::milliseconds(-1));
            return n && *n == 1 && items[1].got == platform::k_readable && items[0].got == 0;
        });
        wake.raise();
        wake.raise(); // idempotent
        REQUIRE(waiter.wait_for(k_guard) == std::future_status::ready);
        CHECK(waiter.get());
        CHECK(wake.raised());
    }
    SUBCASE("a file send to a client that stopped reading") {
        const std::string content = pattern(64 * 1024 * 1024); // far more than the socket buffers
        TempFile file(content);
        auto source = platform::open_file_to_send(file.path());
        REQUIRE(source);
        auto sender = std::async(std::launch::async, [&, &server = server] {  // a binding: named capture
            return http::send_file_range(server, source->native(), 0, content.size(), wake, std::chrono::minutes(10));
        });
        CHECK(read_n(client, 1000) == content.substr(0, 1000)); // then reads nothing more
        wake.raise();
        REQUIRE(sender.wait_for(k_guard) == std::future_status::ready);
        CHECK(sender.get() == http::Io::stopped);
    }
}

TEST_CASE("net: a peer that closed is an error to the other side, not a crash") {
    platform::Waker wake;
    REQUIRE(wake.open());
    auto [server, client] = connected_pair();
    client.reset();
    // The close reaches the server side as an orderly end of the stream.
    char byte = 0;
    std::size_t n = 0;
    CHECK(http::receive_some(server, &byte, 1, n, wake, http::Clock::now() + k_guard) == http::Io::closed);
    CHECK(platform::peer_gone(server));
    // Sending into it fails (at once or after the peer's reset arrives) rather than raising a signal.
    const std::string block(256 * 1024, 'x');
    http::Io io = http::Io::ok;
    for (int i = 0; i < 1000 && io == http::Io::ok; ++i) io = http::send_all(server, block, false, wake, k_guard);
    CHECK(io == http::Io::closed);
    TempFile file(pattern(1024 * 1024));
    auto source = platform::open_file_to_send(file.path());
    REQUIRE(source);
    CHECK(http::send_file_range(server, source->native(), 0, source->size(), wake, k_guard) != http::Io::ok);
}

TEST_CASE("net: the loopback HTTP server answers a real request with a file") {
    const std::string content = pattern(2 * 1024 * 1024 + 17);
    TempFile file(content);
    http::Server server(
        [&file](const http::Request& req, http::Response& res) {
            if (req.target() != "/file") return void(res.status = 404);
            auto source = platform::open_file_to_send(file.path());
            if (!source) return void(res.status = 500);
            const std::uint64_t size = source->size();
            res.set_header("Content-Type", "application/octet-stream");
            if (req.has_header("Range")) { // the test asks for bytes=100-199 only
                res.status = 206;
                res.set_header("Content-Range", "bytes 100-199/" + std::to_string(size));
                return res.set_file(std::move(*source), 100, 100);
            }
            res.set_file(std::move(*source), 0, size);
        },
        http::Server::Options{});
    auto port = server.start();
    REQUIRE(port);
    auto client = platform::connect_loopback(*port);
    REQUIRE(client);
    platform::Waker wake;
    REQUIRE(wake.open());
    const std::string request = "GET /file HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                "GET /file HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=100-199\r\n\r\n"
                                "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    REQUIRE(http::send_all(*client, request, false, wake, k_guard) == http::Io::ok);
    const std::string all = read_to_end(*client);
    const std::string head1 = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                              std::to_string(content.size()) + "\r\n\r\n";
    REQUIRE(all.size() > head1.size() + content.size());
    CHECK(all.substr(0, head1.size()) == head1);
    CHECK(all.substr(head1.size(), content.size()) == content);
    const std::string rest = all.substr(head1.size() + content.size());
    const std::string head2 = "HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\n"
                              "Content-Range: bytes 100-199/" + std::to_string(content.size()) +
                              "\r\nContent-Length: 100\r\n\r\n";
    CHECK(rest.substr(0, head2.size() + 100) == head2 + content.substr(100, 100));
    CHECK(rest.substr(head2.size() + 100) == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    server.stop();
    CHECK_FALSE(platform::connect_loopback(*port)); // the listener is gone
}
