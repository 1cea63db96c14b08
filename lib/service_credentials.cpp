// UserService: changing and resetting passwords and usernames.
#include "service_impl.hpp"

namespace usermgmt {
namespace {

Error mismatch()
{
    return field_error("", Reason::passwords_mismatch);
}

// The store's clash on `username` (two writers raced past the check) is the new name's.
Error as_new_username(Error e)
{
    if (e.code == Errc::already_exists && e.fields.has("username", Reason::taken)) {
        e.fields = FieldErrors();
        e.fields.add("new_username", Reason::taken);
    }
    return e;
}

}  // namespace

Result<void> UserService::set_password(const Principal& who, const PasswordChange& change) const
{
    const Impl& m = *impl_;
    // DRF's order: field checks (blanks, and the current password) all together, then the
    // rules of the new password, then the retype.
    if (auto ok = m.passwords.count_check(who); !ok) return ok;
    auto stored = m.load(who.user_id);
    if (!stored) return std::move(stored).error();
    FieldErrors errors;
    if (change.current_password.empty()) errors.add("current_password", Reason::blank);
    else if (!m.passwords.verify(&*stored, change.current_password)) errors.add("current_password", Reason::wrong_password);
    if (change.new_password.empty()) errors.add("new_password", Reason::blank);
    if (change.new_password_retype && change.new_password_retype->empty())
        errors.add("new_password_retype", Reason::blank);
    if (!errors.empty()) return fail(Errc::invalid_argument, "invalid fields", std::move(errors));

    const User& u = stored->user;
    const detail::PasswordContext context{u.username, u.first_name, u.last_name, u.email};
    m.rules.check_new_password("new_password", change.new_password, &context, errors);
    if (!errors.empty()) return fail(Errc::invalid_argument, "password rejected", std::move(errors));
    if (change.new_password_retype && *change.new_password_retype != change.new_password) return mismatch();

    auto hash = m.passwords.hash(change.new_password);
    if (!hash) return std::move(hash).error();
    auto written = m.modify_user(
        who.user_id,
        [&](StoredUser& row) -> Result<void> {
            row.password_hash = *hash;
            row.user.updated_at = m.now();
            return {};
        },
        // The session that changed the password keeps working; every other one ends.
        [&](UserStore& s, const StoredUser& row) { return detail::Sessions::end_after_password_change(s, row.user.id, who.session_id, m.now()); });
    if (!written) return std::move(written).error();
    if (m.config.send_password_changed_confirmation) m.tokens.notify(NotificationKind::password_changed, written->user);
    return {};
}

Result<void> UserService::set_username(const Principal& who, std::string_view new_username,
                                       std::string_view current_password) const
{
    const Impl& m = *impl_;
    if (auto ok = m.passwords.count_check(who); !ok) return ok;
    auto stored = m.load(who.user_id);
    if (!stored) return std::move(stored).error();
    // DRF validates both fields before it reports: their errors come together.
    FieldErrors errors;
    const std::string username(new_username);
    detail::check_username("new_username", username, errors);
    if (!errors.find("new_username")) {
        // The current name itself counts as taken (Djoser); only a change of its case is allowed.
        FieldErrors taken;
        if (auto ok = m.rules.check_unique(&username, nullptr, who.user_id, errors, taken); !ok) return ok;
        if (taken.find("username") || username == stored->user.username)
            errors.add("new_username", Reason::taken);
    }
    if (current_password.empty()) errors.add("current_password", Reason::blank);
    else if (!m.passwords.verify(&*stored, current_password)) errors.add("current_password", Reason::wrong_password);
    if (!errors.empty()) return fail(Errc::invalid_argument, "invalid username change", std::move(errors));

    auto written = m.modify_user(who.user_id, [&](StoredUser& row) -> Result<void> {
        row.user.username = username;
        row.user.updated_at = m.now();
        return {};
    });
    if (!written) return as_new_username(std::move(written).error());
    return {};
}

Result<void> UserService::request_password_reset(std::string_view email, std::string_view origin) const
{
    // Inactive accounts get no mail, and the same answer (Djoser, GoTrue).
    return impl_->tokens.send_by_email(email, true, TokenPurpose::password_reset, NotificationKind::password_reset,
                                         impl_->config.password_reset_token_lifetime, origin);
}

Result<void> UserService::check_password_reset(const OneTimeCode& code) const
{
    FieldErrors blanks;
    detail::OneTimeTokens::check_blanks(code, blanks);
    if (!blanks.empty()) return fail(Errc::invalid_argument, "blank token", std::move(blanks));
    auto found = impl_->tokens.resolve(code, TokenPurpose::password_reset, false);
    if (!found) return std::move(found).error();
    return {};
}

Result<void> UserService::confirm_password_reset(const OneTimeCode& code, std::string_view new_password,
                                                 const std::optional<std::string>& retype) const
{
    const Impl& m = *impl_;
    // DRF's order: blank fields first; then the new password's rules (without the user's
    // attributes: Djoser has no user yet), the retype, and only then uid and token.
    FieldErrors errors;
    detail::OneTimeTokens::check_blanks(code, errors);
    if (new_password.empty()) errors.add("new_password", Reason::blank);
    if (retype && retype->empty()) errors.add("new_password_retype", Reason::blank);
    if (!errors.empty()) return fail(Errc::invalid_argument, "blank fields", std::move(errors));
    m.rules.check_new_password("new_password", new_password, nullptr, errors);
    if (!errors.empty()) return fail(Errc::invalid_argument, "password rejected", std::move(errors));
    if (retype && *retype != new_password) return mismatch();

    auto found = m.tokens.resolve(code, TokenPurpose::password_reset, false);
    if (!found) return std::move(found).error();
    const TokenRecord token = found->first;
    auto hash = m.passwords.hash(new_password);
    if (!hash) return std::move(hash).error();

    bool consumed = false;
    auto written = m.modify_user(
        token.user_id,
        [&](StoredUser& row) -> Result<void> {
            row.password_hash = *hash;
            row.user.updated_at = m.now();
            return {};
        },
        [&](UserStore& s, const StoredUser& row) -> Result<void> {
            // Single use even under a race: the UPDATE of consume_token lets one caller through.
            auto used = s.consume_token(TokenPurpose::password_reset, token.digest, m.now());
            if (!used) {
                if (used.error().code != Errc::not_found) return std::move(used).error();
                return field_error("token", Reason::invalid_token);
            }
            consumed = true;
            // Every session ends, and every other reset token of the user dies with the old password.
            return detail::Sessions::end_after_password_change(s, row.user.id, "", m.now());
        });
    if (!written) return std::move(written).error();
    if (consumed && m.config.send_password_changed_confirmation)
        m.tokens.notify(NotificationKind::password_changed, written->user);
    return {};
}

Result<void> UserService::request_username_reset(std::string_view email) const
{
    return impl_->tokens.send_by_email(email, true, TokenPurpose::username_reset, NotificationKind::username_reset,
                                         impl_->config.username_reset_token_lifetime);
}

Result<void> UserService::confirm_username_reset(const OneTimeCode& code, std::string_view new_username) const
{
    const Impl& m = *impl_;
    // The new username is checked first; uid and token after it (Djoser's order).
    const std::string username(new_username);
    FieldErrors errors;
    detail::check_username("new_username", username, errors);
    if (errors.empty()) {
        FieldErrors taken;
        if (auto ok = m.rules.check_unique(&username, nullptr, 0, errors, taken); !ok) return ok;
        if (taken.find("username")) errors.add("new_username", Reason::taken);
    }
    if (!errors.empty()) return fail(Errc::invalid_argument, "invalid username", std::move(errors));

    auto found = m.tokens.resolve(code, TokenPurpose::username_reset, false);
    if (!found) return std::move(found).error();
    const TokenRecord token = found->first;
    auto written = m.modify_user(
        token.user_id,
        [&](StoredUser& row) -> Result<void> {
            row.user.username = username;
            row.user.updated_at = m.now();
            return {};
        },
        [&](UserStore& s, const StoredUser&) -> Result<void> {
            auto used = s.consume_token(TokenPurpose::username_reset, token.digest, m.now());
            if (!used)
                return used.error().code == Errc::not_found ? field_error("token", Reason::invalid_token)
                                                            : std::move(used).error();
            return {};
        });
    if (!written) return as_new_username(std::move(written).error());
    return {};
}

}  // namespace usermgmt
