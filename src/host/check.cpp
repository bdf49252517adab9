// tabagent-host --check: the browser only ever says "host not found", so the host diagnoses each
// registration itself: manifest shape, binary path, origins, and a real framed handshake.
#include "host/diagnostics.hpp"

#include "core/config.hpp"
#include "host/framing.hpp"
#include "host/origin.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tabagent::host {
namespace fs = std::filesystem;

namespace {
constexpr const char* k_host_name = "com.tabagent.host";

struct BrowserDir {
    std::string browser;
    fs::path dir;
    bool firefox = false;
};

std::vector<BrowserDir> browser_dirs() {
    fs::path home = env_string("HOME").value_or("/");
    std::vector<BrowserDir> dirs;
#if defined(__APPLE__)
    fs::path base = home / "Library" / "Application Support";
    dirs = {{"Google Chrome", base / "Google/Chrome/NativeMessagingHosts"},
            {"Chromium", base / "Chromium/NativeMessagingHosts"},
            {"Brave", base / "BraveSoftware/Brave-Browser/NativeMessagingHosts"},
            {"Microsoft Edge", base / "Microsoft Edge/NativeMessagingHosts"},
            {"Vivaldi", base / "Vivaldi/NativeMessagingHosts"},
            {"Firefox", base / "Mozilla/NativeMessagingHosts", true}};
#else
    fs::path config = env_string("XDG_CONFIG_HOME").value_or((home / ".config").string());
    dirs = {{"Google Chrome", config / "google-chrome/NativeMessagingHosts"},
            {"Chromium", config / "chromium/NativeMessagingHosts"},
            {"Brave", config / "BraveSoftware/Brave-Browser/NativeMessagingHosts"},
            {"Microsoft Edge", config / "microsoft-edge/NativeMessagingHosts"},
            {"Vivaldi", config / "vivaldi/NativeMessagingHosts"},
            {"Firefox", home / ".mozilla/native-messaging-hosts", true}};
#endif
    // Extra dirs (e.g. a test profile's <user-data-dir>/NativeMessagingHosts), colon separated.
    if (auto extra = env_string("TABAGENT_BROWSER_DIRS")) {
        std::string s = *extra;
        std::size_t start = 0;
        while (start < s.size()) {
            auto end = s.find(':', start);
            if (end == std::string::npos) end = s.size();
            if (end > start) dirs.push_back({"profile " + s.substr(start, end - start), s.substr(start, end - start)});
            start = end + 1;
        }
    }
    return dirs;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Starts the binary with the browser's arguments, sends one handshake frame, waits up to 5 s.
std::string handshake_with(const fs::path& binary, const std::vector<std::string>& args, nlohmann::json& reply) {
    int in_pipe[2], out_pipe[2];
    if (pipe(in_pipe) != 0) return "pipe failed";
    if (pipe(out_pipe) != 0) {
        close(in_pipe[0]);
        close(in_pipe[1]);
        return "pipe failed";
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
    posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
    std::string bin = binary.string();
    std::vector<char*> argv{bin.data()};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in_pipe[0]);
    close(out_pipe[1]);
    std::string problem;
    if (rc != 0) {
        problem = std::string("cannot start: ") + std::strerror(rc);
    } else {
        write_all(in_pipe[1], encode_frame(R"({"action":"handshake","messageId":"check"})"));
        pollfd pfd{out_pipe[0], POLLIN, 0};
        if (poll(&pfd, 1, 5000) <= 0) {
            problem = "no reply within 5 s";
        } else {
            FrameReader reader(out_pipe[0], 1 << 20);
            auto frame = reader.next();
            if (frame.kind != ReadResult::Kind::frame) problem = "no reply frame";
            else {
                reply = nlohmann::json::parse(frame.body, nullptr, false);
                if (!reply.is_object() || reply.value("messageId", "") != "check") problem = "malformed reply";
                else if (reply.value("status", "") != "success")
                    problem = "refused: " + reply.value("message", std::string("?"));
            }
        }
    }
    close(in_pipe[1]);
    if (pid > 0) {
        int status = 0;
        for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; ++i) usleep(20000);
        if (waitpid(pid, &status, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    close(out_pipe[0]);
    return problem;
}

// "chrome-extension://" + 32 letters a-p + "/", exactly what Chrome accepts in allowed_origins.
bool is_extension_origin(const std::string& s) {
    const std::string prefix = "chrome-extension://";
    if (s.size() != prefix.size() + 33 || s.compare(0, prefix.size(), prefix) != 0 || s.back() != '/') return false;
    for (std::size_t i = prefix.size(); i < prefix.size() + 32; ++i)
        if (s[i] < 'a' || s[i] > 'p') return false;
    return true;
}

// Checks one manifest file; returns the list of problems (empty = fine).
std::vector<std::string> check_manifest(const fs::path& file, bool firefox, std::string& summary) {
    std::vector<std::string> problems;
    std::ifstream in(file);
    auto m = nlohmann::json::parse(in, nullptr, false);
    if (!m.is_object()) return {"manifest is not valid JSON"};
    if (m.value("name", "") != k_host_name) problems.push_back("\"name\" must be com.tabagent.host");
    if (m.value("type", "") != "stdio") problems.push_back("\"type\" must be \"stdio\"");
    fs::path binary = m.value("path", "");
    if (binary.empty() || !binary.is_absolute()) problems.push_back("\"path\" must be absolute: " + binary.string());
    else if (access(binary.c_str(), X_OK) != 0) problems.push_back("binary missing or not executable: " + binary.string());
    std::string origin;
    if (firefox) {
        if (!m.contains("allowed_extensions") || !m["allowed_extensions"].is_array() || m["allowed_extensions"].empty())
            problems.push_back("\"allowed_extensions\" missing");
        else
            origin = m["allowed_extensions"][0].get<std::string>();
    } else {

        if (!m.contains("allowed_origins") || !m["allowed_origins"].is_array() || m["allowed_origins"].empty())
            problems.push_back("\"allowed_origins\" missing");
        else
            for (const auto& o : m["allowed_origins"]) {
                std::string s = o.is_string() ? o.get<std::string>() : "";
                if (!is_extension_origin(s))
                    problems.push_back("bad origin (needs chrome-extension://<32 a-p>/ with the slash): " + s);
                else if (origin.empty() || s.find(k_tabagent_extension_id) != std::string::npos)
                    origin = s;
            }
    }
    if (problems.empty()) {
        nlohmann::json reply;
        // Firefox passes the manifest path and the add-on id; Chrome passes the origin.
        std::vector<std::string> args = firefox ? std::vector<std::string>{file.string(), origin}
                                                : std::vector<std::string>{origin};
        std::string err = handshake_with(binary, args, reply);
        if (!err.empty()) problems.push_back("handshake failed: " + err);
        else summary = "answers handshake (version " + reply["payload"].value("version", std::string("?")) + ")";
    }
    return problems;
}
} // namespace

int run_check(std::ostream& out, const Config&) {
    int registered = 0, broken = 0;
    for (const auto& b : browser_dirs()) {
        fs::path file = b.dir / (std::string(k_host_name) + ".json");
        std::error_code ec;
        if (!fs::exists(file, ec)) {
            out << "  " << b.browser << ": not registered (" << file.string() << ")\n";
            continue;
        }
        ++registered;
        std::string summary;
        auto problems = check_manifest(file, b.firefox, summary);
        if (problems.empty()) {
            out << "  " << b.browser << ": OK, " << summary << " (" << file.string() << ")\n";
        } else {
            ++broken;
            out << "  " << b.browser << ": BROKEN (" << file.string() << ")\n";
            for (const auto& p : problems) out << "      - " << p << "\n";
        }
    }
    if (registered == 0) {
        out << "No browser has the host registered. Run installer/install.sh.\n";
        return 1;
    }
    out << registered - broken << " of " << registered << " registrations work.\n";
    return broken == 0 ? 0 : 1;
}

} // namespace tabagent::host
