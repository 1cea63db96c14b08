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

Result<User> UserService::find_user(const Principal& who, std::string_view name) const
{
    if (!who.is_staff) return impl_->rules.not_visible();
    auto stored = impl_->store->find_user_by_username(name);
    if (!stored && stored.error().code == Errc::not_found) stored = impl_->store->find_user_by_email(name);
    if (!stored) return std::move(stored).error();
    return std::move(stored->user);
}

namespace {

// What an accepted patch will write, worked out before the transaction.
struct CheckedPatch {
    std::optional<std::string> email;                ///< normalised
    const std::vector<std::string>* groups = nullptr;  ///< only staff's count
    std::optional<std::string> new_hash;
    bool reverify = false;  ///< a new email deactivates until confirmed
};

// What applying the patch changed, for the same transaction and for after the commit.
struct AppliedPatch {
    User before;
    bool email_changed = false;
    bool deactivated = false;
};

// Who may change what: someone else's account is forbidden whether it exists or not, so nothing
// is revealed; staff fields need staff (is_staff a superuser).
Result<StoredUser> authorize_update(const UserService::Impl& m, const Principal& who, UserId id, const UserPatch& patch)
{
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
    return current;
}

// Every field rule, all reported together; then the new password's hash.
Result<CheckedPatch> check_patch(const UserService::Impl& m, const Principal& who, const User& current,
                                 const UserPatch& patch)
{
    CheckedPatch checked;
    FieldErrors errors;
    if (patch.replace && !patch.email) errors.add("email", Reason::required);
    if (patch.email) checked.email = detail::normalize_email(*patch.email);
    const std::string* email = checked.email ? &*checked.email : nullptr;
    const std::optional<Date>* birthdate = patch.birthdate ? &*patch.birthdate : nullptr;
    checked.groups = patch.groups && who.is_staff ? &*patch.groups : nullptr;
    m.rules.check_profile(email, patch.first_name ? &*patch.first_name : nullptr,
                          patch.last_name ? &*patch.last_name : nullptr, birthdate,
                          patch.avatar ? &*patch.avatar : nullptr, checked.groups, errors);
    if (patch.avatar_image) m.avatars.check(*patch.avatar_image, errors);
    FieldErrors taken;
    if (auto ok = m.rules.check_unique(nullptr, email, current.id, errors, taken); !ok) return std::move(ok).error();
    if (patch.password) {
        // The attributes the user will have after this update (kept alive for the views).
        const std::string first = patch.first_name.value_or(current.first_name);
        const std::string last = patch.last_name.value_or(current.last_name);
        const std::string address = checked.email.value_or(current.email);
        const detail::PasswordContext context{current.username, first, last, address};
        m.rules.check_new_password("password", *patch.password, &context, errors);
    }
    if (!errors.empty() || !taken.empty()) return detail::ProfileRules::field_failure(std::move(errors), taken);
    if (patch.password) {
        auto hash = m.passwords.hash(*patch.password);
        if (!hash) return std::move(hash).error();
        checked.new_hash = std::move(*hash);
    }
    checked.reverify = patch.require_activation.value_or(m.config.require_activation);
    return checked;
}

// Writes the patch into the row read inside the transaction.
AppliedPatch apply_patch(StoredUser& row, const UserPatch& patch, const CheckedPatch& checked,
                         const std::optional<std::string>& new_avatar, TimePoint now)
{
    AppliedPatch applied;
    applied.before = row.user;
    User& u = row.user;
    if (checked.email && *checked.email != u.email) {
        applied.email_changed = true;
        u.email = *checked.email;
        // A new address must be confirmed before the account works again (Djoser).
        if (checked.reverify) u.is_active = false;
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
    if (checked.groups) {
        u.groups = *checked.groups;
        std::sort(u.groups.begin(), u.groups.end());
        u.groups.erase(std::unique(u.groups.begin(), u.groups.end()), u.groups.end());
    }
    if (patch.is_active) {
        // Staff's word: a deactivation only staff can lift, an activation that counts as one.
        u.is_active = *patch.is_active;
        u.disabled = !*patch.is_active;
        if (u.is_active && !u.activated_at) u.activated_at = now;
    }
    if (patch.is_staff) u.is_staff = *patch.is_staff;
    if (checked.new_hash) row.password_hash = *checked.new_hash;
    applied.deactivated = applied.before.is_active && !u.is_active;
    u.updated_at = now;
    return applied;
}

// In the same transaction: what the change makes void. Links mailed to an old address die with
// it; deactivation ends every session and old activation links (only a new one, or staff, can
// activate again); a new password ends every session but the caller's.
Result<void> end_what_the_patch_voids(UserStore& s, const StoredUser& row, const AppliedPatch& applied,
                                      const CheckedPatch& checked, const Principal& who, TimePoint now)
{
    if (applied.email_changed) {
        for (auto purpose : {TokenPurpose::activation, TokenPurpose::password_reset, TokenPurpose::username_reset})
            if (auto ok = s.erase_tokens(row.user.id, purpose); !ok) return ok;
    }
    if (applied.deactivated) {
        if (auto ok = s.erase_tokens(row.user.id, TokenPurpose::activation); !ok) return ok;
        return detail::Sessions::end_after_password_change(s, row.user.id, "", now);
    }
    if (checked.new_hash) return detail::Sessions::end_after_password_change(s, row.user.id, who.session_id, now);
    return {};
}

}  // namespace

Result<User> UserService::update_user(const Principal& who, UserId id, const UserPatch& patch) const
{
    const Impl& m = *impl_;
    auto current = authorize_update(m, who, id, patch);
    if (!current) return std::move(current).error();
    auto checked = check_patch(m, who, current->user, patch);
    if (!checked) return std::move(checked).error();

    std::optional<std::string> new_avatar;
    if (patch.avatar_image) {
        auto key = m.avatars.store(*patch.avatar_image);
        if (!key) return std::move(key).error();
        new_avatar = std::move(*key);
    }
    AppliedPatch applied;
    auto written = m.modify_user(
        id,
        [&](StoredUser& row) -> Result<void> {
            applied = apply_patch(row, patch, *checked, new_avatar, m.now());
            return {};
        },
        [&](UserStore& s, const StoredUser& row) {
            return end_what_the_patch_voids(s, row, applied, *checked, who, m.now());
        });
    if (!written) {
        if (new_avatar) m.avatars.discard(*new_avatar);  // the row did not take it: no orphan
        return std::move(written).error();
    }

    // After the commit: the old file, a new activation link to the new address, the confirmation.
    m.avatars.drop(applied.before, written->user);
    if (applied.email_changed && checked->reverify && !written->user.is_active) {
        if (auto ok = m.tokens.send(written->user, TokenPurpose::activation, NotificationKind::activation,
                                    m.config.activation_token_lifetime);
            !ok)
            return std::move(ok).error();
    }
    if (checked->new_hash && m.config.send_password_changed_confirmation)
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
        if (current_password->empty()) return field_error("current_password", Reason::blank);
        if (auto ok = m.passwords.count_check(who); !ok) return ok;
        auto caller = m.load(who.user_id);
        if (!caller) return std::move(caller).error();
        if (!m.passwords.verify(&*caller, *current_password)) return field_error("current_password", Reason::wrong_password);
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
    if (query.limit < 1) errors.add("limit", Reason::below_minimum, 1);
    if (query.offset < 0) errors.add("offset", Reason::below_minimum, 0);
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
    return made;  // a taken name is the store's already_exists with `name: taken`
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
