// The child of the spawn tests: echoes its arguments and its stdin, like a host answering.
//   exchange_child reply ARGS...   reads one line-less chunk of stdin, writes "args=<a>|<b>|...;in=<input>"
//   exchange_child silent          writes nothing and waits for stdin to close
//   exchange_child hang            never reads stdin, never exits on its own
#include <windows.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE), out = ::GetStdHandle(STD_OUTPUT_HANDLE);
    if (mode == "hang") {
        ::Sleep(INFINITE);
        return 0;
    }
    std::string input;
    char buffer[4096];
    DWORD n = 0;
    if (mode == "reply") {
        if (::ReadFile(in, buffer, sizeof buffer, &n, nullptr)) input.assign(buffer, n);
        std::string reply = "args=";
        for (int i = 2; i < argc; ++i) reply += std::string(i > 2 ? "|" : "") + argv[i];
        reply += ";in=" + input;
        DWORD written = 0;
        ::WriteFile(out, reply.data(), static_cast<DWORD>(reply.size()), &written, nullptr);
    }
    while (::ReadFile(in, buffer, sizeof buffer, &n, nullptr) && n > 0) {
    }
    return 0;
}
