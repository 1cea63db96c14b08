#include "sessions.hpp"

#include "crypto.hpp"
#include "jwt.hpp"

#include <algorithm>

namespace usermgmt::detail {

std::int64_t Sessions::now_seconds() const
{
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

std::string Sessions::sign(TokenType type, UserId user, const std::string& session, std::int64_t issued_at,
                           std::int64_t expires_at) const
{
    TokenClaims claims;
    claims.type = type;
    claims.user_id = user;
    claims.session_id = session;
    claims.jti = to_hex(random_bytes(16));
    claims.issued_at = issued_at;
    claims.expires_at = expires_at;
    return sign_jwt(config_.jwt_secret, claims);
}

std::pair<SessionRecord, TokenPair> Sessions::start(UserId user,
                                                    std::optional<std::chrono::seconds> access_lifetime_override) const
{
    const TimePoint at = clock_.now();
    const std::int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
    const auto access_lifetime = access_lifetime_override.value_or(config_.access_token_lifetime);
    // The session lives as long as the longest token of the login.
    const auto session_lifetime = std::max(access_lifetime, config_.refresh_token_lifetime);

    SessionRecord session;
    session.id = to_hex(random_bytes(16));
    session.user_id = user;
    session.created_at = at;
    session.expires_at = at + session_lifetime;
    TokenPair pair;
    pair.access = sign(TokenType::access, user, session.id, iat, iat + access_lifetime.count());
    pair.refresh = sign(TokenType::refresh, user, session.id, iat, iat + config_.refresh_token_lifetime.count());
    return {std::move(session), std::move(pair)};
}

Result<std::pair<TokenClaims, StoredUser>> Sessions::check(std::string_view token,
                                                          std::optional<TokenType> expected) const
{
    const std::int64_t now = now_seconds();
    Result<TokenClaims> claims = fail(Errc::token_invalid, "not checked");
    if (auto known = verified_.find(token)) {
        if (jwt_expired(*known, now)) return fail(Errc::token_expired, "token expired");
        claims = std::move(*known);
    } else {
        claims = verify_jwt(config_.jwt_secret, token, now);
        if (!claims) return std::move(claims).error();
        verified_.put(token, *claims);
    }
    if (expected && claims->type != *expected) return fail(Errc::token_wrong_type, "token has wrong type");
    auto user = store_.find_user(claims->user_id);
    if (!user) return user.error().code == Errc::not_found ? fail(Errc::not_found, "token of a deleted user")
                                                           : std::move(user).error();
    if (!user->user.is_active) return fail(Errc::inactive_account, "user is inactive");
    auto session = store_.find_session(claims->session_id);
    if (!session) {
        return session.error().code == Errc::not_found ? fail(Errc::token_invalid, "unknown session")
                                                       : std::move(session).error();
    }
    if (session->ended_at || session->user_id != claims->user_id) return fail(Errc::token_invalid, "session ended");
    return std::pair{std::move(*claims), std::move(*user)};
}

Result<TokenPair> Sessions::renew(const TokenClaims& claims) const
{
    const std::int64_t now = now_seconds();
    TokenPair pair;
    if (!config_.rotate_refresh_tokens) {
        // As simplejwt does, the new access token keeps the login's iat.
        pair.access = sign(TokenType::access, claims.user_id, claims.session_id, claims.issued_at,
                           now + config_.access_token_lifetime.count());
        return pair;
    }

    // Rotation: each refresh token works once. The first use is recorded (by digest) before the
    // new pair exists, so of two concurrent uses only one is "first".
    const std::string digest = sha256(claims.jti);
    const TimePoint at = clock_.now();
    // The session lives as long as the newest refresh token of its family.
    auto earlier = store_.record_refresh_use(digest, claims.session_id, at, at + config_.refresh_token_lifetime);
    if (!earlier) return std::move(earlier).error();
    if (*earlier) {
        if (at - **earlier > config_.refresh_reuse_interval) {
            // Used again long after: a copy was stolen and replayed. The whole family goes.
            (void)store_.end_session(claims.session_id, at);
            return fail(Errc::token_invalid, "refresh token reused: session ended");
        }
        // Two tabs refreshing at once: the second gets the first's pair when it is still known.
        std::lock_guard lock(rotated_mutex_);
        if (auto it = rotated_.find(digest); it != rotated_.end()) return it->second.first;
    }
    pair.access = sign(TokenType::access, claims.user_id, claims.session_id, now,
                       now + config_.access_token_lifetime.count());
    pair.refresh = sign(TokenType::refresh, claims.user_id, claims.session_id, now,
                        now + config_.refresh_token_lifetime.count());
    std::lock_guard lock(rotated_mutex_);
    std::erase_if(rotated_, [&](const auto& e) { return at - e.second.second > config_.refresh_reuse_interval; });
    rotated_.emplace(digest, std::pair{pair, at});
    return pair;
}

Result<void> Sessions::end_after_password_change(UserStore& store, UserId user, std::string_view keep, TimePoint at)
{
    if (auto ok = store.end_sessions_of(user, keep, at); !ok) return ok;
    // Both reset links die with the old password, as Djoser's do (its tokens hash the password).
    for (auto purpose : {TokenPurpose::password_reset, TokenPurpose::username_reset})
        if (auto ok = store.erase_tokens(user, purpose); !ok) return ok;
    return {};
}

}  // namespace usermgmt::detail
