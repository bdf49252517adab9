#include "core/util/time.hpp"

#include <array>
#include <cstdio>

namespace tabagent::util {
namespace {

std::optional<std::chrono::system_clock::time_point> from_civil(int y, int mo, int d, int h, int mi, int s) {
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return std::nullopt;
    using namespace std::chrono;
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
}

int month_number(const char* name) {
    static constexpr std::array<std::string_view, 12> k_months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (std::size_t i = 0; i < k_months.size(); ++i)
        if (k_months[i] == name) return static_cast<int>(i) + 1;
    return 0;
}

} // namespace

std::string iso8601(std::chrono::system_clock::time_point t) {
    // C++20's civil calendar instead of gmtime_r (POSIX) / gmtime_s (Windows): no OS call, and
    // the same answer on every platform.
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::string iso8601_or_empty(std::chrono::system_clock::time_point t) {
    return t == std::chrono::system_clock::time_point{} ? std::string() : iso8601(t);
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text) {
    if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != 'Z')
        return std::nullopt;
    auto num = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (text[i] < '0' || text[i] > '9') return -1;
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    return from_civil(num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2));
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
    if (text.size() > 64) return std::nullopt;
    const std::string copy(text);
    const char* in = copy.c_str();
    const int length = static_cast<int>(copy.size());
    char weekday[16] = {}, mon[4] = {};
    int d = 0, y = 0, h = 0, mi = 0, s = 0, used = 0;
    // Each format must consume the whole text (%n), so trailing garbage is refused.
    if (std::sscanf(in, "%15[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", weekday, &d, mon, &y, &h, &mi, &s, &used) == 7 &&
        used == length)
        return from_civil(y, month_number(mon), d, h, mi, s); // IMF-fixdate
    if (std::sscanf(in, "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", weekday, &d, mon, &y, &h, &mi, &s, &used) == 7 &&
        used == length)
        return from_civil(y + (y < 70 ? 2000 : 1900), month_number(mon), d, h, mi, s); // RFC 850
    if (std::sscanf(in, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", weekday, mon, &d, &h, &mi, &s, &y, &used) == 7 &&
        used == length)
        return from_civil(y, month_number(mon), d, h, mi, s); // asctime
    return std::nullopt;
}

} // namespace tabagent::util
