// The child of the spawn tests: echoes its arguments and its stdin, like a host answering.
//   exchange_child reply ARGS...   reads one line-less chunk of stdin, writes "args=<a>|<b>|...;in=<input>"
//   exchange_child silent          writes nothing and waits for stdin to close
//   exchange_child hang            never reads stdin, never exits on its own
//   exchange_child chrome-extension://... | X.json ...   a native-messaging host: answers one
//                                  framed handshake, with its own argv as the version
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
    const bool host = mode.rfind("chrome-extension://", 0) == 0 || (mode.size() > 5 && mode.substr(mode.size() - 5) == ".json");
    if (host) {
        unsigned length = 0;
        DWORD got = 0;
        for (DWORD total = 0; total < 4 && ::ReadFile(in, reinterpret_cast<char*>(&length) + total, 4 - total, &got, nullptr) && got;)
            total += got;
        std::string body(length, '\0');
        for (DWORD total = 0; total < length && ::ReadFile(in, body.data() + total, length - total, &got, nullptr) && got;)
            total += got;
        std::string version;
        for (int i = 1; i < argc; ++i) {
            if (i > 1) version += ' ';
            for (const char* c = argv[i]; *c; ++c) {
                if (*c == '\\' || *c == '"') version += '\\';
                version += *c;
            }
        }
        std::string reply = "{\"messageId\":\"check\",\"status\":\"success\",\"payload\":{\"version\":\"" + version + "\"}}";
        unsigned size = static_cast<unsigned>(reply.size());
        DWORD written = 0;
        ::WriteFile(out, &size, 4, &written, nullptr);
        ::WriteFile(out, reply.data(), size, &written, nullptr);
    } else if (mode == "reply") {
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
