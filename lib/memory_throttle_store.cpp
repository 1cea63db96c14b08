// The default ThrottleStore: fixed windows per key in this process's memory, bounded.
// Keys are spread over shards, each with its own mutex, map and list, so no attempt waits on a
// lock held for the whole store, and eviction is O(1): each shard keeps its keys least recently
// hit first and, when full, drops an ended window near the front, or the front itself.
#include "usermgmt/throttle_store.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace usermgmt {
namespace {

// Longer keys are refused: the bound on count is then a bound on bytes.
constexpr std::size_t max_key_bytes = 128;
constexpr std::size_t shard_count = 16;

class MemoryThrottleStore final : public ThrottleStore {
public:
    explicit MemoryThrottleStore(std::size_t max_keys) : per_shard_(std::max<std::size_t>(1, max_keys / shard_count)) {}

    Result<long long> hit(std::string_view key, const RateLimit& limit, TimePoint now) override
    {
        if (limit.requests == 0) return 0LL;
        if (key.size() > max_key_bytes) return fail(Errc::invalid_argument, "throttle key too long");
        Shard& shard = shards_[std::hash<std::string_view>{}(key) % shard_count];
        std::lock_guard lock(shard.mutex);
        auto found = shard.index.find(key);
        if (found == shard.index.end()) {
            if (shard.index.size() >= per_shard_) evict_one(shard, now);
            shard.order.push_back(Window{std::string(key), now, 0, limit.per});
            found = shard.index.emplace(shard.order.back().key, std::prev(shard.order.end())).first;
        }
        auto window = found->second;
        // Every hit, refused ones included, makes the key the most recent: a key under attack
        // is the last to be evicted. (The index views the key's characters in place: only the
        // node moves, never the string.)
        shard.order.splice(shard.order.end(), shard.order, window);
        if (window->count == 0 || now >= window->start + window->length) {
            window->start = now;
            window->count = 0;
            window->length = limit.per;
        }
        if (window->count >= limit.requests) {
            const auto left = std::chrono::ceil<std::chrono::seconds>(window->start + window->length - now).count();
            return left > 0 ? static_cast<long long>(left) : 1LL;
        }
        ++window->count;
        return 0LL;
    }

    Result<void> purge(TimePoint now) override
    {
        for (auto& shard : shards_) {
            std::lock_guard lock(shard.mutex);
            for (auto it = shard.order.begin(); it != shard.order.end();) {
                if (now < it->start + it->length) {
                    ++it;
                    continue;
                }
                shard.index.erase(it->key);
                it = shard.order.erase(it);
            }
        }
        return {};
    }

private:
    struct Window;
    struct Shard;

    // Makes room in a full shard: an ended window among the least recently hit ones if there
    // is one, else the least recently hit. A few entries are looked at, never the whole shard.
    static void evict_one(Shard& shard, TimePoint now)
    {
        auto victim = shard.order.begin();
        auto it = shard.order.begin();
        for (int looked = 0; looked < 8 && it != shard.order.end(); ++looked, ++it) {
            if (now >= it->start + it->length) {
                victim = it;
                break;
            }
        }
        shard.index.erase(victim->key);
        shard.order.erase(victim);
    }

    struct Window {
        std::string key;
        TimePoint start;
        std::uint32_t count = 0;
        std::chrono::seconds length{0};
    };
    struct Shard {
        std::mutex mutex;
        std::list<Window> order;  // least recently hit first
        // Views into the list's keys (list nodes never move).
        std::unordered_map<std::string_view, std::list<Window>::iterator> index;
    };

    std::size_t per_shard_;
    std::array<Shard, shard_count> shards_;
};

}  // namespace

std::unique_ptr<ThrottleStore> make_memory_throttle_store(std::size_t max_keys)
{
    return std::make_unique<MemoryThrottleStore>(max_keys);
}

}  // namespace usermgmt
