#pragma once
// In-memory caches of the rows every authenticated request reads: users by id and sessions by
// id. Thread-safe and bounded. A reader caches what it read only if no invalidation happened
// since it began reading (an epoch counter), so a slow reader can never put back a row older
// than a write it raced with. When and what to invalidate is decided by CachingUserStore.
// Only rows found are kept, never a miss: a row inserted by another node (a new session) need not
// be announced to be seen. A cached user's last_login may be older than a login made through
// another PostgreSQL node (logins are not announced): nothing may decide on it from the cache.

#include "usermgmt/user_store.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace usermgmt::detail {

class ReadCache {
public:
    explicit ReadCache(std::size_t capacity) : capacity_(capacity) {}

    bool enabled() const { return capacity_ > 0; }
    /// The epoch to pass to `put_*` for a read that starts now.
    std::uint64_t epoch() const;
    /// Records the database's change counter: when it differs from the last one seen, everything
    /// cached is dropped. Returns the epoch to pass to `put_*` for a read that starts now.
    std::uint64_t observe_version(std::uint64_t version);

    std::optional<StoredUser> user(UserId id) const;
    void put_user(const StoredUser& user, std::uint64_t read_epoch);
    std::optional<SessionRecord> session(const std::string& id) const;
    void put_session(const SessionRecord& session, std::uint64_t read_epoch);

    /// After a committed change of a user: drops the user and every cached session of it.
    void invalidate_user(UserId id);
    /// After a committed change of one session.
    void invalidate_session(const std::string& id);
    /// After a change that touches many users (a deleted group) or many sessions (a purge).
    void clear();

    /// Lookups answered from the cache, and not, since the start (for metrics).
    std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

private:
    // A row by key, counted as a hit or a miss. The pointer is taken under the lock, the copy
    // made off it: the other threads' lookups do not wait for the copy.
    template <class Map, class Key>
    auto lookup(const Map& rows, const Key& key) const -> std::optional<std::remove_const_t<typename Map::mapped_type::element_type>>
    {
        if (!enabled()) return std::nullopt;
        typename Map::mapped_type found;
        {
            std::lock_guard lock(mutex_);
            const auto it = rows.find(key);
            if (it != rows.end()) found = it->second;
        }
        (found ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
        if (!found) return std::nullopt;
        return *found;
    }

    void drop_session_locked(const std::string& id);
    void clear_locked();

    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::uint64_t epoch_ = 0;
    std::optional<std::uint64_t> version_;
    // Rows behind shared pointers: a lookup copies a pointer under the lock, the row after it.
    std::unordered_map<UserId, std::shared_ptr<const StoredUser>> users_;
    std::unordered_map<std::string, std::shared_ptr<const SessionRecord>> sessions_;
    std::unordered_map<UserId, std::vector<std::string>> sessions_of_;
    mutable std::atomic<std::uint64_t> hits_{0};
    mutable std::atomic<std::uint64_t> misses_{0};
};

}  // namespace usermgmt::detail
