#pragma once
/// @file user_store.hpp
/// The storage port. It holds no policy: expiry, hashing, permissions and validation live in
/// `UserService`. Every backend must pass tests/storage/user_store_contract.hpp.

#include "usermgmt/export.hpp"
#include "usermgmt/mail_queue.hpp"
#include "usermgmt/result.hpp"
#include "usermgmt/types.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usermgmt {

/// A user row with its password hash. Never leaves the core.
struct USERMGMT_EXPORT StoredUser {
    User user;
    std::string password_hash;
};

/// What a one-time token is for.
enum class TokenPurpose { activation = 1, password_reset = 2, username_reset = 3 };

/// A one-time token as stored: only the SHA-256 digest of the raw token.
struct USERMGMT_EXPORT TokenRecord {
    TokenPurpose purpose = TokenPurpose::activation;
    UserId user_id = 0;
    std::string digest;  ///< 32 raw bytes
    TimePoint created_at{};
    TimePoint expires_at{};
    bool used = false;
};

/// One login: both tokens of it carry `id` in their `sid` claim.
struct USERMGMT_EXPORT SessionRecord {
    std::string id;
    UserId user_id = 0;
    TimePoint created_at{};
    TimePoint expires_at{};
    std::optional<TimePoint> ended_at;
};

/// Persistent storage of users, groups, one-time tokens and sessions.
///
/// Errors: `not_found` for a missing row; `already_exists` with the field (`username`, `email`,
/// `name`) and `Reason::taken` on a unique clash, which the database itself enforces case-insensitively;
/// `storage_failure` for everything else. A successful write is committed (or, inside
/// `in_transaction`, committed when the transaction is).
/// Thread-safety: implementations are safe to call from many threads at once.
class USERMGMT_EXPORT UserStore {
public:
    virtual ~UserStore() = default;

    /// Inserts `record.user` with its groups. Id 0: the store assigns the next one. Any other id
    /// (an import keeping ids) is used as given, the caller having made sure it is free, and
    /// no id the store assigns afterwards is lower or equal to it.
    [[nodiscard]] virtual Result<StoredUser> insert_user(const StoredUser& record) = 0;
    [[nodiscard]] virtual Result<StoredUser> find_user(UserId id) = 0;
    /// Case-insensitive exact match.
    [[nodiscard]] virtual Result<StoredUser> find_user_by_username(std::string_view username) = 0;
    /// Case-insensitive exact match.
    [[nodiscard]] virtual Result<StoredUser> find_user_by_email(std::string_view email) = 0;
    /// Writes every column of the row `record.user.id`, groups included.
    [[nodiscard]] virtual Result<void> update_user(const StoredUser& record) = 0;
    /// Deletes the user and, with it, its tokens, sessions and memberships.
    [[nodiscard]] virtual Result<void> erase_user(UserId id) = 0;
    /// Deletes the accounts that were never activated and joined before `joined_before` (with
    /// their tokens and sessions); returns them, so that their media can be removed.
    [[nodiscard]] virtual Result<std::vector<User>> erase_unactivated(TimePoint joined_before) = 0;
    /// Users ordered by id, filtered by case-insensitive prefixes, and the matching count.
    [[nodiscard]] virtual Result<UserPage> list_users(const ListQuery& query) = 0;

    /// Creates a group; `already_exists` when the name is taken (case-insensitively).
    [[nodiscard]] virtual Result<void> create_group(std::string_view name) = 0;
    [[nodiscard]] virtual Result<void> erase_group(std::string_view name) = 0;
    /// All group names, sorted.
    [[nodiscard]] virtual Result<std::vector<std::string>> list_groups() = 0;

    [[nodiscard]] virtual Result<void> put_token(const TokenRecord& token) = 0;
    /// The token with this purpose and digest, used or not; `not_found` otherwise.
    [[nodiscard]] virtual Result<TokenRecord> find_token(TokenPurpose purpose, std::string_view digest) = 0;
    /// Marks an unused token used (at `at`) and returns it; `not_found` if missing or already
    /// used, so of two concurrent consumers exactly one succeeds.
    [[nodiscard]] virtual Result<TokenRecord> consume_token(TokenPurpose purpose, std::string_view digest,
                                                            TimePoint at) = 0;
    /// Deletes every token of `user` with `purpose`.
    [[nodiscard]] virtual Result<void> erase_tokens(UserId user, TokenPurpose purpose) = 0;

    [[nodiscard]] virtual Result<void> create_session(const SessionRecord& session) = 0;
    /// A login, in one transaction: `last_login` of `id` becomes `at` and `session` is created,
    /// provided the account is still active and its password hash is still `verified_hash` (the
    /// one the password was checked against). Otherwise (gone, deactivated or given another
    /// password since) `not_found`, and nothing is written. `session.user_id` is `id`. The
    /// default runs `find_user`, `update_user` and `create_session` in `in_transaction`; the
    /// SQLite and PostgreSQL stores write it with one statement per table, as every login does.
    [[nodiscard]] virtual Result<void> record_login(UserId id, std::string_view verified_hash, TimePoint at,
                                                    const SessionRecord& session);
    [[nodiscard]] virtual Result<SessionRecord> find_session(std::string_view id) = 0;
    /// Ends one session (no-op when already ended).
    [[nodiscard]] virtual Result<void> end_session(std::string_view id, TimePoint at) = 0;
    /// Ends every open session of `user` except `keep` (empty keeps none).
    [[nodiscard]] virtual Result<void> end_sessions_of(UserId user, std::string_view keep, TimePoint at) = 0;
    /// Records the first use of a refresh token (by digest) of `session` at `at`, and with it
    /// extends the session to live until `extend_to` at least (the new refresh token's expiry:
    /// rotation slides the session). Returns nullopt when this is the first use, else the time
    /// of the first use (the token is being reused; nothing is extended).
    [[nodiscard]] virtual Result<std::optional<TimePoint>> record_refresh_use(std::string_view digest,
                                                                              std::string_view session, TimePoint at,
                                                                              TimePoint extend_to) = 0;
    /// Deletes sessions and tokens that expired before `before`.
    [[nodiscard]] virtual Result<void> purge_expired(TimePoint before) = 0;

    // The mail queue (mail_queue.hpp). Its rows change no user data: writes to it need not
    // move `data_version`.

    /// Queues a mail (in the caller's transaction, beside the token it carries); its new id.
    /// The mail's id, lease and attempts are set by the store.
    [[nodiscard]] virtual Result<MailId> put_mail(const QueuedMail& mail) = 0;
    /// Leases up to `limit` queued mails that are due at `now` and held by nobody, oldest first,
    /// until `lease_until`. While a lease runs no other caller (thread, process, node) gets the mail.
    [[nodiscard]] virtual Result<std::vector<QueuedMail>> claim_mail(TimePoint now, TimePoint lease_until,
                                                                     std::size_t limit) = 0;
    // A sender records what became of a mail it claimed with `held_until`, the lease the claim
    // gave it: when the lease ran out and another caller claimed the mail since, nothing is
    // changed and the answer is `not_found` (the other caller decides). nullopt: whatever the lease.

    /// Removes a mail (sent, or given up by an operator). `not_found` when there is none.
    [[nodiscard]] virtual Result<void> erase_mail(MailId id, std::optional<TimePoint> held_until) = 0;
    /// A failed attempt: counts it, keeps `reason`, frees the lease and makes the mail due again
    /// at `next_attempt`.
    [[nodiscard]] virtual Result<void> defer_mail(MailId id, TimePoint held_until, TimePoint next_attempt,
                                                  std::string_view reason) = 0;
    /// Gives a mail up: state dead, `reason` kept, the message's bodies wiped (they hold a token).
    [[nodiscard]] virtual Result<void> bury_mail(MailId id, std::optional<TimePoint> held_until,
                                                 std::string_view reason) = 0;
    /// Mails by state; `sending` counts leases running at `now`.
    [[nodiscard]] virtual Result<MailQueueCounts> count_mail(TimePoint now) = 0;
    /// Up to `limit` mails in `state`, oldest first, without their bodies.
    [[nodiscard]] virtual Result<std::vector<QueuedMail>> list_mail(MailState state, std::size_t limit) = 0;
    /// One mail without its bodies; `not_found` when there is none.
    [[nodiscard]] virtual Result<QueuedMail> find_mail(MailId id) = 0;

    /// Runs `work` in one transaction on a store bound to it: committed when `work` succeeds,
    /// rolled back when it fails. A nested call is a savepoint of the outer transaction: when it
    /// fails, its own changes are undone even if the outer work goes on and commits.
    [[nodiscard]] virtual Result<void> in_transaction(const std::function<Result<void>(UserStore&)>& work) = 0;

    /// Succeeds when the storage answers (for health checks).
    [[nodiscard]] virtual Result<void> ping() = 0;

    /// A number that changes whenever a change is committed to the storage by anyone: this
    /// process or another one, this node or another one. Caches read it before trusting a row
    /// (the service's read cache is emptied when it changes). An error when the backend cannot
    /// tell at the moment: then nothing is cached. Cheap: called on every cached read.
    [[nodiscard]] virtual Result<std::uint64_t> data_version() = 0;

    /// True when `data_version` waits for the network (a round trip to a database server), so
    /// that a caller that must not block (an I/O thread) asks with `async_data_version` instead.
    [[nodiscard]] virtual bool data_version_waits() const { return false; }
    /// `data_version` for a caller that must not block: `then` gets what `data_version` would
    /// return at a moment after this call began. This default answers on the calling thread
    /// before it returns; a backend whose look is a round trip answers later from a thread of its
    /// own, one round trip serving every call waiting for it. `then` is called exactly once
    /// (an error when the store closes first) and must return quickly.
    virtual void async_data_version(std::function<void(const Result<std::uint64_t>&)> then) { then(data_version()); }
};

}  // namespace usermgmt
