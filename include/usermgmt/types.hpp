#pragma once
/// @file types.hpp
/// Value types of the core: users, dates, tokens, principals, list queries.

#include "usermgmt/export.hpp"
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usermgmt {

using UserId = std::int64_t;
using Clock_t = std::chrono::system_clock;
using TimePoint = std::chrono::system_clock::time_point;

/// A calendar date (no time zone), as birthdates are.
struct USERMGMT_EXPORT Date {
    int year = 0;
    int month = 0;
    int day = 0;

    /// Parses `YYYY-MM-DD`; nullopt unless it is a real date of the Gregorian calendar.
    [[nodiscard]] static std::optional<Date> parse_iso(std::string_view text);
    /// Parses `DD-MM-YYYY` (the /users document's form); nullopt unless a real date.
    [[nodiscard]] static std::optional<Date> parse_dmy(std::string_view text);
    /// True when year/month/day name a day that exists (leap years included).
    [[nodiscard]] bool is_valid() const noexcept;
    /// `YYYY-MM-DD`.
    [[nodiscard]] std::string to_iso() const;
    /// The date of a time point, in UTC.
    [[nodiscard]] static Date from_time(TimePoint t);

    auto operator<=>(const Date&) const = default;
};

/// A user as the service hands it out. It never holds a password hash.
struct USERMGMT_EXPORT User {
    UserId id = 0;
    std::string username;
    std::string email;
    std::string first_name;
    std::string last_name;
    std::optional<Date> birthdate;
    /// Empty when none. A media key (`avatars/…`) when `avatar_is_media`, else a free string
    /// that an API stored as is (the /users style's `avatar` field).
    std::string avatar;
    bool avatar_is_media = false;
    bool is_active = false;
    bool is_staff = false;
    bool is_superuser = false;
    /// Names of the groups the user belongs to, sorted.
    std::vector<std::string> groups;
    TimePoint date_joined{};
    TimePoint updated_at{};
    std::optional<TimePoint> last_login;
    /// When the account first became active; nullopt while it never was. Accounts never
    /// activated are deleted after `Config::unactivated_account_lifetime`.
    std::optional<TimePoint> activated_at;
    /// Deactivated by staff (`UserPatch::is_active = false`): only staff can make it active
    /// again; `resend_activation` and `activate` refuse it. An account waiting for its (first or
    /// new) address to be confirmed is inactive but not disabled.
    bool disabled = false;
};

/// Input of `UserService::register_user`.
struct USERMGMT_EXPORT NewUser {
    /// Ignored when `username_from_email` is set.
    std::string username;
    /// Derive the username from the email (for APIs that have none): the address itself, its
    /// characters outside the username alphabet replaced by '_', made unique with a suffix.
    bool username_from_email = false;
    std::string email;
    std::string password;
    /// When set, must equal `password` (the /auth style's `re_password`).
    std::optional<std::string> password_retype;
    std::string first_name;
    std::string last_name;
    std::optional<Date> birthdate;
    std::string avatar;
    /// An uploaded image (PNG, JPEG, GIF or WebP bytes) to store as the avatar instead of
    /// `avatar`; needs a MediaStore.
    std::optional<std::string> avatar_image;
    /// Only staff may assign groups; an anonymous registration with groups is refused.
    std::vector<std::string> groups;
    /// Ask for a token pair in the answer (given only when the new account is active).
    bool issue_tokens = false;
    /// Overrides `Config::require_activation` for this call (route styles differ by default).
    std::optional<bool> require_activation;
    /// Overrides `Config::access_token_lifetime` for the tokens of this call.
    std::optional<std::chrono::seconds> access_token_lifetime;
};

/// A change to a user. Unset members stay as they are.
struct USERMGMT_EXPORT UserPatch {
    std::optional<std::string> email;
    std::optional<std::string> first_name;
    std::optional<std::string> last_name;
    /// Engaged with nullopt clears the birthdate.
    std::optional<std::optional<Date>> birthdate;
    /// A free string; empty clears (and removes an uploaded file).
    std::optional<std::string> avatar;
    /// An uploaded image to store as the avatar (wins over `avatar`); the old file is removed.
    std::optional<std::string> avatar_image;
    /// Replaces the user's groups (staff only; a non-empty list from others is forbidden).
    std::optional<std::vector<std::string>> groups;
    /// A new password set without the current one (the /users style's PUT); ends the user's
    /// other sessions.
    std::optional<std::string> password;
    /// Staff only.
    std::optional<bool> is_active;
    /// Superuser only.
    std::optional<bool> is_staff;
    /// A full update (PUT): required fields (email) must be present.
    bool replace = false;
    /// Overrides `Config::require_activation`: when on, a changed email makes the account
    /// inactive until the new address is confirmed through an activation message.
    std::optional<bool> require_activation;
};

/// The access and refresh tokens of one login.
struct USERMGMT_EXPORT TokenPair {
    std::string access;
    /// Empty when a refresh without rotation only renewed the access token.
    std::string refresh;
};

/// What `register_user` returns.
struct USERMGMT_EXPORT Registration {
    User user;
    /// Present when `NewUser::issue_tokens` was asked and the account is active.
    std::optional<TokenPair> tokens;
};

enum class TokenType { access, refresh };

/// The verified claims of a JWT.
struct USERMGMT_EXPORT TokenClaims {
    TokenType type = TokenType::access;
    UserId user_id = 0;
    std::string session_id;
    std::string jti;
    std::int64_t issued_at = 0;   ///< seconds since the epoch
    std::int64_t expires_at = 0;  ///< seconds since the epoch
};

/// The authenticated caller, as `UserService::authenticate` returns it.
struct USERMGMT_EXPORT Principal {
    UserId user_id = 0;
    std::string session_id;
    bool is_staff = false;
    bool is_superuser = false;
    /// The client's address as the transport saw it (an HTTP adapter sets it), for the
    /// per-client limits of password checks; empty in-process.
    std::string client;
    /// Someone running the service (`operator_principal`): not counted against the limits on
    /// password checks, which are there against guessing through a stolen session.
    bool is_operator = false;
};

/// Someone running the service (an admin tool, a maintenance job) acting outside any session:
/// staff and superuser, with no account of its own (`user_id` 0). Never the result of a token;
/// give it only to code that is trusted with every account.
inline Principal operator_principal()
{
    return Principal{0, {}, true, true, "operator", true};
}

/// The user a one-time code names besides its token, where a route style sends one (the /auth
/// style's `uid`, which that style decodes).
struct USERMGMT_EXPORT NamedUser {
    /// The id named; nullopt when what was sent names no id (answered as an unknown user).
    std::optional<UserId> id;
    /// Nothing was sent in the field (answered as blank where the use case checks blanks).
    bool blank = false;
};

/// A one-time token as a route style received it, from a mail link.
struct USERMGMT_EXPORT OneTimeCode {
    /// Nullopt when the style sends the token alone (the /users style's `resettoken`).
    std::optional<NamedUser> user;
    std::string token;
};

/// Filters and window of `UserService::list_users`; results are ordered by id.
struct USERMGMT_EXPORT ListQuery {
    std::int64_t limit = 100;
    std::int64_t offset = 0;
    /// Case-insensitive prefix filters; empty means no filter.
    std::string email_prefix;
    std::string username_prefix;
};

/// One page of users and the number of users matching the filters.
struct USERMGMT_EXPORT UserPage {
    std::vector<User> users;
    std::int64_t total = 0;
};

/// How a login identifier is matched.
enum class LoginField { username, email, username_or_email };

/// Options of `UserService::login`.
struct USERMGMT_EXPORT LoginOptions {
    /// Overrides `Config::access_token_lifetime`.
    std::optional<std::chrono::seconds> access_token_lifetime;
    /// How the identifier is matched; nullopt: `Config::login_field`.
    std::optional<LoginField> match;
};

}  // namespace usermgmt
