#pragma once
// Fixed-window counters per key, in memory and thread-safe. (A store-backed implementation can
// share them across nodes later; the service only needs `hit`.)

#include "usermgmt/config.hpp"
#include "usermgmt/types.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace usermgmt::detail {

class RateLimiter {
public:
    /// Counts one hit on `key` at `now` under `limit`; 0 when allowed, else the seconds until the
    /// window that refused it ends.
    long long hit(const std::string& key, const RateLimit& limit, TimePoint now);

private:
    struct Window {
        TimePoint start;
        std::uint32_t count = 0;
        std::chrono::seconds length{0};
    };
    void sweep(TimePoint now);

    std::mutex mutex_;
    std::unordered_map<std::string, Window> windows_;
};

}  // namespace usermgmt::detail
