// UserService: reading, changing, deleting and listing users; avatars; groups.
#include "service_impl.hpp"

#include <algorithm>
#include <cctype>

namespace usermgmt {

Result<User> UserService::me(const Principal& who) const
{
    auto stored = impl_->load(who.user_id);
    if (!stored) return std::move(stored).error();
    return std::move(stored->user);
}

Result<User> UserService::get_user(const Principal& who, UserId id) const
{
    if (who.user_id != id && !who.is_staff) return impl_->rules.not_visible();
    auto stored = impl_->load(id);
    if (!stored) return std::move(stored).error();
    return std::move(stored->user);
}

Result<User> UserService::update_user(const Principal& who, UserId id, const UserPatch& patch) const
{
    const Impl& m = *impl_;
    // Someone else's account: forbidden whether it exists or not, so nothing is revealed.
    if (who.user_id != id && !who.is_staff) return fail(Errc::forbidden, "not your account");
    auto current = m.load(id);
    if (!current) return std::move(current).error();
    if (!detail::ProfileRules::may_manage(who, current->user)) return fail(Errc::forbidden, "staff may not change a superuser");
    if ((patch.is_active && !who.is_staff) || (patch.is_staff && !who.is_superuser))
        return fail(Errc::forbidden, "only staff may change is_active, only superusers is_staff");
    if (patch.groups && !patch.groups->empty() && !who.is_staff) return fail(Errc::forbidden, "only staff may assign groups");
    if (patch.is_active == false && who.user_id == id) return fail(Errc::forbidden, "you may not deactivate yourself");
    if (patch.password) {
        if (auto ok = m.passwords.count_check(who); !ok) return std::move(ok).error();
    }

    FieldErrors errors;
    if (patch.replace && !patch.email) errors.add("email", "This field is required.");
    std::optional<std::string> email;
    if (patch.email) email = detail::normalize_email(*patch.email);
    const std::optional<Date>* birthdate = patch.birthdate ? &*patch.birthdate : nullptr;
    const auto* groups = patch.groups && who.is_staff ? &*patch.groups : nullptr;
    m.rules.check_profile(email ? &*email : nullptr, patch.first_name ? &*patch.first_name : nullptr,
                    patch.last_name ? &*patch.last_name : nullptr, birthdate, patch.avatar ? &*patch.avatar : nullptr,
                    groups, errors);
    if (patch.avatar_image) m.avatars.check(*patch.avatar_image, errors);
    FieldErrors taken;
    if (auto ok = m.rules.check_unique(nullptr, email ? &*email : nullptr, id, errors, taken); !ok) return std::move(ok).error();
    std::optional<std::string> new_hash;
    if (patch.password) {
        const User& u = current->user;
        // The attributes the user will have after this update (kept alive for the views).
        const std::string first = patch.first_name.value_or(u.first_name);
        const std::string last = patch.last_name.value_or(u.last_name);
        const std::string address = email.value_or(u.email);
        const detail::PasswordContext context{u.username, first, last, address};
        m.rules.check_new_password("password", *patch.password, &context, errors);
    }
    if (!errors.empty() || !taken.empty()) return detail::ProfileRules::field_failure(std::move(errors), taken);
    if (patch.password) {
        auto hash = m.passwords.hash(*patch.password);
        if (!hash) return std::move(hash).error();
        new_hash = std::move(*hash);
    }

    std::optional<std::string> new_avatar;
    if (patch.avatar_image) {
        auto key = m.avatars.store(*patch.avatar_image);
        if (!key) return std::move(key).error();
        new_avatar = std::move(*key);
    }

    const bool reverify = patch.require_activation.value_or(m.config.require_activation);
    bool email_changed = false;
    bool deactivated = false;
    User before;
    auto written = m.modify_user(
        id,
        [&](StoredUser& row) -> Result<void> {
            before = row.user;
            User& u = row.user;
            if (email && *email != u.email) {
                email_changed = true;
                u.email = *email;
                // A new address must be confirmed before the account works again (Djoser).
                if (reverify) u.is_active = false;
            }
            if (patch.first_name) u.first_name = *patch.first_name;
            if (patch.last_name) u.last_name = *patch.last_name;
            if (patch.birthdate) u.birthdate = *patch.birthdate;
            if (new_avatar) {
                u.avatar = *new_avatar;
                u.avatar_is_media = true;
            } else if (patch.avatar) {
                u.avatar = *patch.avatar;
                u.avatar_is_media = false;
            }
            if (groups) {
                u.groups = *groups;
                std::sort(u.groups.begin(), u.groups.end());
                u.groups.erase(std::unique(u.groups.begin(), u.groups.end()), u.groups.end());
            }
            if (patch.is_active) {
                // Staff's word: a deactivation only staff can lift, an activation that counts as one.
                u.is_active = *patch.is_active;
                u.disabled = !*patch.is_active;
                if (u.is_active && !u.activated_at) u.activated_at = m.now();
            }
            if (patch.is_staff) u.is_staff = *patch.is_staff;
            if (new_hash) row.password_hash = *new_hash;
            deactivated = before.is_active && !u.is_active;
            u.updated_at = m.now();
            return {};
        },
        [&](UserStore& s, const StoredUser& row) -> Result<void> {
            // Deactivation ends every session and voids old activation links (so only a new
            // one, or staff, can activate again); a new password ends every session but the caller's.
            // Links mailed to the old address die with it (a new activation link, when one is
            // needed, goes to the new address after the commit).
            if (email_changed) {
                for (auto purpose : {TokenPurpose::activation, TokenPurpose::password_reset, TokenPurpose::username_reset})
                    if (auto ok = s.erase_tokens(row.user.id, purpose); !ok) return ok;
            }
            if (deactivated) {
                if (auto ok = s.erase_tokens(row.user.id, TokenPurpose::activation); !ok) return ok;
                return detail::Sessions::end_after_password_change(s, row.user.id, "", m.now());
            }
            if (new_hash) return detail::Sessions::end_after_password_change(s, row.user.id, who.session_id, m.now());
            return {};
        });
    if (!written) {
        if (new_avatar) m.avatars.discard(*new_avatar);  // the row did not take it: no orphan
        return std::move(written).error();
    }
    m.avatars.drop(before, written->user);
    if (email_changed && reverify && !written->user.is_active) {
        if (auto ok = m.tokens.send(written->user, TokenPurpose::activation, NotificationKind::activation,
                                      m.config.activation_token_lifetime);
            !ok)
            return std::move(ok).error();
    }
    if (new_hash && m.config.send_password_changed_confirmation)
        m.tokens.notify(NotificationKind::password_changed, written->user);
    return std::move(written->user);
}

Result<User> UserService::set_avatar(const Principal& who, UserId id, std::string_view image_bytes) const
{
    UserPatch patch;
    patch.avatar_image = std::string(image_bytes);
    return update_user(who, id, patch);
}

Result<void> UserService::delete_user(const Principal& who, UserId id,
                                      const std::optional<std::string>& current_password) const
{
    const Impl& m = *impl_;
    if (who.user_id != id && !who.is_staff) return fail(Errc::forbidden, "not your account");
    if (current_password) {
        if (current_password->empty()) return field_error("current_password", std::string(detail::blank_message));
        if (auto ok = m.passwords.count_check(who); !ok) return ok;
        auto caller = m.load(who.user_id);
        if (!caller) return std::move(caller).error();
        if (!m.passwords.verify(&*caller, *current_password)) return field_error("current_password", "Invalid password.");
    }
    auto target = m.load(id);
    if (!target) return std::move(target).error();
    if (!detail::ProfileRules::may_manage(who, target->user)) return fail(Errc::forbidden, "staff may not delete a superuser");
    // Sessions, tokens and memberships go with the row (ON DELETE CASCADE).
    if (auto erased = m.store->erase_user(id); !erased) return erased;
    m.avatars.drop(target->user, User{});
    return {};
}

Result<UserPage> UserService::list_users(const Principal& who, ListQuery query) const
{
    const Impl& m = *impl_;
    FieldErrors errors;
    if (query.limit < 1) errors.add("limit", "Ensure this value is greater than or equal to 1.");
    if (query.offset < 0) errors.add("offset", "Ensure this value is greater than or equal to 0.");
    if (!errors.empty()) return fail(Errc::invalid_argument, "bad page", std::move(errors));
    query.limit = std::min(query.limit, m.config.max_page_size);

    if (who.is_staff || !m.config.hide_users) return m.store->list_users(query);

    // Non-staff see only themselves, through the same filters and window.
    auto self = m.load(who.user_id);
    if (!self) return std::move(self).error();
    const auto starts_with = [](std::string_view text, std::string_view prefix) {
        if (prefix.size() > text.size()) return false;
        return std::equal(prefix.begin(), prefix.end(), text.begin(),
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                                      std::tolower(static_cast<unsigned char>(b)); });
    };
    UserPage page;
    if (starts_with(self->user.email, query.email_prefix) && starts_with(self->user.username, query.username_prefix)) {
        page.total = 1;
        if (query.offset == 0) page.users.push_back(std::move(self->user));
    }
    return page;
}

Result<void> UserService::create_group(const Principal& who, std::string_view name) const
{
    if (!who.is_staff) return fail(Errc::forbidden, "only staff manage groups");
    FieldErrors errors;
    detail::check_group_name("name", name, errors);
    if (!errors.empty()) return fail(Errc::invalid_argument, "bad group name", std::move(errors));
    auto made = impl_->store->create_group(name);
    if (!made && made.error().code == Errc::already_exists)
        return fail(Errc::already_exists, "group exists",
                    [] { FieldErrors f; f.add("name", "group with this name already exists."); return f; }());
    return made;
}

Result<void> UserService::delete_group(const Principal& who, std::string_view name) const
{
    if (!who.is_staff) return fail(Errc::forbidden, "only staff manage groups");
    return impl_->store->erase_group(name);
}

Result<std::vector<std::string>> UserService::list_groups(const Principal& who) const
{
    if (!who.is_staff) return fail(Errc::forbidden, "only staff manage groups");
    return impl_->store->list_groups();
}

}  // namespace usermgmt
