#pragma once
// The private state of UserService and the helpers its use cases share.

#include "usermgmt/throttle_store.hpp"
#include "usermgmt/user_service.hpp"

#include "attempt_limiter.hpp"
#include "caching_user_store.hpp"
#include "validation.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace usermgmt {

struct UserService::Impl {
    Config config;
    /// The store behind the read cache (CachingUserStore): reads by id may come from memory.
    std::unique_ptr<UserStore> store;
    std::unique_ptr<PasswordHasher> hasher;
    std::unique_ptr<Notifier> notifier;
    std::unique_ptr<MediaStore> media;
    std::unique_ptr<Clock> clock;
    std::shared_ptr<const detail::PasswordValidator> passwords;
    std::unique_ptr<detail::AttemptLimiter> limiter;
    /// With rotation: the pair each refresh token got, for `refresh_reuse_interval`, so that a
    /// second use within it gets the same pair. Raw tokens, in memory only, briefly.
    mutable std::mutex rotated_mutex;
    mutable std::unordered_map<std::string, std::pair<TokenPair, TimePoint>> rotated;

    // A hash of a random password, verified against when the account does not exist, so that a
    // login for an unknown name costs the same time as one for a known name.
    mutable std::once_flag dummy_once;
    mutable std::string dummy_hash;

    TimePoint now() const { return clock->now(); }
    std::int64_t now_seconds() const;

    // ---- users -----------------------------------------------------------------------------
    /// A user by id (from the cache when it holds a fresh copy).
    Result<StoredUser> load(UserId id) const;
    /// A session by id (from the cache when it holds a fresh copy).
    Result<SessionRecord> load_session(const std::string& id) const;
    /// Re-reads a user inside a write transaction, applies `change` and writes it back, so a
    /// concurrent update of other fields is never lost. Returns the row as written.
    Result<StoredUser> modify_user(UserId id, const std::function<Result<void>(StoredUser&)>& change,
                                   const std::function<Result<void>(UserStore&, const StoredUser&)>& also = {}) const;
    /// The throttling subject of an account (never equal to a name or address anyone can type).
    static std::string account_subject(UserId id) { return "\x01" + std::to_string(id); }
    /// Counts an authenticated request that checks or hashes a password, per user and per
    /// client, so that one account cannot fill the hashing pool nor guess its own password.
    Result<void> count_password_check(const Principal& who) const;
    /// Verifies a password against a stored hash; spends a dummy hash when `user` is null.
    bool check_password(const StoredUser* user, std::string_view password) const;
    /// Field errors of a password for `user`'s attributes (null: no similarity rule).
    void check_new_password(std::string_view field, std::string_view password, const detail::PasswordContext* context,
                            FieldErrors& errors) const;
    /// Field errors of the profile members of a patch or new user.
    void check_profile(const std::string* email, const std::string* first_name, const std::string* last_name,
                       const std::optional<Date>* birthdate, const std::string* avatar,
                       const std::vector<std::string>* groups, FieldErrors& errors) const;
    /// Adds "already exists" field errors to `taken` for a username / email (well-formed by
    /// `errors`) taken by someone other than `self`.
    Result<void> check_unique(const std::string* username, const std::string* email, UserId self,
                              const FieldErrors& errors, FieldErrors& taken) const;
    /// The failure of a field phase: `already_exists` when the only problems are taken values,
    /// else `invalid_argument` with every field's errors.
    static Error field_failure(FieldErrors errors, const FieldErrors& taken);
    /// The store's already_exists, with Djoser's message for the field.
    static Error unique_violation(Error error);
    /// Whether `who` may act on `target` (self or staff; staff not on a superuser unless superuser).
    static bool may_manage(const Principal& who, const User& target);
    /// The error for a user `who` may not see or change: hidden (not_found) or forbidden.
    Error not_visible() const;

    // ---- sessions and tokens ---------------------------------------------------------------
    /// A new session of `user` and its two signed tokens; nothing is stored yet.
    std::pair<SessionRecord, TokenPair> new_session(UserId user, const TokenOptions& options) const;
    /// Opens a session for `user` (stores it) and signs its two tokens.
    Result<TokenPair> open_session(const User& user, const TokenOptions& options) const;
    std::string sign(TokenType type, UserId user, const std::string& session, std::int64_t issued_at,
                     std::int64_t expires_at) const;
    /// Signature, expiry, type, user (exists, active) and session (open) of a token.
    Result<std::pair<TokenClaims, StoredUser>> check_token(std::string_view token,
                                                           std::optional<TokenType> expected) const;

    // ---- one-time tokens -------------------------------------------------------------------
    /// A new one-time token: the record to store and the raw token to send.
    std::pair<TokenRecord, std::string> new_one_time(UserId user, TokenPurpose purpose,
                                                     std::chrono::seconds lifetime) const;
    /// Hands a raw one-time token to the notifier, then wipes it.
    void notify_token(NotificationKind kind, const User& user, std::string& raw, TimePoint expires_at,
                      std::string_view origin = {}) const;
    /// Stores a new one-time token for `user` and sends its notification.
    Result<void> send_one_time(const User& user, TokenPurpose purpose, NotificationKind kind,
                               std::chrono::seconds lifetime, std::string_view origin = {}) const;
    /// The requests by email (resend activation, reset password, reset username): checks the
    /// address, then mails a token when an account with it is active (or inactive, for
    /// activation). Unknown addresses and the other state succeed alike: the answer reveals nothing.
    Result<void> send_one_time_by_email(std::string_view email, bool want_active, TokenPurpose purpose,
                                        NotificationKind kind, std::chrono::seconds lifetime,
                                        std::string_view origin = {}) const;
    /// Resolves a received code to its token and user. `allow_used` lets activation tell a
    /// reused link (stale) from a forged one. Errors on the `uid` / `token` fields.
    Result<std::pair<TokenRecord, StoredUser>> resolve(const OneTimeCode& code, TokenPurpose purpose,
                                                       bool allow_used) const;
    void notify(NotificationKind kind, const User& user) const;
    /// Adds "may not be blank" for an empty uid (when the style sends one) and token.
    static void check_code_blanks(const OneTimeCode& code, FieldErrors& errors);

    /// Hashes a new password, with the crypto error mapped.
    Result<std::string> hash_password(std::string_view password) const;
    /// Ends the sessions and reset tokens a new password invalidates (all but `keep`).
    static Result<void> after_password_change(UserStore& store, UserId user, std::string_view keep, TimePoint at);
    /// Field errors of an uploaded avatar image (size, type, uploads enabled).
    void check_avatar_image(std::string_view bytes, FieldErrors& errors) const;
    /// Stores a checked avatar image; returns its media key.
    Result<std::string> store_avatar_image(std::string_view bytes) const;
    /// Removes a media file the user no longer references (best effort: a leftover file is harmless).
    void drop_media(const User& before, const User& after) const;
};

}  // namespace usermgmt
