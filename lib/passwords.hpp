#pragma once
// Checking and hashing passwords for the use cases: verification that costs the same for unknown
// accounts, hashing, and the limits on password checks by authenticated users.

#include "usermgmt/clock.hpp"
#include "usermgmt/config.hpp"
#include "usermgmt/password_hasher.hpp"
#include "usermgmt/user_store.hpp"

#include "attempt_limiter.hpp"

#include <mutex>
#include <string>
#include <string_view>

namespace usermgmt::detail {

class Passwords {
public:
    Passwords(const Config& config, PasswordHasher& hasher, const AttemptLimiter& limiter, const Clock& clock)
        : config_(config), hasher_(hasher), limiter_(limiter), clock_(clock)
    {
    }

    /// Verifies a password against a stored hash; spends a dummy hash when `user` is null, so
    /// that an unknown account costs the same time as a known one.
    bool verify(const StoredUser* user, std::string_view password) const;
    Result<std::string> hash(std::string_view password) const { return hasher_.hash(password); }
    bool needs_rehash(const std::string& stored) const { return hasher_.needs_rehash(stored); }
    /// Counts an authenticated request that checks or hashes a password, per user and per
    /// client, so that one account cannot fill the hashing pool nor guess its own password.
    Result<void> count_check(const Principal& who) const;
    /// The throttling subject of an account (never equal to a name or address anyone can type).
    static std::string account_subject(UserId id) { return "\x01" + std::to_string(id); }

private:
    const Config& config_;
    PasswordHasher& hasher_;
    const AttemptLimiter& limiter_;
    const Clock& clock_;
    // A hash of a random password, made on first need.
    mutable std::once_flag dummy_once_;
    mutable std::string dummy_hash_;
};

}  // namespace usermgmt::detail
