// The default ThrottleStore: fixed windows per key in a map, under one mutex.
#include "usermgmt/throttle_store.hpp"

#include <mutex>
#include <string>
#include <unordered_map>

namespace usermgmt {
namespace {

class MemoryThrottleStore final : public ThrottleStore {
public:
    Result<long long> hit(std::string_view key, const RateLimit& limit, TimePoint now) override
    {
        if (limit.requests == 0) return 0LL;
        std::lock_guard lock(mutex_);
        // Bounded memory: past 100,000 keys, windows that are over are dropped.
        if (windows_.size() > 100000)
            std::erase_if(windows_, [&](const auto& entry) { return now >= entry.second.start + entry.second.length; });
        auto& w = windows_[std::string(key)];
        if (w.count == 0 || now >= w.start + w.length) w = Window{now, 0, limit.per};
        if (w.count >= limit.requests) {
            const auto left = std::chrono::ceil<std::chrono::seconds>(w.start + w.length - now).count();
            return left > 0 ? static_cast<long long>(left) : 1LL;
        }
        ++w.count;
        return 0LL;
    }

private:
    struct Window {
        TimePoint start;
        std::uint32_t count = 0;
        std::chrono::seconds length{0};
    };

    std::mutex mutex_;
    std::unordered_map<std::string, Window> windows_;
};

}  // namespace

std::unique_ptr<ThrottleStore> make_memory_throttle_store()
{
    return std::make_unique<MemoryThrottleStore>();
}

}  // namespace usermgmt
