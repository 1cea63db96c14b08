#pragma once
// What every ThrottleStore does, for each backend's tests.

#include "usermgmt/throttle_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <string_view>
#include <thread>
#include <vector>

namespace usermgmt::test {

inline const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));

inline long long hit(ThrottleStore& store, std::string_view key, const RateLimit& limit, TimePoint now)
{
    auto result = store.hit(key, limit, now);
    REQUIRE(result);
    return *result;
}

// What every ThrottleStore does.
inline void check_fixed_windows(ThrottleStore& store)
{
    const RateLimit three{3, std::chrono::seconds(60)};
    for (int i = 0; i < 3; ++i) CHECK(hit(store, "login|ip|10.0.0.1", three, t0 + std::chrono::seconds(i)) == 0);
    // The fourth in the window is refused with the seconds left in it, and not counted.
    CHECK(hit(store, "login|ip|10.0.0.1", three, t0 + std::chrono::seconds(10)) == 50);
    CHECK(hit(store, "login|ip|10.0.0.1", three, t0 + std::chrono::milliseconds(59'500)) == 1);
    // Other keys count apart.
    CHECK(hit(store, "login|ip|10.0.0.2", three, t0 + std::chrono::seconds(10)) == 0);
    // The window ends 60 s after its first attempt; a new one begins.
    CHECK(hit(store, "login|ip|10.0.0.1", three, t0 + std::chrono::seconds(60)) == 0);
    CHECK(hit(store, "login|ip|10.0.0.1", three, t0 + std::chrono::seconds(61)) == 0);
    CHECK(hit(store, "login|ip|10.0.0.1", three, t0 + std::chrono::seconds(62)) == 0);
    CHECK(hit(store, "login|ip|10.0.0.1", three, t0 + std::chrono::seconds(63)) == 57);
    // No limit: always counted.
    for (int i = 0; i < 10; ++i) CHECK(hit(store, "free", RateLimit{0, std::chrono::seconds(60)}, t0) == 0);
}


/// Two stores on one backend (two nodes) counting one key from four threads at once: exactly
/// `limit.requests` attempts are allowed, the others refused (80 attempts in all).
inline void check_one_limit_under_contention(ThrottleStore& a, ThrottleStore& b, const RateLimit& limit)
{
    std::atomic<int> allowed{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            ThrottleStore& store = t % 2 ? a : b;
            for (int i = 0; i < 20; ++i) {
                auto r = store.hit("login|account|amy", limit, t0);
                if (r && *r == 0) ++allowed;
                else if (r) ++refused;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(allowed == static_cast<int>(limit.requests));
    CHECK(refused == 80 - static_cast<int>(limit.requests));
}

}  // namespace usermgmt::test
