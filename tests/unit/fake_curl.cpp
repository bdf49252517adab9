#include "fake_curl.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

// curl_easy_setopt's own signature (an enum before the `...`) is what clang's -Wvarargs flags; the
// fake must keep it, and CURLoption is int-sized, so va_start is well defined here.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wvarargs"
#endif

namespace tabagent::test {

// One easy handle: its options, and while it sits in the multi, the response it receives.
struct FakeCurl::Easy {
    std::map<int, std::string> options;
    std::string url, range;
    long buffer_size = CURL_MAX_WRITE_SIZE;
    curl_write_callback header_fn = nullptr, write_fn = nullptr;
    void *header_data = nullptr, *write_data = nullptr, *private_data = nullptr;
    curl_slist* headers = nullptr;
    // The response (valid while added to a multi):
    std::vector<std::string> header_lines;
    std::string body;
    std::size_t pos = 0;         // body bytes accepted so far
    std::size_t drop_after = 0;  // 0 = never
    std::size_t stall_after = 0; // 0 = never
    std::size_t per_turn = 0;
    bool headers_sent = false, paused = false, ended = false;
    std::chrono::steady_clock::time_point ready_at; // nothing is answered before (first-byte delay)
    std::size_t held = 0; // bytes of the piece refused with CURL_WRITEFUNC_PAUSE
};

struct FakeCurl::Multi {
    std::vector<Easy*> handles;
    std::deque<CURLMsg> messages;
    CURLMsg current{};
};

namespace {

FakeCurl* g_current = nullptr; // curl_easy_init / curl_multi_init have no argument to find it by

using Easy = FakeCurl::Easy;
using Multi = FakeCurl::Multi;

bool is_string_option(CURLoption option) {
    return option == CURLOPT_URL || option == CURLOPT_RANGE || option == CURLOPT_USERAGENT ||
           option == CURLOPT_PROTOCOLS_STR || option == CURLOPT_REDIR_PROTOCOLS_STR;
}

void set_pointer_option(Easy& e, CURLoption option, void* value) {
    const char* text = static_cast<const char*>(value);
    if (is_string_option(option)) e.options[option] = text ? text : "";
    else e.options[option] = value ? "set" : "null";
    switch (option) {
    case CURLOPT_URL: e.url = text ? text : ""; break;
    case CURLOPT_RANGE: e.range = text ? text : ""; break;
    case CURLOPT_HTTPHEADER: e.headers = static_cast<curl_slist*>(value); break;
    case CURLOPT_HEADERDATA: e.header_data = value; break;
    case CURLOPT_WRITEDATA: e.write_data = value; break;
    case CURLOPT_PRIVATE: e.private_data = value; break;
    default: break;
    }
}

CURLcode fake_easy_setopt(CURL* handle, CURLoption option, ...) {
    auto& e = *reinterpret_cast<Easy*>(handle);
    std::va_list args;
    va_start(args, option);
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        const long value = va_arg(args, long);
        e.options[option] = std::to_string(value);
        if (option == CURLOPT_BUFFERSIZE) e.buffer_size = value;
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        set_pointer_option(e, option, va_arg(args, void*));
    } else if (option < CURLOPTTYPE_OFF_T) {
        auto fn = va_arg(args, curl_write_callback);
        e.options[option] = fn ? "set" : "null";
        if (option == CURLOPT_HEADERFUNCTION) e.header_fn = fn;
        if (option == CURLOPT_WRITEFUNCTION) e.write_fn = fn;
    } else {
        e.options[option] = std::to_string(va_arg(args, curl_off_t));
    }
    va_end(args);
    return CURLE_OK;
}

CURLcode fake_easy_getinfo(CURL* handle, CURLINFO info, ...) {
    auto& e = *reinterpret_cast<Easy*>(handle);
    std::va_list args;
    va_start(args, info);
    CURLcode code = CURLE_OK;
    if (info == CURLINFO_PRIVATE) *va_arg(args, void**) = e.private_data;
    else if (info == CURLINFO_EFFECTIVE_URL) *va_arg(args, const char**) = e.url.c_str();
    else code = CURLE_UNKNOWN_OPTION;
    va_end(args);
    return code;
}

CURL* fake_easy_init() { return reinterpret_cast<CURL*>(new Easy); }
void fake_easy_cleanup(CURL* handle) { delete reinterpret_cast<Easy*>(handle); }
void fake_easy_reset(CURL* handle) { *reinterpret_cast<Easy*>(handle) = Easy{}; }
CURLcode fake_easy_perform(CURL*) { return CURLE_UNSUPPORTED_PROTOCOL; }
const char* fake_easy_strerror(CURLcode) { return "fake curl error"; }
CURLcode fake_global_init(long) { return CURLE_OK; }
void fake_global_cleanup() {}

CURLcode fake_easy_pause(CURL* handle, int bitmask) {
    auto& e = *reinterpret_cast<Easy*>(handle);
    if ((bitmask & CURLPAUSE_RECV) == 0 && e.paused) FakeCurl::current().unpause(e);
    return CURLE_OK;
}

CURLM* fake_multi_init() { return reinterpret_cast<CURLM*>(new Multi); }
CURLMcode fake_multi_cleanup(CURLM* handle) {
    delete reinterpret_cast<Multi*>(handle);
    return CURLM_OK;
}
CURLMcode fake_multi_setopt(CURLM*, CURLMoption, ...) { return CURLM_OK; }
CURLMcode fake_multi_add_handle(CURLM* multi, CURL* easy) {
    FakeCurl::current().add(*reinterpret_cast<Multi*>(multi), *reinterpret_cast<Easy*>(easy));
    return CURLM_OK;
}
CURLMcode fake_multi_remove_handle(CURLM* multi, CURL* easy) {
    FakeCurl::current().remove(*reinterpret_cast<Multi*>(multi), *reinterpret_cast<Easy*>(easy));
    return CURLM_OK;
}
CURLMcode fake_multi_perform(CURLM* multi, int* running) {
    FakeCurl::current().perform(*reinterpret_cast<Multi*>(multi), running);
    return CURLM_OK;
}
CURLMcode fake_multi_poll(CURLM*, curl_waitfd*, unsigned int, int timeout_ms, int* numfds) {
    if (numfds) *numfds = 0;
    FakeCurl::current().poll(timeout_ms);
    return CURLM_OK;
}
CURLMcode fake_multi_wakeup(CURLM*) {
    FakeCurl::current().wakeup();
    return CURLM_OK;
}
CURLMsg* fake_multi_info_read(CURLM* handle, int* queued) {
    auto& multi = *reinterpret_cast<Multi*>(handle);
    if (multi.messages.empty()) {
        *queued = 0;
        return nullptr;
    }
    multi.current = multi.messages.front();
    multi.messages.pop_front();
    *queued = static_cast<int>(multi.messages.size());
    return &multi.current;
}

curl_slist* fake_slist_append(curl_slist* list, const char* line) {
    auto* node = static_cast<curl_slist*>(std::malloc(sizeof(curl_slist)));
    node->data = ::strdup(line);
    node->next = nullptr;
    if (!list) return node;
    curl_slist* last = list;
    while (last->next) last = last->next;
    last->next = node;
    return list;
}
void fake_slist_free_all(curl_slist* list) {
    while (list) {
        curl_slist* next = list->next;
        std::free(list->data);
        std::free(list);
        list = next;
    }
}

std::string header_value(const curl_slist* headers, const std::string& lower_name) {
    for (; headers; headers = headers->next) {
        std::string line = headers->data;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
        if (name == lower_name) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
    return {};
}

} // namespace

FakeCurl::FakeCurl(FakeClock& clock) : m_clock(clock) {
    if (g_current) throw std::logic_error("one FakeCurl at a time");
    g_current = this;
    m_api.global_init = &fake_global_init;
    m_api.global_cleanup = &fake_global_cleanup;
    m_api.easy_init = &fake_easy_init;
    m_api.easy_cleanup = &fake_easy_cleanup;
    m_api.easy_reset = &fake_easy_reset;
    m_api.easy_setopt = &fake_easy_setopt;
    m_api.easy_getinfo = &fake_easy_getinfo;
    m_api.easy_perform = &fake_easy_perform;
    m_api.easy_pause = &fake_easy_pause;
    m_api.easy_strerror = &fake_easy_strerror;
    m_api.multi_init = &fake_multi_init;
    m_api.multi_cleanup = &fake_multi_cleanup;
    m_api.multi_setopt = &fake_multi_setopt;
    m_api.multi_add_handle = &fake_multi_add_handle;
    m_api.multi_remove_handle = &fake_multi_remove_handle;
    m_api.multi_perform = &fake_multi_perform;
    m_api.multi_poll = &fake_multi_poll;
    m_api.multi_wakeup = &fake_multi_wakeup;
    m_api.multi_info_read = &fake_multi_info_read;
    m_api.slist_append = &fake_slist_append;
    m_api.slist_free_all = &fake_slist_free_all;
}

FakeCurl::~FakeCurl() { g_current = nullptr; }

FakeCurl& FakeCurl::current() {
    if (!g_current) throw std::logic_error("no FakeCurl");
    return *g_current;
}

void FakeCurl::add_file(const std::string& url, FakeFile file) { m_files[url] = std::move(file); }

std::size_t FakeCurl::open_requests() const {
    if (!m_multi) return 0;
    return static_cast<std::size_t>(std::count_if(m_multi->handles.begin(), m_multi->handles.end(),
                                                   [](const Easy* e) { return !e->ended; }));
}

std::size_t FakeCurl::budget_for(const FakeFile& file, std::uint64_t range_start) const {
    const bool slow = file.bytes_per_turn &&
                      (file.slow_only_at == std::string::npos || range_start == file.slow_only_at);
    return slow ? file.bytes_per_turn : default_bytes_per_turn;
}

// The request is answered when it is added: the script's fault counters count requests.
void FakeCurl::add(Multi& multi, Easy& e) {
    m_multi = &multi;
    multi.handles.push_back(&e);
    e.header_lines.clear();
    e.body.clear();
    e.pos = e.drop_after = e.stall_after = e.held = 0;
    e.headers_sent = e.paused = e.ended = false;
    e.ready_at = m_clock.now();
    FakeRequest record;
    record.url = e.url;
    record.range = e.range.empty() ? "" : "bytes=" + e.range;
    record.authorization = header_value(e.headers, "authorization");
    for (const curl_slist* h = e.headers; h; h = h->next) record.headers.emplace_back(h->data);
    record.options = e.options;
    record.turn = m_turns;
    record.at = m_clock.now();
    e.per_turn = default_bytes_per_turn;
    auto it = m_files.find(e.url);
    if (it == m_files.end()) {
        record.status = 404;
        e.header_lines = {"HTTP/1.1 404 Not Found\r\n", "X-Error-Code: EntryNotFound\r\n", "\r\n"};
        m_requests.push_back(std::move(record));
        return;
    }
    FakeFile& file = it->second;
    if (file.fail_times > 0) {
        --file.fail_times;
        record.status = file.fail_status;
        e.header_lines = {"HTTP/1.1 " + std::to_string(file.fail_status) + " Failed\r\n"};
        if (!file.retry_after.empty()) e.header_lines.push_back("Retry-After: " + file.retry_after + "\r\n");
        if (!file.x_error_code.empty()) e.header_lines.push_back("X-Error-Code: " + file.x_error_code + "\r\n");
        e.header_lines.push_back("\r\n");
        e.body = "error";
        m_requests.push_back(std::move(record));
        return;
    }
    unsigned long long first = 0, last = file.content.empty() ? 0 : file.content.size() - 1;
    const bool ranged = !e.range.empty() && !file.ignore_range &&
                        std::sscanf(e.range.c_str(), "%llu-%llu", &first, &last) == 2;
    last = std::min<unsigned long long>(last, file.content.size() - 1);
    record.status = ranged ? 206 : 200;
    e.body = ranged ? file.content.substr(first, last - first + 1) : file.content;
    if (!ranged) first = 0;
    if (file.corrupt_times > 0) {
        --file.corrupt_times;
        if (file.corrupt_at >= first && file.corrupt_at < first + e.body.size())
            e.body[file.corrupt_at - first] = static_cast<char>(e.body[file.corrupt_at - first] ^ 0x5a);
    }
    if (file.drop_times > 0) {
        --file.drop_times;
        e.drop_after = file.drop_after;
    }
    if (file.stall_times > 0) {
        --file.stall_times;
        e.stall_after = file.stall_after;
    }
    e.per_turn = budget_for(file, first);
    e.ready_at = record.at;
    if (file.first_byte_delay.count() > 0 && file.first_byte_delay_times != 0) {
        if (file.first_byte_delay_times > 0) --file.first_byte_delay_times;
        e.ready_at += file.first_byte_delay;
    }
    e.header_lines = {ranged ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n",
                      "Content-Length: " + std::to_string(e.body.size()) + "\r\n"};
    if (ranged)
        e.header_lines.push_back("Content-Range: bytes " + std::to_string(first) + "-" + std::to_string(last) +
                                 "/" + std::to_string(file.content.size()) + "\r\n");
    for (const auto& line : file.extra_headers) e.header_lines.push_back(line + "\r\n");
    e.header_lines.push_back("\r\n");
    m_requests.push_back(std::move(record));
}

void FakeCurl::remove(Multi& multi, Easy& e) {
    multi.handles.erase(std::remove(multi.handles.begin(), multi.handles.end(), &e), multi.handles.end());
    // libcurl drops the pending message of a removed handle.
    multi.messages.erase(std::remove_if(multi.messages.begin(), multi.messages.end(),
                                        [&](const CURLMsg& m) { return m.easy_handle == reinterpret_cast<CURL*>(&e); }),
                         multi.messages.end());
    e.ended = true;
}

void FakeCurl::end(Multi& multi, Easy& e, CURLcode result) {
    e.ended = true;
    CURLMsg message{};
    message.msg = CURLMSG_DONE;
    message.easy_handle = reinterpret_cast<CURL*>(&e);
    message.data.result = result;
    multi.messages.push_back(message);
}

void FakeCurl::perform(Multi& multi, int* running) {
    const auto handles = multi.handles; // callbacks never add or remove handles
    for (Easy* e : handles)
        if (!e->ended && !e->paused) deliver(multi, *e, e->per_turn);
    *running = static_cast<int>(open_requests());
}

// Hands over headers, then up to `budget` body bytes in pieces of the handle's buffer size.
void FakeCurl::deliver(Multi& multi, Easy& e, std::size_t budget) {
    if (!e.headers_sent) {
        if (m_clock.now() < e.ready_at) return; // the server is still building the response
        e.headers_sent = true;
        for (auto& line : e.header_lines)
            if (e.header_fn(line.data(), 1, line.size(), e.header_data) != line.size()) return end(multi, e, CURLE_WRITE_ERROR);
    }
    while (budget > 0 && e.pos < e.body.size()) {
        if (e.stall_after && e.pos >= e.stall_after) return; // silent, connection kept open
        if (e.drop_after && e.pos >= e.drop_after) return end(multi, e, CURLE_PARTIAL_FILE);
        std::size_t n = std::min({static_cast<std::size_t>(e.buffer_size), e.body.size() - e.pos, budget});
        if (e.stall_after) n = std::min(n, e.stall_after - e.pos);
        if (e.drop_after) n = std::min(n, e.drop_after - e.pos);
        const std::size_t taken = e.write_fn(e.body.data() + e.pos, 1, n, e.write_data);
        if (taken == CURL_WRITEFUNC_PAUSE) {
            e.paused = true;
            e.held = n;
            return;
        }
        m_bytes_sent += n;
        e.pos += n;
        budget -= n;
        if (taken != n) return end(multi, e, CURLE_WRITE_ERROR);
    }
    if (e.pos >= e.body.size() && !(e.stall_after && e.pos >= e.stall_after && e.stall_after < e.body.size()))
        end(multi, e, CURLE_OK);
}

// curl_easy_pause(CURLPAUSE_CONT) hands the refused piece over again right away.
void FakeCurl::unpause(Easy& e) {
    e.paused = false;
    const std::size_t held = e.held;
    e.held = 0;
    if (held > 0 && !e.ended && m_multi) deliver(*m_multi, e, held);
}

void FakeCurl::poll(int timeout_ms) {
    std::unique_lock lock(m_turn_mutex);
    m_last_poll_timeout_ms = timeout_ms;
    ++m_turns;
    m_parked = true;
    m_turn_cv.notify_all();
    m_turn_cv.wait(lock, [&] { return m_permits > 0 || m_free; });
    if (m_permits > 0) --m_permits;
    m_parked = false;
}

void FakeCurl::wait_parked() {
    std::unique_lock lock(m_turn_mutex);
    REQUIRE(m_turn_cv.wait_for(lock, std::chrono::seconds(30), [&] { return m_parked; }));
}

void FakeCurl::turn() {
    std::unique_lock lock(m_turn_mutex);
    REQUIRE(m_turn_cv.wait_for(lock, std::chrono::seconds(30), [&] { return m_parked; }));
    const auto target = m_turns + 1;
    ++m_permits;
    m_turn_cv.notify_all();
    REQUIRE(m_turn_cv.wait_for(lock, std::chrono::seconds(30), [&] { return m_turns >= target && m_parked; }));
}

void FakeCurl::free_run() {
    {
        std::lock_guard lock(m_turn_mutex);
        m_free = true;
    }
    m_turn_cv.notify_all();
}

} // namespace tabagent::test
