#pragma once
// The read cache as a decorator of the store port: the one place where cached rows are kept and
// dropped. Users and sessions read by id are cached. Before a cached row is trusted, the store's
// `data_version` is read: if anyone (this process, another process, another node) committed a
// change since the last look, the cache is emptied. A write through this decorator empties it
// too, as soon as the write ends, so a backend that learns of commits late (a notification)
// still never shows this process its own write missing. A reader caches what it read only if
// nothing was emptied since it started (an epoch), so a slow reader cannot put back a row older
// than a commit it raced with. Emptying on any change is coarse, and enough: writes are rare
// next to the token checks the cache is for (docs/performance.md).

#include "usermgmt/user_store.hpp"

#include "read_cache.hpp"

#include <functional>
#include <memory>
#include <optional>

namespace usermgmt::detail {

class CachingUserStore final : public UserStore {
public:
    /// Wraps `inner`; `capacity` rows of each kind at most (0: every read goes to `inner`).
    CachingUserStore(std::unique_ptr<UserStore> inner, std::size_t capacity);
    /// Closes the inner store first: a look it answers as it closes still finds the cache.
    ~CachingUserStore() override;

    Result<StoredUser> insert_user(const StoredUser& record) override;
    Result<StoredUser> find_user(UserId id) override;
    Result<StoredUser> find_user_by_username(std::string_view username) override;
    Result<StoredUser> find_user_by_email(std::string_view email) override;
    Result<void> update_user(const StoredUser& record) override;
    Result<void> erase_user(UserId id) override;
    Result<std::vector<User>> erase_unactivated(TimePoint joined_before) override;
    Result<UserPage> list_users(const ListQuery& query) override;
    Result<void> create_group(std::string_view name) override;
    Result<void> erase_group(std::string_view name) override;
    Result<std::vector<std::string>> list_groups() override;
    Result<void> put_token(const TokenRecord& token) override;
    Result<TokenRecord> find_token(TokenPurpose purpose, std::string_view digest) override;
    Result<TokenRecord> consume_token(TokenPurpose purpose, std::string_view digest, TimePoint at) override;
    Result<void> erase_tokens(UserId user, TokenPurpose purpose) override;
    Result<void> create_session(const SessionRecord& session) override;
    Result<void> record_login(UserId id, std::string_view verified_hash, TimePoint at,
                              const SessionRecord& session) override;
    Result<SessionRecord> find_session(std::string_view id) override;
    Result<void> end_session(std::string_view id, TimePoint at) override;
    Result<void> end_sessions_of(UserId user, std::string_view keep, TimePoint at) override;
    Result<std::optional<TimePoint>> record_refresh_use(std::string_view digest, std::string_view session,
                                                        TimePoint at, TimePoint extend_to) override;
    Result<void> purge_expired(TimePoint before) override;
    // The mail queue holds no cached rows: straight to the inner store, the cache untouched.
    Result<MailId> put_mail(const QueuedMail& mail) override { return inner_->put_mail(mail); }
    Result<std::vector<QueuedMail>> claim_mail(TimePoint now, TimePoint lease_until, std::size_t limit) override
    {
        return inner_->claim_mail(now, lease_until, limit);
    }
    Result<void> erase_mail(MailId id, std::optional<TimePoint> held_until) override
    {
        return inner_->erase_mail(id, held_until);
    }
    Result<void> defer_mail(MailId id, TimePoint held_until, TimePoint next_attempt, std::string_view reason) override
    {
        return inner_->defer_mail(id, held_until, next_attempt, reason);
    }
    Result<void> bury_mail(MailId id, std::optional<TimePoint> held_until, std::string_view reason) override
    {
        return inner_->bury_mail(id, held_until, reason);
    }
    Result<MailQueueCounts> count_mail(TimePoint now) override { return inner_->count_mail(now); }
    Result<std::vector<QueuedMail>> list_mail(MailState state, std::size_t limit) override
    {
        return inner_->list_mail(state, limit);
    }
    Result<QueuedMail> find_mail(MailId id) override { return inner_->find_mail(id); }
    Result<void> in_transaction(const std::function<Result<void>(UserStore&)>& work) override;
    Result<void> ping() override;
    Result<std::uint64_t> data_version() override;
    bool data_version_waits() const override { return inner_->data_version_waits(); }
    void async_data_version(std::function<void(const Result<std::uint64_t>&)> then) override
    {
        inner_->async_data_version(std::move(then));
    }

    /// Opens a read scope of this store on the calling thread, unless one is open there: until
    /// `close_read_scope`, the thread's reads look at `data_version` once, at the first of them.
    /// True when it opened one (and must close it).
    bool open_read_scope() const;
    /// The same with the look already taken (by `async_fresh_epoch`, maybe on another thread):
    /// the scope's reads trust the cache as of `epoch`, or go to the database when it is empty
    /// (the look failed). False when a scope was open on this thread already (it counts).
    bool open_read_scope(std::optional<std::uint64_t> epoch) const;
    static void close_read_scope();

    /// True when a look at `data_version` is a round trip (see `UserStore::data_version_waits`)
    /// and the cache is on, so that it matters.
    bool fresh_epoch_waits() const { return cache_.enabled() && inner_->data_version_waits(); }
    /// A look at `data_version` without blocking: `then` gets the epoch to open a read scope
    /// with, or nullopt when the store cannot say (then nothing cached may be trusted). Called
    /// on this thread at once, or later on the store's thread (`fresh_epoch_waits`).
    void async_fresh_epoch(std::function<void(std::optional<std::uint64_t>)> then);

    /// The cache's hit and miss counts.
    const ReadCache& cache() const { return cache_; }

private:
    // The epoch to cache a row read from now on, after emptying the cache if anyone committed
    // since the last look; nullopt when the store cannot say (then nothing is cached or trusted).
    std::optional<std::uint64_t> fresh_epoch();
    // Reads data_version and empties the cache when it moved; the epoch for reads from now on.
    std::optional<std::uint64_t> check_version();
    // Acts on a look at data_version: empties the cache when it moved (or when the look failed).
    std::optional<std::uint64_t> observe(const Result<std::uint64_t>& version);
    // Runs a write on the inner store, then empties the cache whatever the outcome (a failed
    // commit may still have changed rows: the next read goes to the database).
    template <class Write>
    auto write(Write&& call) -> decltype(call(std::declval<UserStore&>()));

    // Looks are not serialized: two readers may act on their versions out of order. The older
    // one then looks like a change and empties the cache once more than needed; nothing stale
    // is ever trusted, since any version unlike the last one empties it.
    std::unique_ptr<UserStore> inner_;
    ReadCache cache_;
};

}  // namespace usermgmt::detail
