#include "rate_limiter.hpp"

namespace usermgmt::detail {

long long RateLimiter::hit(const std::string& key, const RateLimit& limit, TimePoint now)
{
    if (limit.requests == 0) return 0;
    std::lock_guard lock(mutex_);
    // Bounded memory: past 100,000 keys, windows that are over are dropped.
    if (windows_.size() > 100000) sweep(now);
    auto& w = windows_[key];
    if (w.count == 0 || now >= w.start + w.length) w = Window{now, 0, limit.per};
    if (w.count >= limit.requests) {
        const auto left = std::chrono::ceil<std::chrono::seconds>(w.start + w.length - now).count();
        return left > 0 ? left : 1;
    }
    ++w.count;
    return 0;
}

void RateLimiter::sweep(TimePoint now)
{
    std::erase_if(windows_, [&](const auto& entry) { return now >= entry.second.start + entry.second.length; });
}

}  // namespace usermgmt::detail
