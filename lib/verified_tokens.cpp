#include "verified_tokens.hpp"

#include <functional>

namespace usermgmt::detail {

VerifiedTokens::Shard& VerifiedTokens::shard_of(std::string_view token) const
{
    return shards_[std::hash<std::string_view>{}(token) % shard_count];
}

std::optional<TokenClaims> VerifiedTokens::find(std::string_view token) const
{
    Shard& shard = shard_of(token);
    std::lock_guard lock(shard.mutex);
    const auto found = shard.claims.find(token);
    if (found == shard.claims.end()) return std::nullopt;
    return found->second;
}

void VerifiedTokens::put(std::string_view token, const TokenClaims& claims)
{
    Shard& shard = shard_of(token);
    std::lock_guard lock(shard.mutex);
    if (shard.claims.size() >= shard_capacity) shard.claims.clear();  // bounded; hot tokens come back at once
    shard.claims.emplace(std::string(token), claims);
}

}  // namespace usermgmt::detail
