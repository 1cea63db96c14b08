#include "caching_user_store.hpp"

namespace usermgmt::detail {

CachingUserStore::CachingUserStore(std::unique_ptr<UserStore> inner, std::size_t capacity)
    : inner_(std::move(inner)), cache_(capacity)
{
}

CachingUserStore::~CachingUserStore()
{
    inner_.reset();
}

namespace {

// The read scope open on this thread, if any: whose it is, whether it looked at the database's
// change counter yet, and the epoch that look gave (none: the look failed).
struct ReadScopeState {
    const CachingUserStore* store = nullptr;
    bool looked = false;
    std::optional<std::uint64_t> epoch;
};
thread_local ReadScopeState read_scope;

}  // namespace

bool CachingUserStore::open_read_scope() const
{
    if (read_scope.store) return false;
    read_scope = ReadScopeState{this, false, std::nullopt};
    return true;
}

bool CachingUserStore::open_read_scope(std::optional<std::uint64_t> epoch) const
{
    if (read_scope.store) return false;
    read_scope = ReadScopeState{this, true, epoch};
    return true;
}

void CachingUserStore::close_read_scope()
{
    read_scope = ReadScopeState{};
}

std::optional<std::uint64_t> CachingUserStore::fresh_epoch()
{
    if (!cache_.enabled()) return std::nullopt;
    // Inside a read scope (one request, one operation) the database is looked at once: what
    // anyone committed before the scope began is seen; what commits during it may not be, as
    // with any request that runs beside a write. A look that failed is tried again at the next
    // read, unless it was taken for the scope beforehand (then the scope reads the database).
    const bool scoped = read_scope.store == this;
    if (scoped && read_scope.looked) return read_scope.epoch;
    auto epoch = check_version();
    if (scoped && epoch) read_scope = ReadScopeState{this, true, epoch};
    return epoch;
}

std::optional<std::uint64_t> CachingUserStore::check_version()
{
    return observe(inner_->data_version());
}

std::optional<std::uint64_t> CachingUserStore::observe(const Result<std::uint64_t>& version)
{
    if (!version) {
        // Unsure whether anyone committed: nothing cached may be trusted, and nothing is kept.
        cache_.clear();
        return std::nullopt;
    }
    return cache_.observe_version(*version);
}

void CachingUserStore::async_fresh_epoch(std::function<void(std::optional<std::uint64_t>)> then)
{
    if (!cache_.enabled()) return then(std::nullopt);
    inner_->async_data_version([this, then = std::move(then)](const Result<std::uint64_t>& version) {
        then(observe(version));
    });
}

template <class Write>
auto CachingUserStore::write(Write&& call) -> decltype(call(std::declval<UserStore&>()))
{
    auto result = call(*inner_);
    cache_.clear();
    return result;
}

Result<StoredUser> CachingUserStore::find_user(UserId id)
{
    const auto epoch = fresh_epoch();
    if (!epoch) return inner_->find_user(id);
    if (auto cached = cache_.user(id)) return std::move(*cached);
    auto found = inner_->find_user(id);
    if (found) cache_.put_user(*found, *epoch);
    return found;
}

Result<SessionRecord> CachingUserStore::find_session(std::string_view id)
{
    const auto epoch = fresh_epoch();
    if (!epoch) return inner_->find_session(id);
    if (auto cached = cache_.session(std::string(id))) return std::move(*cached);
    auto found = inner_->find_session(id);
    if (found) cache_.put_session(*found, *epoch);
    return found;
}

// ---- reads that are not cached ----------------------------------------------------------------

Result<StoredUser> CachingUserStore::find_user_by_username(std::string_view username)
{
    return inner_->find_user_by_username(username);
}
Result<StoredUser> CachingUserStore::find_user_by_email(std::string_view email)
{
    return inner_->find_user_by_email(email);
}
Result<UserPage> CachingUserStore::list_users(const ListQuery& query)
{
    return inner_->list_users(query);
}
Result<std::vector<std::string>> CachingUserStore::list_groups()
{
    return inner_->list_groups();
}
Result<TokenRecord> CachingUserStore::find_token(TokenPurpose purpose, std::string_view digest)
{
    return inner_->find_token(purpose, digest);
}
Result<void> CachingUserStore::ping()
{
    return inner_->ping();
}
Result<std::uint64_t> CachingUserStore::data_version()
{
    return inner_->data_version();
}

// ---- writes: each empties the cache once it ends ------------------------------------------------

Result<StoredUser> CachingUserStore::insert_user(const StoredUser& record)
{
    return write([&](UserStore& s) { return s.insert_user(record); });
}
Result<void> CachingUserStore::update_user(const StoredUser& record)
{
    return write([&](UserStore& s) { return s.update_user(record); });
}
Result<void> CachingUserStore::erase_user(UserId id)
{
    return write([&](UserStore& s) { return s.erase_user(id); });
}
Result<std::vector<User>> CachingUserStore::erase_unactivated(TimePoint joined_before)
{
    return write([&](UserStore& s) { return s.erase_unactivated(joined_before); });
}
Result<void> CachingUserStore::create_group(std::string_view name)
{
    return write([&](UserStore& s) { return s.create_group(name); });
}
Result<void> CachingUserStore::erase_group(std::string_view name)
{
    return write([&](UserStore& s) { return s.erase_group(name); });
}
Result<void> CachingUserStore::put_token(const TokenRecord& token)
{
    return write([&](UserStore& s) { return s.put_token(token); });
}
Result<TokenRecord> CachingUserStore::consume_token(TokenPurpose purpose, std::string_view digest, TimePoint at)
{
    return write([&](UserStore& s) { return s.consume_token(purpose, digest, at); });
}
Result<void> CachingUserStore::erase_tokens(UserId user, TokenPurpose purpose)
{
    return write([&](UserStore& s) { return s.erase_tokens(user, purpose); });
}
Result<void> CachingUserStore::create_session(const SessionRecord& session)
{
    return write([&](UserStore& s) { return s.create_session(session); });
}
// A login changes its user's last_login and adds a session no cache holds: only the user's row
// is dropped, not everything (a login storm would otherwise keep the cache empty). Nor is a
// login announced to other nodes on PostgreSQL (its schema's migration 3).
Result<void> CachingUserStore::record_login(UserId id, std::string_view verified_hash, TimePoint at,
                                            const SessionRecord& session)
{
    auto result = inner_->record_login(id, verified_hash, at, session);
    cache_.invalidate_user(id);
    return result;
}
Result<void> CachingUserStore::end_session(std::string_view id, TimePoint at)
{
    return write([&](UserStore& s) { return s.end_session(id, at); });
}
Result<void> CachingUserStore::end_sessions_of(UserId user, std::string_view keep, TimePoint at)
{
    return write([&](UserStore& s) { return s.end_sessions_of(user, keep, at); });
}
Result<std::optional<TimePoint>> CachingUserStore::record_refresh_use(std::string_view digest,
                                                                      std::string_view session, TimePoint at,
                                                                      TimePoint extend_to)
{
    return write([&](UserStore& s) { return s.record_refresh_use(digest, session, at, extend_to); });
}
Result<void> CachingUserStore::purge_expired(TimePoint before)
{
    return write([&](UserStore& s) { return s.purge_expired(before); });
}
// The work reads and writes the transaction's own store (never the cache: it must see its rows).
Result<void> CachingUserStore::in_transaction(const std::function<Result<void>(UserStore&)>& work)
{
    return write([&](UserStore& s) { return s.in_transaction(work); });
}

}  // namespace usermgmt::detail
