#pragma once
/// @file error.hpp
/// Error codes and the error value every fallible call of the library returns.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace usermgmt {

/// What went wrong, as a stable value. The HTTP adapter maps each code to a status in one table.
enum class Errc {
    /// Input failed validation; `Error::fields` says which fields and why.
    invalid_argument = 1,
    /// The user (or group, or object) asked for does not exist, or is hidden from the caller.
    not_found,
    /// A unique value (username, email, group name) is already taken; `Error::fields` names it.
    already_exists,
    /// Login failed: unknown account, wrong password or inactive account, deliberately alike.
    invalid_credentials,
    /// The account exists but is not active (returned where the caller is already authenticated).
    inactive_account,
    /// A token is malformed, forged, of another algorithm, for an ended session or a gone user.
    token_invalid,
    /// A token was valid but its lifetime is over.
    token_expired,
    /// A token of the wrong type (a refresh token where an access token is expected, or back).
    token_wrong_type,
    /// An activation token for an account that is already active.
    stale_token,
    /// The caller may not do this (not the owner and not staff, or not superuser).
    forbidden,
    /// Too many attempts; try again later.
    rate_limited,
    /// The database failed, is locked, full or read-only.
    storage_failure,
    /// A cryptographic primitive failed (out of memory while hashing, for example).
    crypto_failure,
    /// A configuration value is unusable (for example a JWT secret that is too short).
    bad_config,
    /// A bug or an unexpected state; the message says more.
    internal,
};

/// The snake_case name of a code, stable across versions ("invalid_argument", ...).
[[nodiscard]] std::string_view to_string(Errc code) noexcept;

/// Messages per field, in the order they were added (the /auth style renders them in that order).
class FieldErrors {
public:
    struct Entry {
        std::string field;
        std::vector<std::string> messages;
    };

    /// Adds `message` to `field`, creating the field's entry after the existing ones if new.
    void add(std::string_view field, std::string message);
    /// Appends every entry of `other`.
    void merge(const FieldErrors& other);
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }
    /// The messages of `field`, or nullptr when it has none.
    [[nodiscard]] const std::vector<std::string>* find(std::string_view field) const noexcept;
    /// Renames a field (the /users style calls `first_name` `firstname`, for example).
    void rename(std::string_view from, std::string_view to);

private:
    std::vector<Entry> entries_;
};

/// A failure. `message` is for logs and developers and never contains a secret; route styles
/// render `code` and `fields`, never `message` as-is.
struct Error {
    Errc code = Errc::internal;
    std::string message;
    FieldErrors fields;
    /// For `rate_limited`: seconds until the next attempt is allowed.
    long long retry_after_seconds = 0;
};

/// Builds an Error; use as `return fail(Errc::not_found, "no such user");`.
[[nodiscard]] inline Error fail(Errc code, std::string message = {}, FieldErrors fields = {})
{
    return Error{code, std::move(message), std::move(fields)};
}

/// An `invalid_argument` error with a single field message.
[[nodiscard]] Error field_error(std::string_view field, std::string message);

}  // namespace usermgmt
