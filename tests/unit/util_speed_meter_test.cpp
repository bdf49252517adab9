#include "core/util/speed_meter.hpp"

#include <doctest/doctest.h>

using namespace tabagent;
using namespace std::chrono_literals;
using util::SpeedMeter;

TEST_CASE("speed meter: the rate covers the window ending at the last sample") {
    const SpeedMeter::Clock::time_point t0{};
    SpeedMeter meter(1000ms, 200ms);
    SUBCASE("no rate before min_span of history") {
        meter.record(0, t0);
        meter.record(1000, t0 + 100ms);
        CHECK(meter.bytes_per_second() == 0);
        CHECK_FALSE(meter.eta_seconds(10).has_value());
    }
    SUBCASE("a steady counter gives its slope and an ETA") {
        for (int i = 0; i <= 10; ++i) meter.record(static_cast<std::uint64_t>(i) * 1000, t0 + i * 100ms);
        CHECK(meter.bytes_per_second() == doctest::Approx(10'000));
        REQUIRE(meter.eta_seconds(5000).has_value());
        CHECK(*meter.eta_seconds(5000) == doctest::Approx(0.5));
    }
    SUBCASE("old samples leave the window: a slowdown shows within one window") {
        for (int i = 0; i <= 10; ++i) meter.record(static_cast<std::uint64_t>(i) * 10'000, t0 + i * 100ms);
        CHECK(meter.bytes_per_second() == doctest::Approx(100'000));
        for (int i = 11; i <= 30; ++i) meter.record(100'000 + static_cast<std::uint64_t>(i - 10) * 100, t0 + i * 100ms);
        CHECK(meter.bytes_per_second() == doctest::Approx(1'000));
    }
    SUBCASE("a counter going backwards starts over") {
        meter.record(0, t0);
        meter.record(5000, t0 + 500ms);
        CHECK(meter.bytes_per_second() == doctest::Approx(10'000));
        meter.record(100, t0 + 600ms);
        CHECK(meter.bytes_per_second() == 0);
    }
    SUBCASE("meters fed the same clock add up") {
        SpeedMeter a(1000ms, 200ms), b(1000ms, 200ms), sum(1000ms, 200ms);
        for (int i = 0; i <= 20; ++i) {
            const auto now = t0 + i * 100ms;
            const std::uint64_t x = static_cast<std::uint64_t>(i) * 300, y = static_cast<std::uint64_t>(i * i) * 7;
            a.record(x, now);
            b.record(y, now);
            sum.record(x + y, now);
        }
        CHECK(a.bytes_per_second() + b.bytes_per_second() == doctest::Approx(sum.bytes_per_second()));
    }
}
