#include "profile_rules.hpp"

namespace usermgmt::detail {

void ProfileRules::check_new_password(std::string_view field, std::string_view password,
                                      const PasswordContext* context, FieldErrors& errors) const
{
    for (auto& problem : passwords_->check(password, context)) errors.add(field, std::move(problem));
}

void ProfileRules::check_profile(const std::string* email, const std::string* first_name, const std::string* last_name,
                                 const std::optional<Date>* birthdate, const std::string* avatar,
                                 const std::vector<std::string>* groups, FieldErrors& errors) const
{
    if (email) check_email("email", *email, errors);
    if (first_name) check_name("first_name", *first_name, errors);
    if (last_name) check_name("last_name", *last_name, errors);
    if (birthdate && *birthdate) check_birthdate("birthdate", **birthdate, Date::from_time(clock_.now()), errors);
    if (avatar) check_avatar_text("avatar", *avatar, errors);
    if (groups) {
        for (const auto& name : *groups) check_group_name("groups", name, errors);
        if (groups->size() > max_groups_per_user) errors.add("groups", Reason::too_many, max_groups_per_user);
    }
}

Result<void> ProfileRules::check_unique(const std::string* username, const std::string* email, UserId self,
                                        const FieldErrors& errors, FieldErrors& taken) const
{
    // Only well-formed values are looked up: a malformed one already has its error.
    if (username && !errors.find("username")) {
        auto found = store_.find_user_by_username(*username);
        if (found && found->user.id != self) taken.add("username", Reason::taken);
        else if (!found && found.error().code != Errc::not_found) return std::move(found).error();
    }
    if (email && !errors.find("email")) {
        auto found = store_.find_user_by_email(*email);
        if (found && found->user.id != self) taken.add("email", Reason::taken);
        else if (!found && found.error().code != Errc::not_found) return std::move(found).error();
    }
    return {};
}

Error ProfileRules::field_failure(FieldErrors errors, const FieldErrors& taken)
{
    if (errors.empty()) return fail(Errc::already_exists, "value taken", taken);
    errors.merge(taken);
    return fail(Errc::invalid_argument, "invalid fields", std::move(errors));
}

bool ProfileRules::may_manage(const Principal& who, const User& target)
{
    if (who.user_id == target.id) return true;
    if (!who.is_staff) return false;
    return !target.is_superuser || who.is_superuser;
}

Error ProfileRules::not_visible() const
{
    return config_.hide_users ? fail(Errc::not_found, "no such user") : fail(Errc::forbidden, "not your account");
}

}  // namespace usermgmt::detail
