#pragma once
/// @file user_service.hpp
/// `UserService`: the one façade both HTTP route styles and embedding applications call.

#include "usermgmt/export.hpp"
#include "usermgmt/clock.hpp"
#include "usermgmt/config.hpp"
#include "usermgmt/mail_queue.hpp"
#include "usermgmt/media_store.hpp"
#include "usermgmt/notifier.hpp"
#include "usermgmt/password_hasher.hpp"
#include "usermgmt/result.hpp"
#include "usermgmt/types.hpp"
#include "usermgmt/throttle_store.hpp"
#include "usermgmt/user_import.hpp"
#include "usermgmt/user_store.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usermgmt {

/// The parts a service is built from. Ownership passes to the service.
struct USERMGMT_EXPORT Ports {
    /// Required.
    std::unique_ptr<UserStore> store;
    /// Null: Argon2id with `Config::argon2` (which also verifies imported accounts' foreign
    /// hashes; a hasher of your own must handle those itself, see docs/migrating.md).
    std::unique_ptr<PasswordHasher> hasher;
    /// Null: notifications are dropped (`NullNotifier`), unless `mail` is set.
    std::unique_ptr<Notifier> notifier;
    /// Set: every notification becomes a mail in the store's durable queue, written in the
    /// transaction that creates its token, and this service's sender threads deliver it
    /// (mail_queue.hpp). Not together with `notifier`.
    std::optional<MailQueueSettings> mail;
    /// Null: avatar uploads are refused with `invalid_argument`.
    std::unique_ptr<MediaStore> media;
    /// Null: the system clock.
    std::unique_ptr<Clock> clock;
    /// Where `throttle` counts attempts. Null: in this process's memory
    /// (`make_memory_throttle_store`); share one store between nodes to share the limits.
    std::unique_ptr<ThrottleStore> throttle;
};

/// Input of `set_password`.
struct USERMGMT_EXPORT PasswordChange {
    std::string current_password;
    std::string new_password;
    /// When set, must equal `new_password` (the /auth style's `re_new_password`).
    std::optional<std::string> new_password_retype;
};

/// Every use case of user management.
///
/// Thread-safe once constructed: all operations are `const` and may run concurrently.
/// Calls that act for someone take the `Principal` from `authenticate`; the service decides
/// what the principal may do (itself, or anyone when staff). Field errors are codes
/// (`FieldErrors`: field, `Reason`, parameters) under the core's field names listed there; each
/// route style renders them in its own names and words.
class USERMGMT_EXPORT UserService {
public:
    /// Builds a service. `bad_config` when the secret is shorter than 32 bytes, a lifetime is
    /// not positive, the store is missing or the common password list cannot be read.
    [[nodiscard]] static Result<std::unique_ptr<UserService>> create(Config config, Ports ports);
    ~UserService();
    UserService(const UserService&) = delete;
    UserService& operator=(const UserService&) = delete;

    [[nodiscard]] const Config& config() const noexcept;
    /// The media store avatars are written to (null when uploads are off); an HTTP adapter serves
    /// its files read-only.
    [[nodiscard]] const MediaStore* media() const noexcept;

    // ---- accounts ------------------------------------------------------------------------

    /// Registers an account: active at once, or inactive with an activation notification when
    /// `Config::require_activation`. Groups need a staff `actor`.
    /// Errors: `invalid_argument` (fields), `already_exists` (when taken values are the only
    /// problem), `forbidden` (groups without staff).
    [[nodiscard]] Result<Registration> register_user(const NewUser& input,
                                                     const std::optional<Principal>& actor = std::nullopt) const;
    /// Creates an active staff superuser (policy checks apply).
    [[nodiscard]] Result<User> create_superuser(std::string_view username, std::string_view email,
                                                std::string_view password) const;
    /// Activates an inactive account. Errors: `invalid_argument` on `user`/`token`,
    /// `stale_token` when already active.
    [[nodiscard]] Result<void> activate(const OneTimeCode& code) const;
    /// Sends a new activation message to an inactive account. Unknown and active emails succeed
    /// silently. Errors: `invalid_argument` (email syntax).
    [[nodiscard]] Result<void> resend_activation(std::string_view email) const;

    // ---- tokens --------------------------------------------------------------------------

    /// Logs in (matching `login` by `options.match`, by default `Config::login_field`;
    /// `username_or_email` tries the username first) and opens a session. Counts the attempt against
    /// `ThrottleConfig::login_per_account` for the account the name resolves to (an unknown
    /// name by itself); past that limit every attempt fails as a wrong password would (a
    /// distinct answer would link the account's other names), until the window ends.
    /// Errors: `invalid_argument` (blank `login` or `password`), `invalid_credentials` (unknown,
    /// wrong password, inactive, locked: alike, and equally slow).
    [[nodiscard]] Result<TokenPair> login(std::string_view login, std::string_view password,
                                          const LoginOptions& options = {}) const;
    /// A new access token for a refresh token (and a new refresh token when rotating).
    /// Errors: `token_invalid`, `token_expired`, `token_wrong_type`.
    [[nodiscard]] Result<TokenPair> refresh(std::string_view refresh_token) const;
    /// Checks a token of either type, including its session and its user.
    [[nodiscard]] Result<TokenClaims> verify_token(std::string_view token) const;
    /// The caller of an access token. Errors: `token_invalid`, `token_expired`,
    /// `token_wrong_type`, `not_found` (user deleted), `inactive_account`.
    [[nodiscard]] Result<Principal> authenticate(std::string_view access_token) const;
    /// Ends the caller's session: its access and refresh tokens stop working at once.
    [[nodiscard]] Result<void> logout(const Principal& who) const;
    /// Ends the session of a refresh token, as logging out with it (simplejwt's blacklist view):
    /// what a client holding only its tokens calls when the person logs out.
    /// Errors: `token_invalid` (also for a deleted or inactive user), `token_expired`, `token_wrong_type`.
    [[nodiscard]] Result<void> revoke(std::string_view refresh_token) const;
    /// Ends every session of user `id` (self, or anyone staff may manage): everywhere logged out.
    /// Errors: `not_found`, `forbidden`.
    [[nodiscard]] Result<void> end_sessions(const Principal& who, UserId id) const;

    // ---- users ---------------------------------------------------------------------------

    [[nodiscard]] Result<User> me(const Principal& who) const;
    /// Self, or anyone for staff. For someone else, non-staff get `not_found` when
    /// `hide_users` is on (the user is hidden, as Djoser does) and `forbidden` when it is off.
    [[nodiscard]] Result<User> get_user(const Principal& who, UserId id) const;
    /// Staff only: the user whose username or email is `name` (case-insensitively; the username
    /// is tried first). Errors: `not_found`; for non-staff, always (themselves included) what
    /// `get_user` gives for someone else (`not_found`, or `forbidden` when `hide_users` is off).
    [[nodiscard]] Result<User> find_user(const Principal& who, std::string_view name) const;
    /// Operator only (`operator_principal()`): brings `users` in, in one transaction (none of
    /// them is written if the store fails), and says what became of each. Checked as a backup
    /// or a migration needs: fields as for a registration (no password policy: the password is
    /// not known), ids, usernames and emails against this database and each other, the hash
    /// against the formats `ImportedUser` lists, with a bounded cost. Groups named by a user are
    /// created. Errors: `forbidden` (not an operator), `storage_failure`.
    [[nodiscard]] Result<std::vector<ImportResult>> import_users(const Principal& who,
                                                                 const std::vector<ImportedUser>& users,
                                                                 const ImportOptions& options = {}) const;
    /// Self, or anyone for staff; someone else's account is `forbidden` for non-staff, whether it
    /// exists or not. Errors: `not_found`, `forbidden`, `invalid_argument`, `already_exists`
    /// (only when a taken email is the sole problem).
    [[nodiscard]] Result<User> update_user(const Principal& who, UserId id, const UserPatch& patch) const;
    /// Stores an uploaded image as the user's avatar, removing the previous file.
    /// Errors: `invalid_argument` (`avatar`: not a PNG/JPEG/GIF/WebP image), `not_found`, `forbidden`.
    [[nodiscard]] Result<User> set_avatar(const Principal& who, UserId id, std::string_view image_bytes) const;
    /// Deletes a user (self, or anyone for staff), its sessions, tokens and avatar file.
    /// `current_password` is the caller's own password: nullopt means the route style does not
    /// ask for one; engaged, it must be present and right (`invalid_argument` on
    /// `current_password`). Errors: `forbidden` (someone else, not staff), `not_found`.
    [[nodiscard]] Result<void> delete_user(const Principal& who, UserId id,
                                           const std::optional<std::string>& current_password) const;
    /// A page of users ordered by id. Non-staff see only themselves when `hide_users` is on.
    [[nodiscard]] Result<UserPage> list_users(const Principal& who, ListQuery query) const;

    // ---- credentials ---------------------------------------------------------------------

    /// Changes the caller's password; ends the caller's other sessions and pending reset tokens.
    /// Like every call that checks or hashes a password for an authenticated caller (also
    /// `set_username`, `delete_user` with a password, `update_user` with a new password), it is
    /// counted against `ThrottleConfig::password_check_per_user` and `_per_client`
    /// (`Principal::client`): `rate_limited` past them.
    [[nodiscard]] Result<void> set_password(const Principal& who, const PasswordChange& change) const;
    /// Changes the caller's username; needs the current password.
    [[nodiscard]] Result<void> set_username(const Principal& who, std::string_view new_username,
                                            std::string_view current_password) const;
    /// Sends a reset message to an active account with this email; succeeds alike for unknown
    /// and inactive ones. `origin` is passed on in the notification (see `Notification::origin`).
    /// Errors: `invalid_argument` (email syntax).
    [[nodiscard]] Result<void> request_password_reset(std::string_view email, std::string_view origin = {}) const;
    /// Checks a reset token without using it. Errors: `invalid_argument` on `user` / `token`.
    [[nodiscard]] Result<void> check_password_reset(const OneTimeCode& code) const;
    /// Sets a new password with a reset token; ends every session of the user.
    [[nodiscard]] Result<void> confirm_password_reset(const OneTimeCode& code, std::string_view new_password,
                                                      const std::optional<std::string>& retype) const;
    /// As `request_password_reset`, for the username.
    [[nodiscard]] Result<void> request_username_reset(std::string_view email) const;
    /// Sets a new username with a username-reset token.
    [[nodiscard]] Result<void> confirm_username_reset(const OneTimeCode& code, std::string_view new_username) const;

    // ---- groups (staff only) -------------------------------------------------------------

    [[nodiscard]] Result<void> create_group(const Principal& who, std::string_view name) const;
    [[nodiscard]] Result<void> delete_group(const Principal& who, std::string_view name) const;
    [[nodiscard]] Result<std::vector<std::string>> list_groups(const Principal& who) const;

    // ---- abuse resistance ------------------------------------------------------------------

    /// What `throttle` counts.
    enum class Attempt { login, registration, activation, resend_activation, reset_request, reset_confirm };
    /// Counts one attempt by `client` (an address) on `account` (username or email as given;
    /// empty when there is none) against `Config::throttle`. `rate_limited` with
    /// `retry_after_seconds` when a limit is reached; route styles call it before the attempt.
    /// An `account` longer than any email address is not counted (it names no account).
    /// Logins need no account here: `login` counts the account it resolves itself, so
    /// that one account has one limit however it is spelled; route styles pass none.
    [[nodiscard]] Result<void> throttle(Attempt attempt, std::string_view client, std::string_view account) const;

    // ---- reading consistently ------------------------------------------------------------

    /// While it lives, the calling thread's reads look at the database's change counter once,
    /// at the first of them, instead of once per cached read: the calls made for one request
    /// see the database as of the request's start (what anyone committed before it is always
    /// seen). An HTTP adapter holds one per request; hold it no longer than that. Nested scopes
    /// and scopes of other services on the same thread are harmless (the outer one counts).
    class [[nodiscard]] ReadScope {
    public:
        ~ReadScope();
        ReadScope(const ReadScope&) = delete;
        ReadScope& operator=(const ReadScope&) = delete;

    private:
        friend class UserService;
        explicit ReadScope(bool opened) : opened_(opened) {}
        bool opened_;
    };
    [[nodiscard]] ReadScope read_scope() const;

    /// A look at the change counter taken ahead of a read scope (`check_changes`).
    class ChangeCheck {
    private:
        friend class UserService;
        const void* store_ = nullptr;  ///< whose cache it looked for
        std::optional<std::uint64_t> epoch_;
    };
    /// True when a look at the change counter waits for the network (PostgreSQL: a round trip on
    /// the node's listening connection; SQLite reads shared memory), so that a caller that must
    /// not block takes it with `check_changes` before opening its read scope.
    [[nodiscard]] bool change_checks_wait() const;
    /// Takes the look without blocking: `then` gets it, on the calling thread before this returns
    /// or later on the store's own thread, where it must only hand the request on (to an I/O
    /// thread, say) and return. There, `read_scope(check)` opens the scope without looking again:
    /// it sees what anyone committed before `check_changes` was called. Looks that wait together
    /// share one round trip. Use a check once, for the request it was taken for; a check of
    /// another service opens an ordinary scope.
    void check_changes(std::function<void(ChangeCheck)> then) const;
    [[nodiscard]] ReadScope read_scope(const ChangeCheck& check) const;

    // ---- housekeeping --------------------------------------------------------------------

    /// Deletes expired sessions and one-time tokens.
    [[nodiscard]] Result<void> purge_expired() const;
    /// Succeeds when the store answers.
    [[nodiscard]] Result<void> health() const;

    /// Reads of users and sessions by id answered from this process's cache, and not
    /// (`Config::cache_capacity`), since the service was made.
    struct CacheCounts {
        std::uint64_t hits = 0;
        std::uint64_t misses = 0;
    };
    [[nodiscard]] CacheCounts cache_counts() const noexcept;

    // ---- the mail queue (operators and tools; `Ports::mail`) ---------------------------------

    /// Mails by state (for health checks and metrics).
    [[nodiscard]] Result<MailQueueCounts> mail_queue_counts() const;
    /// Up to `limit` mails in `state`, oldest first, without their bodies (which hold tokens).
    [[nodiscard]] Result<std::vector<QueuedMail>> list_mail(MailState state, std::size_t limit = 100) const;
    /// Sends a dead mail again: a new mail with a fresh token (the dead one's was wiped) replaces
    /// it, in one transaction; its id. `not_found` for no such mail, `invalid_argument` when the
    /// mail is not dead or its account no longer needs it (activated meanwhile, deactivated),
    /// `bad_config` without a queue.
    [[nodiscard]] Result<MailId> retry_mail(MailId id) const;

    struct Impl;

private:
    explicit UserService(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace usermgmt
