// A stand-in for tabagent-host.exe (see CMakeLists.txt): reads one native-messaging frame (4-byte
// native-endian length + JSON) from stdin and answers a handshake with the same messageId.
// Binary mode on both streams: in text mode the C runtime turns \n into \r\n and breaks frames.
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <io.h>
#include <string>
#include <windows.h>
#include <shellapi.h>

// argv[i] in UTF-8: main's narrow argv is in the ANSI code page, which loses non-ASCII paths.
static std::string utf8_arg(int i) {
    int argc = 0;
    wchar_t** wargv = CommandLineToArgvW(GetCommandLineW(), &argc);
    std::string out;
    if (wargv && i < argc) {
        int n = WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, nullptr, 0, nullptr, nullptr);
        out.resize(n > 0 ? n - 1 : 0);
        if (n > 1) WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, out.data(), n, nullptr, nullptr);
    }
    LocalFree(wargv);
    return out;
}

int main(int argc, char**) {
#ifdef TABAGENT_STUB_CACHE
    std::printf("tabagent-cache stub (%d args)\n", argc);
    return 0;
#else
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    std::uint32_t length = 0;
    if (std::fread(&length, sizeof length, 1, stdin) != 1 || length > (1u << 20)) return 1;
    std::string body(length, '\0');
    if (length > 0 && std::fread(body.data(), 1, length, stdin) != length) return 1;
    // {"action":"handshake","messageId":"<id>"}: copy the id (no escapes in test ids).
    std::string id = "?";
    if (auto key = body.find("\"messageId\""); key != std::string::npos) {
        auto open = body.find('"', body.find(':', key)); // the value's opening quote
        if (open != std::string::npos) id = body.substr(open + 1, body.find('"', open + 1) - open - 1);
    }
    std::string origin; // argv[1] as a JSON string body (Firefox passes a Windows path)
    for (char c : utf8_arg(1)) {
        if (c == '\\' || c == '"') origin += '\\';
        origin += c;
    }
    std::string reply = "{\"messageId\":\"" + id + "\",\"status\":\"success\",\"payload\":{\"version\":\"stub\","
                        "\"origin\":\"" + origin + "\",\"args\":" + std::to_string(argc - 1) + "}}";
    auto out = static_cast<std::uint32_t>(reply.size());
    std::fwrite(&out, sizeof out, 1, stdout);
    std::fwrite(reply.data(), 1, reply.size(), stdout);
    std::fflush(stdout);
    return 0;
#endif
}
