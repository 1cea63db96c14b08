#pragma once
// The rules of a profile: field checks of new users and patches, the password rules, unique
// names, and who may see or change whom. Each check adds field errors; none writes.

#include "usermgmt/clock.hpp"
#include "usermgmt/config.hpp"
#include "usermgmt/user_store.hpp"

#include "validation.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usermgmt::detail {

class ProfileRules {
public:
    ProfileRules(const Config& config, UserStore& store, std::shared_ptr<const PasswordValidator> passwords,
                 const Clock& clock)
        : config_(config), store_(store), passwords_(std::move(passwords)), clock_(clock)
    {
    }

    /// Field errors of a password for a user's attributes (null: no similarity rule).
    void check_new_password(std::string_view field, std::string_view password, const PasswordContext* context,
                            FieldErrors& errors) const;
    /// Field errors of the profile members of a patch or new user (null: not given).
    void check_profile(const std::string* email, const std::string* first_name, const std::string* last_name,
                       const std::optional<Date>* birthdate, const std::string* avatar,
                       const std::vector<std::string>* groups, FieldErrors& errors) const;
    /// Adds `taken` field errors to `taken` for a username / email (well-formed by
    /// `errors`) taken by someone other than `self`.
    Result<void> check_unique(const std::string* username, const std::string* email, UserId self,
                              const FieldErrors& errors, FieldErrors& taken) const;
    /// The failure of a field phase: `already_exists` when the only problems are taken values,
    /// else `invalid_argument` with every field's errors.
    static Error field_failure(FieldErrors errors, const FieldErrors& taken);
    /// Whether `who` may act on `target` (self or staff; staff not on a superuser unless superuser).
    static bool may_manage(const Principal& who, const User& target);
    /// The error for a user `who` may not see: hidden (not_found) or forbidden.
    Error not_visible() const;

private:
    const Config& config_;
    UserStore& store_;
    std::shared_ptr<const PasswordValidator> passwords_;
    const Clock& clock_;
};

}  // namespace usermgmt::detail
