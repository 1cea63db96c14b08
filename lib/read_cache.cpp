#include "read_cache.hpp"

#include <algorithm>

namespace usermgmt::detail {

std::uint64_t ReadCache::epoch() const
{
    std::lock_guard lock(mutex_);
    return epoch_;
}

std::uint64_t ReadCache::observe_version(std::uint64_t version)
{
    std::lock_guard lock(mutex_);
    if (version_ != version) {
        clear_locked();
        version_ = version;
    }
    return epoch_;
}

std::optional<StoredUser> ReadCache::user(UserId id) const
{
    return lookup(users_, id);
}

void ReadCache::put_user(const StoredUser& user, std::uint64_t read_epoch)
{
    if (!enabled()) return;
    auto copy = std::make_shared<const StoredUser>(user);
    std::lock_guard lock(mutex_);
    if (read_epoch != epoch_) return;  // a write happened while this row was read
    // Bounded: when full, drop any one entry (an unordered_map's first is as good as random).
    if (users_.size() >= capacity_ && !users_.contains(user.user.id)) users_.erase(users_.begin());
    users_[user.user.id] = std::move(copy);
}

std::optional<SessionRecord> ReadCache::session(const std::string& id) const
{
    return lookup(sessions_, id);
}

void ReadCache::put_session(const SessionRecord& session, std::uint64_t read_epoch)
{
    if (!enabled()) return;
    auto copy = std::make_shared<const SessionRecord>(session);
    std::lock_guard lock(mutex_);
    if (read_epoch != epoch_) return;
    if (sessions_.size() >= capacity_ && !sessions_.contains(session.id)) drop_session_locked(sessions_.begin()->first);
    sessions_[session.id] = std::move(copy);
    auto& ids = sessions_of_[session.user_id];
    if (std::find(ids.begin(), ids.end(), session.id) == ids.end()) ids.push_back(session.id);
}

void ReadCache::drop_session_locked(const std::string& id)
{
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    auto of = sessions_of_.find(it->second->user_id);
    if (of != sessions_of_.end()) {
        std::erase(of->second, id);
        if (of->second.empty()) sessions_of_.erase(of);
    }
    sessions_.erase(it);
}

void ReadCache::invalidate_user(UserId id)
{
    std::lock_guard lock(mutex_);
    ++epoch_;
    users_.erase(id);
    auto of = sessions_of_.find(id);
    if (of == sessions_of_.end()) return;
    for (const auto& sid : of->second) sessions_.erase(sid);
    sessions_of_.erase(of);
}

void ReadCache::invalidate_session(const std::string& id)
{
    std::lock_guard lock(mutex_);
    ++epoch_;
    drop_session_locked(id);
}

void ReadCache::clear()
{
    std::lock_guard lock(mutex_);
    clear_locked();
}

void ReadCache::clear_locked()
{
    ++epoch_;
    users_.clear();
    sessions_.clear();
    sessions_of_.clear();
}

}  // namespace usermgmt::detail
