#include "service_impl.hpp"

#include "crypto.hpp"
#include "jwt.hpp"

namespace usermgmt {

std::int64_t UserService::Impl::now_seconds() const
{
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
}

Result<StoredUser> UserService::Impl::load(UserId id) const
{
    return store->find_user(id);
}

Result<SessionRecord> UserService::Impl::load_session(const std::string& id) const
{
    return store->find_session(id);
}

Result<StoredUser> UserService::Impl::modify_user(
    UserId id, const std::function<Result<void>(StoredUser&)>& change,
    const std::function<Result<void>(UserStore&, const StoredUser&)>& also) const
{
    std::optional<StoredUser> written;
    auto done = store->in_transaction([&](UserStore& s) -> Result<void> {
        auto row = s.find_user(id);
        if (!row) return std::move(row).error();
        if (auto ok = change(*row); !ok) return ok;
        if (auto ok = s.update_user(*row); !ok) return unique_violation(std::move(ok).error());
        if (also) {
            if (auto ok = also(s, *row); !ok) return ok;
        }
        written = std::move(*row);
        return {};
    });
    if (!done) return std::move(done).error();
    return std::move(*written);
}

Result<void> UserService::Impl::count_password_check(const Principal& who) const
{
    const ThrottleConfig& t = limiter->config();
    if (auto ok = limiter->count("password|client", who.client, t.password_check_per_client, now()); !ok) return ok;
    return limiter->count("password|user", account_subject(who.user_id), t.password_check_per_user, now());
}

bool UserService::Impl::check_password(const StoredUser* user, std::string_view password) const
{
    // No password is longer than the policy allows: an oversized one is not hashed whole, but
    // it still costs one hash, as a wrong one does.
    if (password.size() > detail::max_password_bytes(config.password_policy.max_length)) {
        user = nullptr;
        password = "x";
    }
    if (user && !user->password_hash.empty()) return hasher->verify(user->password_hash, password);
    std::call_once(dummy_once, [&] {
        auto hashed = hasher->hash(detail::to_hex(detail::random_bytes(16)));
        if (hashed) dummy_hash = std::move(*hashed);
    });
    (void)hasher->verify(dummy_hash, password);
    return false;
}

void UserService::Impl::check_new_password(std::string_view field, std::string_view password,
                                           const detail::PasswordContext* context, FieldErrors& errors) const
{
    for (auto& message : passwords->check(password, context)) errors.add(field, std::move(message));
}

void UserService::Impl::check_profile(const std::string* email, const std::string* first_name,
                                      const std::string* last_name, const std::optional<Date>* birthdate,
                                      const std::string* avatar, const std::vector<std::string>* groups,
                                      FieldErrors& errors) const
{
    if (email) detail::check_email("email", *email, errors);
    if (first_name) detail::check_name("first_name", *first_name, errors);
    if (last_name) detail::check_name("last_name", *last_name, errors);
    if (birthdate && *birthdate) detail::check_birthdate("birthdate", **birthdate, Date::from_time(now()), errors);
    if (avatar) detail::check_avatar_text("avatar", *avatar, errors);
    if (groups) {
        for (const auto& name : *groups) detail::check_group_name("groups", name, errors);
        if (groups->size() > 100) errors.add("groups", "A user may belong to at most 100 groups.");
    }
}

Result<void> UserService::Impl::check_unique(const std::string* username, const std::string* email, UserId self,
                                             const FieldErrors& errors, FieldErrors& taken) const
{
    // Only well-formed values are looked up: a malformed one already has its error.
    if (username && !errors.find("username")) {
        auto found = store->find_user_by_username(*username);
        if (found && found->user.id != self) taken.add("username", "A user with that username already exists.");
        else if (!found && found.error().code != Errc::not_found) return std::move(found).error();
    }
    if (email && !errors.find("email")) {
        auto found = store->find_user_by_email(*email);
        if (found && found->user.id != self) taken.add("email", "user with this email already exists.");
        else if (!found && found.error().code != Errc::not_found) return std::move(found).error();
    }
    return {};
}

Error UserService::Impl::field_failure(FieldErrors errors, const FieldErrors& taken)
{
    if (errors.empty()) return fail(Errc::already_exists, "value taken", taken);
    errors.merge(taken);
    return fail(Errc::invalid_argument, "invalid fields", std::move(errors));
}

Error UserService::Impl::unique_violation(Error error)
{
    if (error.code != Errc::already_exists) return error;
    // Two registrations raced past check_unique: the database refused the second.
    FieldErrors fields;
    if (error.fields.find("username")) fields.add("username", "A user with that username already exists.");
    if (error.fields.find("email")) fields.add("email", "user with this email already exists.");
    if (fields.empty()) return error;
    return fail(Errc::already_exists, std::move(error.message), std::move(fields));
}

bool UserService::Impl::may_manage(const Principal& who, const User& target)
{
    if (who.user_id == target.id) return true;
    if (!who.is_staff) return false;
    return !target.is_superuser || who.is_superuser;
}

Error UserService::Impl::not_visible() const
{
    return config.hide_users ? fail(Errc::not_found, "no such user") : fail(Errc::forbidden, "not your account");
}

std::string UserService::Impl::sign(TokenType type, UserId user, const std::string& session, std::int64_t issued_at,
                                    std::int64_t expires_at) const
{
    TokenClaims claims;
    claims.type = type;
    claims.user_id = user;
    claims.session_id = session;
    claims.jti = detail::to_hex(detail::random_bytes(16));
    claims.issued_at = issued_at;
    claims.expires_at = expires_at;
    return detail::sign_jwt(config.jwt_secret, claims);
}

std::pair<SessionRecord, TokenPair> UserService::Impl::new_session(UserId user, const TokenOptions& options) const
{
    const TimePoint at = now();
    const std::int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
    const auto access_lifetime = options.access_token_lifetime.value_or(config.access_token_lifetime);
    // The session lives as long as the longest token of the login.
    const auto session_lifetime = std::max(access_lifetime, config.refresh_token_lifetime);

    SessionRecord session;
    session.id = detail::to_hex(detail::random_bytes(16));
    session.user_id = user;
    session.created_at = at;
    session.expires_at = at + session_lifetime;
    TokenPair pair;
    pair.access = sign(TokenType::access, user, session.id, iat, iat + access_lifetime.count());
    pair.refresh = sign(TokenType::refresh, user, session.id, iat, iat + config.refresh_token_lifetime.count());
    return {std::move(session), std::move(pair)};
}

Result<TokenPair> UserService::Impl::open_session(const User& user, const TokenOptions& options) const
{
    auto [session, tokens] = new_session(user.id, options);
    if (auto ok = store->create_session(session); !ok) return std::move(ok).error();
    return std::move(tokens);
}

Result<std::pair<TokenClaims, StoredUser>> UserService::Impl::check_token(std::string_view token,
                                                                          std::optional<TokenType> expected) const
{
    auto claims = detail::verify_jwt(config.jwt_secret, token, now_seconds());
    if (!claims) return std::move(claims).error();
    if (expected && claims->type != *expected) return fail(Errc::token_wrong_type, "token has wrong type");
    auto user = load(claims->user_id);
    if (!user) return user.error().code == Errc::not_found ? fail(Errc::not_found, "token of a deleted user")
                                                           : std::move(user).error();
    if (!user->user.is_active) return fail(Errc::inactive_account, "user is inactive");
    auto session = load_session(claims->session_id);
    if (!session) {
        return session.error().code == Errc::not_found ? fail(Errc::token_invalid, "unknown session")
                                                       : std::move(session).error();
    }
    if (session->ended_at || session->user_id != claims->user_id) return fail(Errc::token_invalid, "session ended");
    return std::pair{std::move(*claims), std::move(*user)};
}

std::pair<TokenRecord, std::string> UserService::Impl::new_one_time(UserId user, TokenPurpose purpose,
                                                                     std::chrono::seconds lifetime) const
{
    std::string raw = detail::to_hex(detail::random_bytes(32));
    TokenRecord record;
    record.purpose = purpose;
    record.user_id = user;
    record.digest = detail::sha256(raw);
    record.created_at = now();
    record.expires_at = record.created_at + lifetime;
    return {std::move(record), std::move(raw)};
}

void UserService::Impl::notify_token(NotificationKind kind, const User& user, std::string& raw, TimePoint expires_at,
                                     std::string_view origin) const
{
    Notification n{kind, user, encode_uid(user.id), raw, expires_at, std::string(origin)};
    notifier->notify(n);
    detail::wipe(n.token);
    detail::wipe(raw);
}

Result<void> UserService::Impl::send_one_time(const User& user, TokenPurpose purpose, NotificationKind kind,
                                              std::chrono::seconds lifetime, std::string_view origin) const
{
    auto [record, raw] = new_one_time(user.id, purpose, lifetime);
    if (auto ok = store->put_token(record); !ok) return ok;
    notify_token(kind, user, raw, record.expires_at, origin);
    return {};
}

Result<void> UserService::Impl::send_one_time_by_email(std::string_view email, bool want_active, TokenPurpose purpose,
                                                      NotificationKind kind, std::chrono::seconds lifetime,
                                                      std::string_view origin) const
{
    FieldErrors errors;
    detail::check_email("email", email, errors);
    if (!errors.empty()) return fail(Errc::invalid_argument, "invalid email", std::move(errors));
    auto found = store->find_user_by_email(email);
    if (!found) return found.error().code == Errc::not_found ? Result<void>() : Result<void>(std::move(found).error());
    // A deactivated account gets no mail either: a fresh activation link would undo staff's ban.
    if (found->user.is_active != want_active || found->user.disabled) return {};
    return send_one_time(found->user, purpose, kind, lifetime, origin);
}

Result<std::pair<TokenRecord, StoredUser>> UserService::Impl::resolve(const OneTimeCode& code, TokenPurpose purpose,
                                                                      bool allow_used) const
{
    static const std::string bad_uid = "Invalid user id or user doesn't exist.";
    static const std::string bad_token = "Invalid token for given user.";
    std::optional<StoredUser> claimed;
    if (code.uid) {
        const auto id = decode_uid(*code.uid);
        auto user = id ? load(*id) : Result<StoredUser>(fail(Errc::not_found));
        if (!user) {
            if (user.error().code != Errc::not_found) return std::move(user).error();
            return field_error("uid", bad_uid);
        }
        claimed = std::move(*user);
    }
    std::string raw;  // only to check the form: the digest is taken of the text as sent
    if (code.token.size() != 64 || !detail::from_hex(code.token, raw)) return field_error("token", bad_token);
    auto record = store->find_token(purpose, detail::sha256(code.token));
    if (!record) {
        if (record.error().code != Errc::not_found) return std::move(record).error();
        return field_error("token", bad_token);
    }
    if ((record->used && !allow_used) || record->expires_at <= now() || (claimed && record->user_id != claimed->user.id))
        return field_error("token", bad_token);
    if (claimed) return std::pair{std::move(*record), std::move(*claimed)};
    auto user = load(record->user_id);
    if (!user) return user.error().code == Errc::not_found ? field_error("token", bad_token) : std::move(user).error();
    return std::pair{std::move(*record), std::move(*user)};
}

void UserService::Impl::check_code_blanks(const OneTimeCode& code, FieldErrors& errors)
{
    if (code.uid && code.uid->empty()) errors.add("uid", std::string(detail::blank_message));
    if (code.token.empty()) errors.add("token", std::string(detail::blank_message));
}

void UserService::Impl::notify(NotificationKind kind, const User& user) const
{
    notifier->notify(Notification{kind, user, encode_uid(user.id), {}, {}, {}});
}

Result<std::string> UserService::Impl::hash_password(std::string_view password) const
{
    return hasher->hash(password);
}

Result<void> UserService::Impl::after_password_change(UserStore& s, UserId user, std::string_view keep, TimePoint at)
{
    if (auto ok = s.end_sessions_of(user, keep, at); !ok) return ok;
    return s.erase_tokens(user, TokenPurpose::password_reset);
}

void UserService::Impl::check_avatar_image(std::string_view bytes, FieldErrors& errors) const
{
    if (!media) errors.add("avatar", "Avatar uploads are not enabled on this server.");
    else if (bytes.size() > config.max_avatar_bytes)
        errors.add("avatar", "The image is too large. It may have at most " + std::to_string(config.max_avatar_bytes) +
                                 " bytes.");
    else if (!detect_image_type(bytes))
        errors.add("avatar", "Upload a valid image. The file you uploaded was either not an image or a corrupted image.");
}

Result<std::string> UserService::Impl::store_avatar_image(std::string_view bytes) const
{
    const auto type = detect_image_type(bytes);
    if (!media || !type) return fail(Errc::internal, "store_avatar_image without a checked image");
    return media->put("avatars", file_extension(*type), bytes);
}

void UserService::Impl::drop_media(const User& before, const User& after) const
{
    if (!media || !before.avatar_is_media) return;
    if (after.avatar_is_media && after.avatar == before.avatar) return;
    (void)media->remove(before.avatar);
}

}  // namespace usermgmt
