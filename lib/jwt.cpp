#include "jwt.hpp"

#include "crypto.hpp"
#include "flat_json.hpp"

namespace usermgmt::detail {
namespace {

// The header PyJWT writes for HS256 (keys sorted), so our tokens look like simplejwt's.
constexpr std::string_view header_json = R"({"alg":"HS256","typ":"JWT"})";

Error invalid(std::string message)
{
    return fail(Errc::token_invalid, std::move(message));
}

template <class T>
const T* member(const FlatJsonObject& object, std::string_view key)
{
    auto it = object.find(key);
    return it == object.end() ? nullptr : std::get_if<T>(&it->second);
}

}  // namespace

std::string sign_jwt(std::string_view secret, const TokenClaims& claims)
{
    std::string payload = "{\"token_type\":";
    payload += claims.type == TokenType::access ? "\"access\"" : "\"refresh\"";
    payload += ",\"exp\":" + std::to_string(claims.expires_at);
    payload += ",\"iat\":" + std::to_string(claims.issued_at);
    payload += ",\"jti\":" + json_quote(claims.jti);
    payload += ",\"user_id\":" + std::to_string(claims.user_id);
    payload += ",\"sid\":" + json_quote(claims.session_id) + "}";

    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on a chain of operator+ here.
    std::string token = base64url_encode(header_json);
    token += '.';
    token += base64url_encode(payload);
    const std::string signature = base64url_encode(hmac_sha256(secret, token));
    token += '.';
    token += signature;
    return token;
}

Result<TokenClaims> verify_jwt(std::string_view secret, std::string_view token, std::int64_t now)
{
    // Bound the work an attacker can ask for before anything is decoded.
    if (token.empty() || token.size() > 4096) return invalid("token length");
    const auto first_dot = token.find('.');
    const auto second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos)
        return invalid("token must have three parts");

    const std::string_view signing_input = token.substr(0, second_dot);
    std::string signature;
    if (!base64url_decode(token.substr(second_dot + 1), signature)) return invalid("signature encoding");
    // The signature is checked before anything else is trusted; an `alg: none` token has an
    // empty signature and fails here as well as below.
    if (!equal_constant_time(signature, hmac_sha256(secret, signing_input))) return invalid("bad signature");

    std::string header_text;
    std::string payload_text;
    if (!base64url_decode(token.substr(0, first_dot), header_text) ||
        !base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1), payload_text))
        return invalid("part encoding");
    const auto header = parse_flat_json_object(header_text);
    if (!header) return invalid("header is not a JSON object");
    const auto* alg = member<std::string>(*header, "alg");
    if (!alg || *alg != "HS256") return invalid("algorithm must be HS256");
    if (header->contains("typ")) {
        const auto* typ = member<std::string>(*header, "typ");
        if (!typ || *typ != "JWT") return invalid("typ must be JWT");
    }
    if (header->contains("crit")) return invalid("critical header parameters are not supported");

    const auto payload = parse_flat_json_object(payload_text);
    if (!payload) return invalid("payload is not a flat JSON object");
    const auto* type = member<std::string>(*payload, "token_type");
    const auto* exp = member<std::int64_t>(*payload, "exp");
    const auto* iat = member<std::int64_t>(*payload, "iat");
    const auto* jti = member<std::string>(*payload, "jti");
    const auto* user_id = member<std::int64_t>(*payload, "user_id");
    const auto* sid = member<std::string>(*payload, "sid");
    if (!type || !exp || !iat || !jti || !user_id || !sid) return invalid("missing or mistyped claim");

    TokenClaims claims;
    if (*type == "access") claims.type = TokenType::access;
    else if (*type == "refresh") claims.type = TokenType::refresh;
    else return invalid("unknown token_type");
    claims.expires_at = *exp;
    claims.issued_at = *iat;
    claims.jti = *jti;
    claims.user_id = *user_id;
    claims.session_id = *sid;
    if (jwt_expired(claims, now)) return fail(Errc::token_expired, "token expired");
    return claims;
}

}  // namespace usermgmt::detail
