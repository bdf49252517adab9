// tabagent-host: started by the browser through native messaging (stdin/stdout frames).
#include "core/config.hpp"
#include "host/actions.hpp"
#include "host/diagnostics.hpp"
#include "host/envelope.hpp"
#include "host/framing.hpp"
#include "host/host.hpp"
#include "host/logging.hpp"
#include "host/origin.hpp"
#include "host/registration.hpp"
#include "host/services.hpp"
#include "host/writer.hpp"

#include "core/hub/curl_library.hpp"
#include "core/platform/console.hpp"
#include "core/platform/process.hpp"
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

using namespace tabagent;
using namespace tabagent::host;

namespace {

bool write_all(int fd, std::string_view data) { return platform::write_all(fd, data).has_value(); }

std::uint32_t max_input_bytes() {
    if (auto v = env_string("TABAGENT_MAX_MESSAGE_BYTES"))
        if (auto n = parse_size(*v); n && *n > 0 && *n <= 0xFFFFFFFFull) return static_cast<std::uint32_t>(*n);
    return k_default_max_input_bytes;
}

// A caller outside the allowlist gets one FORBIDDEN_ORIGIN reply (to its first request when one
// arrives within two seconds, so the client can correlate it) and the host exits.
int refuse_caller(const Caller& caller) {
    spdlog::warn("refusing caller {}", caller.origin);
    RequestId id;
    if (platform::wait_readable(platform::k_stdin, std::chrono::milliseconds(2000))) {
        FrameReader reader(platform::k_stdin, max_input_bytes());
        auto frame = reader.next();
        if (frame.kind == ReadResult::Kind::frame) (void)parse_request(frame.body, id);
    }
    Error err{ErrorCode::forbidden_origin, "this extension is not allowed to use the TabAgent host",
              {{"origin", caller.origin}}};
    write_all(platform::k_stdout, encode_frame(FrameWriter::serialize(error_reply(id, err))));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    // UTF-8 on every platform (Windows: re-read as UTF-16, mingw's argv is the ANSI code page).
    std::vector<std::string> args = platform::command_line_arguments(argc, argv);
    if (!args.empty()) args.erase(args.begin());
    bool verbose = false;
    for (const auto& a : args) {
        if (a == "--version" || a == "-V") {
            std::cout << "tabagent-host " << TABAGENT_VERSION << "\n";
            return 0;
        }
        if (a == "--help" || a == "-h") {
            print_help(std::cout);
            return 0;
        }
        if (a == "--verbose" || a == "-v") verbose = true;
    }
    platform::ignore_broken_pipe(); // a closed port shows up as EPIPE on write, not a signal

    HostContext ctx;
    ctx.config = Config::from_environment();
    ctx.log_file = setup_logging(ctx.config.logs_dir(), verbose);

    if (auto rc = run_registration_command(args, ctx.config, std::cout)) return *rc; // --install/--uninstall/--check

    if (platform::is_terminal(platform::k_stdin)) {
        // Started from a terminal: frames would never come. Explain instead of hanging.
        print_help(std::cout);
        std::cout << "\n";
        print_diagnostics(std::cout, ctx.config, ctx.log_file);
        return 0;
    }

    // From here on stdin/stdout carry frames, which are binary: on Windows the C runtime's text
    // mode would turn "\n" into "\r\n" (and drop "\r" on input) inside lengths and bodies. The
    // frames go through platform::read_some/write_all (the OS handles) anyway; this also covers
    // anything that writes through the C runtime. A no-op on POSIX.
    platform::set_binary_mode(platform::k_stdin);
    platform::set_binary_mode(platform::k_stdout);
    // Room for a whole get_file frame in the pipe to the browser: the host writes it in one go
    // and the browser's 4 KiB reads drain it without waking the host for every few of them.
    auto pipe_bytes = platform::grow_pipe_buffer(platform::k_stdout, k_max_output_frame_bytes);
    Caller caller = caller_from_args(args);
    ctx.origin = caller.origin;
    if (!is_allowed(caller, allowed_extension_ids(ctx.config.data_dir))) return refuse_caller(caller);

    spdlog::info("tabagent-host {} started (pid {}) for {}", TABAGENT_VERSION, platform::process_id(),
                 caller.origin.empty() ? "a local caller" : caller.origin);
    spdlog::debug("stdout pipe buffer: {}", pipe_bytes ? std::to_string(*pipe_bytes) + " bytes" : "not a pipe");
    hub::CurlSession curl_session; // libcurl itself loads on the first network request

    FrameWriter writer([](std::string_view frame) { return write_all(platform::k_stdout, frame); });
    Router router;
    register_all_actions(router);
    ctx.writer = &writer;
    ctx.router = &router;
    Services services(ctx.config, writer); // destroyed before the writer its events go to
    ctx.services = &services;
    if (int restored = services.jobs.restore(ctx.config.auto_resume_jobs); restored > 0)
        spdlog::info("restored {} unfinished job(s) from the journal", restored);

    Host::Outcome outcome;
    {
        Host host(ctx, router, max_input_bytes());
        outcome = host.run(platform::k_stdin);
        // Journals stay: unfinished jobs resume at the next start. The file server stops first.
        services.shutdown();
        if (!outcome.finished) {
            // A handler is stuck in I/O; the browser kills us 2 s after EOF anyway.
            writer.flush();
            spdlog::default_logger()->flush();
            std::_Exit(outcome.exit_code);
        }
    }
    writer.flush();
    spdlog::info("exit {}", outcome.exit_code);
    spdlog::shutdown();
    return outcome.exit_code;
}
