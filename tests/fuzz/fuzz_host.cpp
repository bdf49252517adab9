// libFuzzer target over the host's whole request path: the input is a byte stream read by
// FrameReader (from a memfd, so any length works), each frame goes through parse_request and the
// real router (register_all_actions), offline, against a small cache in a temp dir that holds a
// planted escape (snapshot links pointing outside the cache). Besides crashes and sanitizer
// reports it aborts when a reply breaks the envelope or when bytes from outside the cache leak.
#include "core/cache/fs_detail.hpp"
#include "core/util/hash.hpp"
#include "host/actions.hpp"
#include "host/context.hpp"
#include "host/framing.hpp"
#include "host/request.hpp"
#include "host/router.hpp"
#include "host/services.hpp"
#include "host/writer.hpp"

#include <spdlog/spdlog.h>

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using namespace tabagent;
using namespace tabagent::host;

namespace {

constexpr char k_commit[] = "0123456789abcdef0123456789abcdef01234567";
constexpr unsigned char k_secret_byte = 0xA5; // the file outside the cache is made of this byte

[[noreturn]] void die(const std::string& why, const std::string& detail) {
    std::fprintf(stderr, "fuzz_host invariant broken: %s\n%s\n", why.c_str(), detail.substr(0, 4000).c_str());
    std::abort();
}

void write_file(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
}

std::string etag_of(const std::string& content, util::HashKind kind) {
    util::Hasher h(kind, content.size());
    h.update(content.data(), content.size());
    return h.hex_digest();
}

struct World {
    fs::path base, cache, data, outside;
    std::unique_ptr<FrameWriter> writer;
    Router router;
    HostContext ctx;
    int memfd = -1;

    // One repo with a git file and an LFS file, one whose snapshot links lead outside the cache.
    void seed_cache() {
        const fs::path tiny = cache / "models--org--tiny";
        if (!fs::exists(tiny / "refs" / "main") || !fs::exists(tiny / "snapshots" / k_commit / "onnx" / "model.onnx")) {
            fs::remove_all(tiny);
            const std::string config = R"({"model_type":"fuzz"})";
            const std::string weights(2048, 'w');
            const auto config_etag = etag_of(config, util::HashKind::git_sha1);
            const auto weights_etag = etag_of(weights, util::HashKind::sha256);
            write_file(tiny / "blobs" / config_etag, config);
            write_file(tiny / "blobs" / weights_etag, weights);
            const fs::path snap = tiny / "snapshots" / k_commit;
            fs::create_directories(snap / "onnx");
            fs::create_symlink("../../blobs/" + config_etag, snap / "config.json");
            fs::create_symlink("../../../blobs/" + weights_etag, snap / "onnx" / "model.onnx");
            write_file(tiny / "refs" / "main", k_commit);
        }
        const fs::path evil = cache / "models--org--evil";
        if (!fs::exists(evil / "refs" / "main")) {
            fs::remove_all(evil);
            const fs::path snap = evil / "snapshots" / k_commit;
            fs::create_directories(snap);
            fs::create_symlink(outside / "secret", snap / "secret.bin");          // absolute, outside
            fs::create_symlink("../../../../outside/secret", snap / "rel.bin");  // relative, outside
            fs::create_directory_symlink(outside, snap / "dir");                  // folder, outside
            fs::create_directories(evil / "blobs");
            fs::create_symlink(outside / "secret", evil / "blobs" / std::string(64, 'a'));
            fs::create_symlink("../../blobs/" + std::string(64, 'a'), snap / "blob.bin"); // blob is a link out
            write_file(evil / "refs" / "main", k_commit);
        }
    }

    World() {
        char tmpl[] = "/tmp/fuzz-host-XXXXXX";
        if (!::mkdtemp(tmpl)) die("mkdtemp", "");
        base = tmpl;
        cache = base / "cache";
        data = base / "data";
        outside = base / "outside";
        fs::create_directories(cache);
        fs::create_directories(data);
        write_file(outside / "secret", std::string(4096, static_cast<char>(k_secret_byte)));
        seed_cache();

        ctx.config.cache_root = cache;
        ctx.config.data_dir = data;
        ctx.config.offline = true;
        ctx.config.endpoint = "http://127.0.0.1:9";
        ctx.config.auto_resume_jobs = false;
        ctx.log_file = data / "logs" / "host.log";
        writer = std::make_unique<FrameWriter>([](std::string_view) { return true; });
        ctx.writer = writer.get();
        register_all_actions(router);
        ctx.router = &router;
        memfd = ::memfd_create("fuzz-input", 0);
        if (memfd < 0) die("memfd_create", "");
    }
};

World& world() {
    static World* w = [] {
        spdlog::set_level(spdlog::level::off); // the default logger writes to stdout
        return new World();                    // lives for the whole process
    }();
    return *w;
}

// Enough base64 to look for the secret byte in get_file data.
std::string base64_decode(const std::string& in) {
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : in) {
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (v < 0) continue;
        buf = (buf << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buf >> bits) & 0xFF));
        }
    }
    return out;
}

void check_paths_inside(const nlohmann::json& j, const World& w, const std::string& frame) {
    if (j.is_object() || j.is_array()) {
        for (const auto& v : j) check_paths_inside(v, w, frame);
        return;
    }
    if (!j.is_string()) return;
    const auto& s = j.get_ref<const std::string&>();
    if (s.empty() || s[0] != '/') return;
    std::error_code ec;
    auto real = fs::canonical(s, ec);
    if (ec) return; // not an existing path
    static const fs::path real_base = fs::canonical(w.base);
    if (!cache::detail::lexically_within(real_base / "cache", real) &&
        !cache::detail::lexically_within(real_base / "data", real))
        die("a reply names a path outside the cache and data dir: " + s, frame);
}

void check_reply(const Request& req, const nlohmann::json& reply, const World& w) {
    const std::string text = FrameWriter::serialize(reply);
    if (!reply.is_object() || !reply.contains("status") || !reply["status"].is_string())
        die("reply without status", text);
    if (reply.contains("type")) die("a reply carries type", text);
    if (!req.id.value.is_null() && (!reply.contains(req.id.field) || reply[req.id.field] != req.id.value))
        die("reply does not echo the request id", text);
    const auto& status = reply["status"].get_ref<const std::string&>();
    if (status == "error" || status == "auth_required") {
        if (!reply.contains("error") || !reply["error"].contains("code") || !reply["error"]["code"].is_string())
            die("error reply without error.code", text);
        if (reply["error"]["code"] == "INTERNAL") die("INTERNAL error for a request", text);
        if (!reply.contains("message")) die("error reply without message", text);
    } else if (status != "success") {
        die("unknown reply status", text);
    }
    if (reply.contains("payload")) {
        check_paths_inside(reply["payload"], w, text);
        const auto& p = reply["payload"];
        if (p.is_object() && p.contains("data") && p["data"].is_string()) {
            auto bytes = base64_decode(p["data"].get_ref<const std::string&>());
            if (bytes.find(static_cast<char>(k_secret_byte)) != std::string::npos)
                die("get_file served bytes from outside the cache", text);
        }
    }
}

// Every job the input started ends before the next input: cancel what is left, then wait.
void settle_jobs(Services& services) {
    for (const auto& job : services.jobs.list())
        if (!jobs::is_terminal(job.status)) (void)services.jobs.cancel(job.job_id);
    for (int i = 0; i < 2000; ++i) {
        bool busy = false;
        for (const auto& job : services.jobs.list())
            busy |= job.status == jobs::JobStatus::running;
        if (!busy) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    die("a job did not stop within 2 s of cancel", "");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    World& w = world();
    w.seed_cache(); // delete_model / clean may have removed it
    if (::ftruncate(w.memfd, 0) != 0 || ::pwrite(w.memfd, data, size, 0) != static_cast<ssize_t>(size) ||
        ::lseek(w.memfd, 0, SEEK_SET) != 0)
        die("memfd write", "");

    Services services(w.ctx.config, *w.writer);
    w.ctx.services = &services;
    FrameReader reader(w.memfd, 256 * 1024);
    for (int frames = 0; frames < 64; ++frames) {
        ReadResult r = reader.next();
        if (r.kind != ReadResult::Kind::frame) {
            if (r.kind == ReadResult::Kind::too_large && r.declared <= 256 * 1024)
                die("too_large for a length within the limit", std::to_string(r.declared));
            break;
        }
        RequestId id;
        auto req = parse_request(r.body, id);
        if (!req) {
            if (req.error().code != ErrorCode::bad_request) die("parse error is not BAD_REQUEST", r.body);
            continue;
        }
        const Router::Entry* entry = w.router.find(req->action);
        if (!entry) continue;
        auto out = Router::dispatch(*entry, *req, w.ctx);
        if (!out.frame.empty()) {
            check_reply(*req, nlohmann::json::parse(out.frame.substr(4)), w);
            w.writer->send_frame(req->id, std::move(out.frame));
        } else {
            check_reply(*req, out.reply, w);
            w.writer->send_reply(req->id, out.reply);
        }
        if (out.after_send) out.after_send();
    }
    settle_jobs(services);
    w.writer->flush();
    w.ctx.services = nullptr;
    return 0;
}
