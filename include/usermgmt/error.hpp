#pragma once
/// @file error.hpp
/// Error codes and the error value every fallible call of the library returns.

#include "usermgmt/export.hpp"
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
[[nodiscard]] USERMGMT_EXPORT std::string_view to_string(Errc code) noexcept;

/// Why a field was refused: a stable code. Route styles render each as text in their own words
/// (the /auth style in Django's), so the core never speaks a wire format.
enum class Reason {
    // The shape of the input (reported by the route styles' readers; the core checks `blank`).
    required,        ///< missing
    blank,           ///< present but empty
    null_value,      ///< null where a value is needed
    wrong_type,      ///< not of the field's type (a number for a list, not a file for an upload...)
    null_character,  ///< holds a NUL character
    // Values.
    too_long,             ///< more than `limit` characters
    below_minimum,        ///< a number under `limit`
    invalid_email,        ///< not an email address
    invalid_username,     ///< characters other than letters, digits and @ . + - _
    invalid_characters,   ///< control characters or invalid UTF-8
    invalid_date,         ///< not a real date
    date_in_future,       ///< a birthdate after today
    taken,                ///< a unique value someone else has (username, email, group name)
    passwords_mismatch,   ///< the retyped password differs (reported on no field: "")
    wrong_password,       ///< the current password is not the caller's
    too_many,             ///< more than `limit` items (groups of a user)
    // One-time codes.
    unknown_user,   ///< the user a code names does not exist
    invalid_token,  ///< unknown, used, expired or for another user
    // Password rules (Django's validators, in their order).
    password_not_utf8,     ///< not UTF-8 text
    password_too_long,     ///< more than `limit` characters
    password_too_similar,  ///< too similar to the user's attribute `detail` (username, first_name, last_name, email)
    password_too_short,    ///< fewer than `limit` characters
    password_too_common,   ///< on the common password list
    password_numeric,      ///< digits only
    // Uploaded images.
    uploads_disabled,  ///< the server keeps no uploads
    file_too_large,    ///< more than `limit` bytes
    not_an_image,      ///< not a PNG, JPEG, GIF or WebP image
    empty_file,        ///< an uploaded file of no bytes
};

/// The snake_case name of a reason ("too_long", ...), for logs.
[[nodiscard]] USERMGMT_EXPORT std::string_view to_string(Reason reason) noexcept;

/// One reason a field was refused, with what a message needs to say it.
struct USERMGMT_EXPORT Problem {
    Reason reason = Reason::required;
    /// The bound of `too_long`, `below_minimum`, `too_many`, `password_too_long`,
    /// `password_too_short` and `file_too_large`.
    long long limit = 0;
    /// The attribute of `password_too_similar`.
    std::string detail;

    friend bool operator==(const Problem&, const Problem&) = default;
};

/// Problems per field, in the order they were added (the /auth style renders them in that
/// order). Field names are the core's: `username, email, password, password_retype,
/// first_name, last_name, birthdate, avatar, groups, is_active, is_staff, current_password,
/// new_password, new_password_retype, new_username, login, user, token, name, limit, offset`,
/// and "" for a problem of the input as a whole (two passwords that differ).
class USERMGMT_EXPORT FieldErrors {
public:
    struct Entry {
        std::string field;
        std::vector<Problem> problems;
    };

    /// Adds `problem` to `field`, creating the field's entry after the existing ones if new.
    void add(std::string_view field, Problem problem);
    void add(std::string_view field, Reason reason, long long limit = 0) { add(field, Problem{reason, limit, {}}); }
    /// Appends every entry of `other`.
    void merge(const FieldErrors& other);
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }
    /// The problems of `field`, or nullptr when it has none.
    [[nodiscard]] const std::vector<Problem>* find(std::string_view field) const noexcept;
    /// True when `field` has a problem of `reason`.
    [[nodiscard]] bool has(std::string_view field, Reason reason) const noexcept;

private:
    std::vector<Entry> entries_;
};

/// A failure. `message` is for logs and developers and never contains a secret; route styles
/// render `code` and `fields` in their own words, never `message`.
struct USERMGMT_EXPORT Error {
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

/// An `invalid_argument` error with a single field problem.
[[nodiscard]] USERMGMT_EXPORT Error field_error(std::string_view field, Reason reason, long long limit = 0);

}  // namespace usermgmt
