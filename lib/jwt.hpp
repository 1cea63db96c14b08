#pragma once
// JSON Web Tokens, HS256 only, with the claims of djangorestframework-simplejwt plus `sid`.

#include "usermgmt/result.hpp"
#include "usermgmt/types.hpp"

#include <string>
#include <string_view>

namespace usermgmt::detail {

/// The compact serialisation of a token with `claims`, signed with HMAC-SHA256 under `secret`.
std::string sign_jwt(std::string_view secret, const TokenClaims& claims);

/// PyJWT's rule: a token is expired from the second its exp names (`now` in seconds since the epoch).
inline bool jwt_expired(const TokenClaims& claims, std::int64_t now)
{
    return now >= claims.expires_at;
}

/// Checks structure, algorithm (HS256 only: `none` and every other alg are refused), signature
/// (constant time) and expiry at `now` (seconds since the epoch); returns the claims.
/// Errors: `token_invalid` for everything but expiry, `token_expired`.
Result<TokenClaims> verify_jwt(std::string_view secret, std::string_view token, std::int64_t now);

}  // namespace usermgmt::detail
