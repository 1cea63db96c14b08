#pragma once
// Field validation rules shared by every use case: each adds coded problems (Django's rules).

#include "usermgmt/config.hpp"
#include "usermgmt/error.hpp"
#include "usermgmt/result.hpp"
#include "usermgmt/types.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace usermgmt::detail {

inline constexpr std::size_t max_username_length = 150;
inline constexpr std::size_t max_name_length = 150;
inline constexpr std::size_t max_email_length = 254;
inline constexpr std::size_t max_avatar_length = 1024;
inline constexpr std::size_t max_group_name_length = 150;
inline constexpr std::size_t max_groups_per_user = 100;

/// Number of Unicode code points in UTF-8 text (invalid bytes count one each).
std::size_t utf8_length(std::string_view text) noexcept;
/// True for well-formed UTF-8 (no stray continuation bytes, overlong forms or surrogates).
bool is_valid_utf8(std::string_view text) noexcept;
/// The most bytes a password of `max_length` code points can take (4 bytes each at most).
inline constexpr std::size_t max_password_bytes(std::size_t max_length) noexcept { return max_length * 4; }
/// True for well-formed UTF-8 without NUL or other C0 control characters but tab/newline.
bool is_clean_text(std::string_view text) noexcept;

/// Django's EmailValidator (dot-atom or quoted local part; domain of labels, or `localhost`,
/// or an address literal) on ASCII addresses of at most 254 characters.
bool is_valid_email(std::string_view email) noexcept;
/// Lower-cases the domain part, as Django's normalize_email does.
std::string normalize_email(std::string_view email);
/// ASCII letters, digits and @ . + - _ only.
bool is_valid_username_chars(std::string_view username) noexcept;

/// Adds the field errors of an email (required, blank, syntax, length) to `errors`.
void check_email(std::string_view field, std::string_view email, FieldErrors& errors);
/// Adds the field errors of a username (required, blank, characters, length).
void check_username(std::string_view field, std::string_view username, FieldErrors& errors);
/// Adds an error when a name is longer than 150 code points or holds control characters.
void check_name(std::string_view field, std::string_view name, FieldErrors& errors);
/// Adds an error when a birthdate is not a real date or lies after `today`.
void check_birthdate(std::string_view field, const Date& birthdate, const Date& today, FieldErrors& errors);
/// Adds an error when a free avatar string is too long or holds control characters.
void check_avatar_text(std::string_view field, std::string_view avatar, FieldErrors& errors);
/// Adds an error when a group name is empty, too long or holds control characters.
void check_group_name(std::string_view field, std::string_view name, FieldErrors& errors);

/// The attributes the similarity rule compares a password with.
struct PasswordContext {
    std::string_view username;
    std::string_view first_name;
    std::string_view last_name;
    std::string_view email;
};

/// Django's four password validators plus a maximum length. Thread-safe once built.
class PasswordValidator {
public:
    /// `bad_config` when a configured list file cannot be read.
    static Result<std::shared_ptr<const PasswordValidator>> create(const PasswordPolicy& policy);
    /// Every failed rule, in Django's order; empty when the password is acceptable.
    /// `context` null skips the similarity rule (Djoser's reset confirm has no user yet).
    std::vector<Problem> check(std::string_view password, const PasswordContext* context) const;

private:
    explicit PasswordValidator(PasswordPolicy policy) : policy_(std::move(policy)) {}
    PasswordPolicy policy_;
    std::string list_storage_;
    std::unordered_set<std::string_view> common_;
};

}  // namespace usermgmt::detail
