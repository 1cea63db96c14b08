#pragma once
// Issuing and checking sessions and their JWTs: a login's session and token pair, the checks of
// a presented token (signature, expiry, type, user, session), and refresh with rotation.

#include "verified_tokens.hpp"
#include "usermgmt/clock.hpp"
#include "usermgmt/config.hpp"
#include "usermgmt/user_store.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace usermgmt::detail {

class Sessions {
public:
    Sessions(const Config& config, UserStore& store, const Clock& clock) : config_(config), store_(store), clock_(clock) {}

    /// A new session of `user` and its two signed tokens; nothing is stored yet.
    std::pair<SessionRecord, TokenPair> start(UserId user, std::optional<std::chrono::seconds> access_lifetime_override) const;
    /// Signature, expiry, type, user (exists, active) and session (open) of a token.
    Result<std::pair<TokenClaims, StoredUser>> check(std::string_view token, std::optional<TokenType> expected) const;
    /// The new pair (or access token) for a checked refresh token: simplejwt's renewal, or with
    /// rotation a new pair once per refresh token, the same pair to a second use within
    /// `refresh_reuse_interval`, and the end of the session for a later replay.
    Result<TokenPair> renew(const TokenClaims& refresh) const;
    /// Ends the sessions and reset tokens a new password invalidates (all sessions but `keep`).
    static Result<void> end_after_password_change(UserStore& store, UserId user, std::string_view keep, TimePoint at);

private:
    std::string sign(TokenType type, UserId user, const std::string& session, std::int64_t issued_at,
                     std::int64_t expires_at) const;
    std::int64_t now_seconds() const;

    const Config& config_;
    UserStore& store_;
    const Clock& clock_;
    // With rotation: the pair each refresh token got, for `refresh_reuse_interval`, so that a
    // second use within it gets the same pair. Raw tokens, in memory only, briefly.
    mutable VerifiedTokens verified_;  // a cache: checking a token changes no answer
    mutable std::mutex rotated_mutex_;
    mutable std::unordered_map<std::string, std::pair<TokenPair, TimePoint>> rotated_;
};

}  // namespace usermgmt::detail
