#pragma once
// Tokens whose signature and form this service already checked, with their claims: a token
// presented again (every request of a client carries the same one) skips the base64, HMAC and
// JSON work. Only what verify_jwt accepted is kept, keyed by the whole token, so nothing can be
// put in that the secret did not sign; expiry is still checked at every use. Bounded (a full
// shard is emptied), sharded so that threads rarely meet on a lock.

#include "usermgmt/types.hpp"

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace usermgmt::detail {

class VerifiedTokens {
public:
    /// The claims of `token` when it was verified before.
    [[nodiscard]] std::optional<TokenClaims> find(std::string_view token) const;
    /// Remembers a token verify_jwt accepted.
    void put(std::string_view token, const TokenClaims& claims);

private:
    static constexpr std::size_t shard_count = 16;
    static constexpr std::size_t shard_capacity = 4096;
    // Looked up by string_view, without copying the token (a transparent hash).
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, TokenClaims, Hash, std::equal_to<>> claims;
    };
    Shard& shard_of(std::string_view token) const;

    mutable std::array<Shard, shard_count> shards_;
};

}  // namespace usermgmt::detail
