#include "host/http/message.hpp"

#include <algorithm>

namespace tabagent::host::http {
namespace {

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool framing_header(std::string_view name) {
    return iequals(name, "Content-Length") || iequals(name, "Connection") || iequals(name, "Transfer-Encoding");
}

} // namespace

void Response::set_header(std::string name, std::string value) {
    auto same = [&name](const auto& h) { return iequals(h.first, name); };
    headers.erase(std::remove_if(headers.begin(), headers.end(), same), headers.end());
    headers.emplace_back(std::move(name), std::move(value));
}

void Response::set_body(std::string content, std::string content_type) {
    body = std::move(content);
    file.reset();
    set_header("Content-Type", std::move(content_type));
}

void Response::set_file(platform::FileToSend source, std::uint64_t offset, std::uint64_t length) {
    body.clear();
    file = FileBody{std::move(source), offset, length};
}

std::string_view reason_phrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

std::string serialize_head(const Response& response, bool keep_alive, int request_minor_version) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
    out += reason_phrase(response.status);
    out += "\r\n";
    for (const auto& [name, value] : response.headers) {
        if (framing_header(name) || has_line_break(name) || has_line_break(value)) continue;
        out += name + ": " + value + "\r\n";
    }
    const bool no_length = response.status < 200 || response.status == 204 || response.status == 304;
    if (!no_length) out += "Content-Length: " + std::to_string(response.content_length()) + "\r\n";
    if (!keep_alive) out += "Connection: close\r\n";
    else if (request_minor_version == 0) out += "Connection: keep-alive\r\n";
    out += "\r\n";
    return out;
}

} // namespace tabagent::host::http
