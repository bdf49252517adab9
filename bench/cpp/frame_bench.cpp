// Host-side cost of a get_file reply frame: frames per second for 700 KiB chunks read from a file
// (in the page cache after the first pass), the generic path (read buffer, base64 string,
// nlohmann::json payload, dump, copy behind the length prefix; the per-character base64 encoder
// main had before issue 15 item 5) against host::DataReplyFrame (one buffer, read in place, table
// base64, envelope by hand). Also the stages of the generic path alone. Not a test; see bench/README.md.
//
//   cmake --build --preset ci --target frame_bench
//   build/ci/bench/cpp/frame_bench [--file PATH] [--mib 64] [--seconds 2] [--runs 5]
#include "core/platform/file.hpp"
#include "core/util/base64.hpp"
#include "host/data_frame.hpp"
#include "host/envelope.hpp"
#include "host/framing.hpp"
#include "host/writer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace tabagent;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t k_chunk = 700 * 1024;

// main's encoder before this change, kept here as the "before" of the comparison.
std::string old_base64(const void* data, std::size_t size) {
    static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto* in = static_cast<const unsigned char*>(data);
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < size; i += 3) {
        unsigned v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += k_alphabet[(v >> 6) & 63];
        out += k_alphabet[v & 63];
    }
    if (i < size) {
        unsigned v = in[i] << 16;
        if (i + 1 < size) v |= in[i + 1] << 8;
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += i + 1 < size ? k_alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::size_t read_at(const platform::File& f, std::span<std::byte> buf, std::uint64_t offset) {
    std::size_t got = 0;
    while (got < buf.size()) {
        auto n = f.pread_some(buf.subspan(got), offset + got);
        if (!n || *n == 0) break;
        got += *n;
    }
    return got;
}

struct Frame {
    std::size_t bytes = 0; // frame size, to keep the work observable
};

// The generic path, as host.cpp ran it for get_file before: handler, success_reply, send_reply.
Frame generic(const platform::File& f, std::uint64_t offset, std::uint64_t size, bool new_base64) {
    std::vector<std::byte> buffer(std::min<std::uint64_t>(k_chunk, size - offset));
    std::size_t got = read_at(f, buffer, offset);
    std::string b64 = new_base64 ? util::base64_encode(buffer.data(), got) : old_base64(buffer.data(), got);
    host::RequestId id{"messageId", "b12"};
    host::Reply r = host::payload_reply({{"data", std::move(b64)},
                                         {"offset", offset},
                                         {"length", got},
                                         {"size", size},
                                         {"eof", offset + got >= size}});
    nlohmann::json reply = host::success_reply(id, std::move(r));
    std::string frame = host::encode_frame(host::FrameWriter::serialize(reply));
    return {frame.size()};
}

Frame direct(const platform::File& f, std::uint64_t offset, std::uint64_t size) {
    std::size_t want = std::min<std::uint64_t>(k_chunk, size - offset);
    host::RequestId id{"messageId", "b12"};
    host::DataReplyFrame frame(id, want);
    std::size_t got = read_at(f, frame.raw_area(want), offset);
    std::string out = std::move(frame).finish({offset, got, size, offset + got >= size});
    return {out.size()};
}

// Stages of the generic path, each alone on one in-memory chunk.
Frame stage(const std::string& which, const std::vector<std::byte>& chunk, const std::string& b64) {
    if (which == "base64 (old)") return {old_base64(chunk.data(), chunk.size()).size()};
    if (which == "base64 (table)") return {util::base64_encode(chunk.data(), chunk.size()).size()};
    nlohmann::json j = {{"messageId", "b12"}, {"status", "success"}, {"payload", {{"data", b64}, {"eof", false}}}};
    if (which == "json dump (incl. copying data in)") return {host::FrameWriter::serialize(j).size()};
    return {host::encode_frame(b64).size()}; // "encode_frame copy"
}

double median(std::vector<double> xs) {
    std::sort(xs.begin(), xs.end());
    std::size_t m = xs.size() / 2;
    return xs.size() % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

// Frames per second of `one` over `seconds`, `runs` times: median, min, max.
void measure(const char* name, double seconds, int runs, const std::function<Frame(std::uint64_t)>& one) {
    std::vector<double> rates;
    std::size_t sink = 0;
    for (int r = 0; r < runs; ++r) {
        auto t0 = Clock::now();
        std::uint64_t n = 0;
        double elapsed = 0;
        do {
            sink += one(n++).bytes;
            elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        } while (elapsed < seconds);
        rates.push_back(static_cast<double>(n) / elapsed);
    }
    double med = median(rates);
    std::printf("| %s | %.0f | %.0f | %.0f | %.2f ms | %.0f |\n", name, med, *std::min_element(rates.begin(), rates.end()),
                *std::max_element(rates.begin(), rates.end()), 1000.0 / med, med * k_chunk / 1e6);
    if (sink == 42) std::puts(""); // keeps the frames alive to the optimiser
}

} // namespace

int main(int argc, char** argv) {
    std::filesystem::path file;
    std::uint64_t mib = 64;
    double seconds = 2;
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--file") file = argv[i + 1];
        else if (a == "--mib") mib = std::stoull(argv[i + 1]);
        else if (a == "--seconds") seconds = std::stod(argv[i + 1]);
        else if (a == "--runs") runs = std::stoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: frame_bench [--file PATH] [--mib 64] [--seconds 2] [--runs 5]\n");
            return 2;
        }
    }
    bool made = file.empty();
    if (made) {
        file = std::filesystem::temp_directory_path() / "tabagent_frame_bench.bin";
        std::ofstream out(file, std::ios::binary);
        std::mt19937_64 rng(1);
        std::vector<std::uint64_t> block(1 << 17);
        for (std::uint64_t i = 0; i < mib; ++i) { // 1 MiB a block
            for (auto& w : block) w = rng();
            out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(block.size() * 8));
        }
    }
    auto f = platform::File::open_read(file);
    if (!f) {
        std::fprintf(stderr, "cannot open %s\n", file.string().c_str());
        return 1;
    }
    std::uint64_t size = *f->size();
    std::uint64_t chunks = (size + k_chunk - 1) / k_chunk;
    auto offset_of = [&](std::uint64_t n) { return (n % chunks) * k_chunk; };

    std::printf("frame_bench: %s, %.0f MiB, 700 KiB chunks, %d runs of %.1f s each\n", file.string().c_str(),
                static_cast<double>(size) / (1 << 20), runs, seconds);
    std::printf("| path | frames/s median | min | max | per frame | MB/s of file data |\n|---|---:|---:|---:|---:|---:|\n");
    measure("generic: json + old base64 (main before)", seconds, runs,
            [&](std::uint64_t n) { return generic(*f, offset_of(n), size, false); });
    measure("generic: json + table base64", seconds, runs,
            [&](std::uint64_t n) { return generic(*f, offset_of(n), size, true); });
    measure("DataReplyFrame (one buffer, in place)", seconds, runs,
            [&](std::uint64_t n) { return direct(*f, offset_of(n), size); });

    std::vector<std::byte> chunk(k_chunk);
    read_at(*f, chunk, 0);
    std::string b64 = util::base64_encode(chunk.data(), chunk.size());
    for (const char* s : {"base64 (old)", "base64 (table)", "json dump (incl. copying data in)", "encode_frame copy"})
        measure(s, seconds / 2, runs, [&](std::uint64_t) { return stage(s, chunk, b64); });
    std::vector<std::byte> buf(k_chunk);
    measure("pread 700 KiB (page cache)", seconds / 2, runs,
            [&](std::uint64_t n) { return Frame{read_at(*f, buf, offset_of(n))}; });
    if (made) std::filesystem::remove(file);
    return 0;
}
