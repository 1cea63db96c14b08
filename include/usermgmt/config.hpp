#pragma once
/// @file config.hpp
/// Every setting of the core, with its default. docs/configuration.md lists them too.

#include "usermgmt/export.hpp"
#include "usermgmt/types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace usermgmt {

/// Argon2id cost. Defaults are the OWASP minimum (19 MiB, 2 passes, 1 lane).
struct USERMGMT_EXPORT Argon2Params {
    std::uint64_t ops_limit = 2;
    std::size_t mem_limit_bytes = 19u * 1024u * 1024u;
    /// Threads (or processes) that compute hashes; callers wait for them. 0: one per core.
    /// However many threads call the hasher, at most this many hashes (and `mem_limit_bytes`
    /// each) are in memory at once.
    unsigned threads = 0;
    /// How much lower than the rest of the process the hashing threads are scheduled: their
    /// nice increment (0-19), or `idle_priority` (Linux's SCHED_IDLE: a hash runs only on a core
    /// no other thread wants). The default, 19, the lowest nice value: a request that needs no
    /// hash takes a core from a hash within a short slice, while hashes take every cycle left;
    /// under reads that fill every core, logins wait (their queue is bounded: 503 past it).
    /// 19 rather than the idle class: a core running only idle-class threads counts as idle to
    /// the scheduler, so each wakeup of a login's own work (I/O, database) lands on a hashing
    /// core and interrupts it; at 19 it stays beside the thread that woke it (logins 0.96
    /// against 0.92 of the raw rate on SQLite). 0: the same priority. docs/performance.md.
    int nice = 19;
    static constexpr int idle_priority = 20;
    /// Compute Argon2id hashes in child processes of the hasher's own (`threads` of them,
    /// forked when the hasher is made, and again to replace one that died) instead of threads.
    /// libsodium maps each hash's memory afresh, and a process has one lock over its memory
    /// map: hashing threads wait for each other's mappings, and the caller's threads for theirs.
    /// Processes made logins beside PostgreSQL faster while each hash mapped its memory
    /// (docs/performance.md); a program that keeps Argon2's memory (usermgmt-server) maps
    /// nothing a hash and does as well on threads. A child keeps only its socket of the
    /// descriptors it inherits, ignores the terminal's signals and ends when the hasher is
    /// destroyed or the process dies. Off by default (forking is the application's decision;
    /// usermgmt-server: --argon2-processes). Imported hashes of other systems are verified on
    /// threads either way.
    bool processes = false;

    /// The cheapest parameters libsodium accepts (1 pass, 8 KiB): for tests and seeding only.
    [[nodiscard]] static Argon2Params cheapest_for_tests() { return {1, 8192, 0, 10}; }
};

/// The password rules, modelled on Django's four default validators.
struct USERMGMT_EXPORT PasswordPolicy {
    std::size_t min_length = 8;
    /// Bounds the hashing cost of a single request.
    std::size_t max_length = 4096;
    /// Refuse passwords whose similarity (Python's SequenceMatcher.quick_ratio) to the
    /// username, names or email reaches this value; 0 disables the check.
    double max_similarity = 0.7;
    bool reject_common = true;
    bool reject_numeric = true;
    /// A file of lowercased common passwords, one a line; empty uses the built-in list.
    std::string common_passwords_file;
};

/// At most `requests` attempts per key in a window of `per`; 0 requests: no limit.
struct USERMGMT_EXPORT RateLimit {
    std::uint32_t requests = 0;
    std::chrono::seconds per{60};
};

/// Limits on the attempts an attacker could repeat, per client address and per account.
/// Logins count per resolved account (one limit however the account is spelled); resend and
/// reset requests per address as given. Keys are digests: their size is fixed.
struct USERMGMT_EXPORT ThrottleConfig {
    RateLimit login_per_account{10, std::chrono::seconds(60)};
    RateLimit login_per_client{30, std::chrono::seconds(60)};
    RateLimit registration_per_client{20, std::chrono::seconds(60)};
    RateLimit activation_per_client{30, std::chrono::seconds(60)};
    RateLimit resend_per_account{5, std::chrono::seconds(3600)};
    RateLimit resend_per_client{20, std::chrono::seconds(60)};
    RateLimit reset_request_per_account{5, std::chrono::seconds(3600)};
    RateLimit reset_request_per_client{20, std::chrono::seconds(60)};
    RateLimit reset_confirm_per_client{30, std::chrono::seconds(60)};
    /// Authenticated requests that check or hash a password (set_password, set_username, a
    /// delete with the current password, an update with a new password), per user and per
    /// client address: a stolen token cannot guess the password, nor one account fill the
    /// hashing pool.
    RateLimit password_check_per_user{10, std::chrono::seconds(60)};
    RateLimit password_check_per_client{30, std::chrono::seconds(60)};
    /// Off: `throttle` allows everything (benchmarks, trusted networks).
    bool enabled = true;
};

/// The service's settings. Fixed once the service is built.
struct USERMGMT_EXPORT Config {
    /// HMAC key of the JWTs: at least 32 bytes, secret, the same on every node.
    std::string jwt_secret;
    std::chrono::seconds access_token_lifetime{300};
    std::chrono::seconds refresh_token_lifetime{86400};
    /// When on, `refresh` also returns a new refresh token, and a refresh token works once: used
    /// again after `refresh_reuse_interval` it ends its whole session (a stolen token was
    /// replayed); used again within it (two tabs refreshing at once), it gets the same new pair.
    bool rotate_refresh_tokens = false;
    std::chrono::seconds refresh_reuse_interval{10};

    std::chrono::seconds activation_token_lifetime{3 * 86400};
    std::chrono::seconds password_reset_token_lifetime{3600};
    std::chrono::seconds username_reset_token_lifetime{3600};

    /// New accounts start inactive and get an activation message.
    bool require_activation = true;
    /// Send a confirmation message after activation / after a password change.
    bool send_activation_confirmation = false;
    bool send_password_changed_confirmation = false;

    /// What `login` matches the identifier against.
    LoginField login_field = LoginField::username;
    /// Non-staff users see only themselves in lists and lookups.
    bool hide_users = true;
    /// Largest page `list_users` returns.
    std::int64_t max_page_size = 1000;

    /// Users and sessions kept in memory so that checking a token reads no database row. The
    /// cache stays right when other processes or nodes write the same database: it is emptied
    /// whenever the store's `data_version` says anyone committed. 0 turns it off.
    std::size_t cache_capacity = 100000;

    /// Accounts never activated are deleted (with their media) by `purge_expired` this long
    /// after they registered. 0 keeps them.
    std::chrono::seconds unactivated_account_lifetime{7 * 86400};

    /// Largest avatar image `set_avatar` accepts.
    std::size_t max_avatar_bytes = 5u * 1024u * 1024u;

    Argon2Params argon2;
    PasswordPolicy password_policy;
    ThrottleConfig throttle;
};

}  // namespace usermgmt
