// fakehub: serves repos from a directory as the Hugging Face Hub would, for tests and benchmarks.
#include "server.hpp"

#include <CLI/CLI.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

int main(int argc, char** argv) {
    using namespace tabagent::fakehub;
    Options opt;
    CLI::App app{"fakehub: a local Hugging Face Hub stand-in with fault injection"};
    app.add_option("--root", opt.root, "directory holding <owner>/<name>/ repos")->required();
    app.add_option("--host", opt.host, "address to bind");
    app.add_option("--port", opt.port, "port (0 = any free port)");
    app.add_option("--port-file", opt.port_file, "write the chosen port here");
    app.add_option("--page-size", opt.page_size, "tree API entries per page");
    app.add_option("--token", opt.tokens, "accepted bearer token (repeatable)");
    app.add_option("--rate-per-connection", opt.rate_per_connection, "bytes/s cap per response, 0 = none");
    app.add_option("--cdn-base", opt.cdn_base, "base URL of LFS redirects (default http://localhost:PORT)");
    app.add_flag("--log-requests", opt.log_requests, "print one line per request to stderr");
    app.add_option("--threads", opt.threads, "connection threads (one per live connection)");
    app.add_option("--keep-alive", opt.keep_alive_seconds, "idle keep-alive timeout in seconds");
    app.add_flag("--xet", opt.bridge.xet, "resolve answers Xet headers for LFS files (X-Xet-Hash, Link xet-auth)");
    app.add_option("--signed-url-ttl", opt.bridge.signed_url_ttl, "seconds a CDN URL stays valid, 0 = forever");
    app.add_option("--ranged-only-above", opt.bridge.ranged_only_above,
                   "CDN: a GET without Range of a larger file gets 400, 0 = off");
    CLI11_PARSE(app, argc, argv);

    // A client hanging up mid-body must not kill the server.
    ::signal(SIGPIPE, SIG_IGN);
    // Block the stop signals in every thread; one thread takes them with sigwait.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    HubServer hub(opt);
    const int port = hub.bind();
    if (port <= 0) {
        std::fprintf(stderr, "fakehub: cannot bind %s:%d\n", opt.host.c_str(), opt.port);
        return 1;
    }
    if (!opt.port_file.empty()) {
        std::ofstream(opt.port_file) << port << '\n';
    }
    std::printf("fakehub listening on %s\n", hub.base_url().c_str());
    std::fflush(stdout);

    hub.on_shutdown([] { ::kill(::getpid(), SIGTERM); });
    StopSignal finished;
    // A stop asked for is a clean exit even when it lands before run() listens (run() then
    // returns false): a signal sent right after the banner on a busy machine does.
    std::atomic<bool> stop_asked{false};
    std::jthread stopper([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        stop_asked = true;
        // stop() is a no-op until the accept loop runs, so repeat it until run() has returned.
        do {
            hub.stop();
        } while (finished.sleep_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
    });
    const bool ok = hub.run();
    const bool asked = stop_asked; // before the wake-up signal below, which is not a request
    finished.request_stop();
    // If run() ended on its own (listen failure), wake the stopper.
    ::kill(::getpid(), SIGTERM);
    stopper.join();
    return ok || asked ? 0 : 1;
}
