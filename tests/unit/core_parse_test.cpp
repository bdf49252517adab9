#include "core/config.hpp"
#include "core/util/time.hpp"

#include <doctest/doctest.h>

using namespace tabagent;
using std::chrono::seconds;

TEST_CASE("config: ages parse with s/m/h/d/w units, bare numbers are days") {
    CHECK(parse_age("30d") == seconds(30 * 86400));
    CHECK(parse_age("30") == seconds(30 * 86400));
    CHECK(parse_age("12h") == seconds(12 * 3600));
    CHECK(parse_age("90m") == seconds(90 * 60));
    CHECK(parse_age("45s") == seconds(45));
    CHECK(parse_age("2w") == seconds(14 * 86400));
    CHECK(parse_age("1.5d") == seconds(129600));
    CHECK(parse_age(" 0d ") == seconds(0));
    CHECK_FALSE(parse_age(""));
    CHECK_FALSE(parse_age("d"));
    CHECK_FALSE(parse_age("-3d"));
    CHECK_FALSE(parse_age("3y"));
    CHECK_FALSE(parse_age("3dd"));
}

TEST_CASE("config: iso8601 timestamps round-trip") {
    auto t = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + std::chrono::hours{21} +
             std::chrono::minutes{34} + std::chrono::seconds{48};
    CHECK(util::iso8601(t) == "2026-11-25T21:34:48Z");
    CHECK(util::parse_iso8601("2026-11-25T21:34:48Z") == t);
    CHECK_FALSE(util::parse_iso8601(""));
    CHECK_FALSE(util::parse_iso8601("2026-02-30T00:00:00Z"));
    CHECK_FALSE(util::parse_iso8601("2026-11-25 21:34:48Z"));
}
