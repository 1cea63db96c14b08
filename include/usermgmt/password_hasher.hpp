#pragma once
/// @file password_hasher.hpp
/// The password hashing port and its Argon2id implementation.

#include "usermgmt/export.hpp"
#include "usermgmt/config.hpp"
#include "usermgmt/result.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace usermgmt {

/// Hashes and verifies passwords. Implementations are thread-safe.
class USERMGMT_EXPORT PasswordHasher {
public:
    virtual ~PasswordHasher() = default;
    /// A self-describing hash string; `crypto_failure` when hashing failed (out of memory).
    [[nodiscard]] virtual Result<std::string> hash(std::string_view password) const = 0;
    /// True when `password` matches `hash`; false for a wrong password or an unreadable hash.
    [[nodiscard]] virtual bool verify(std::string_view hash, std::string_view password) const = 0;
    /// True when `hash` was made with other parameters than the current ones.
    [[nodiscard]] virtual bool needs_rehash(std::string_view hash) const = 0;
};

/// Argon2id through libsodium's `crypto_pwhash_str_alg`. `bad_config` when the parameters
/// are outside libsodium's limits. `verify` takes Argon2id hashes of any cost (older parameters
/// still log in; `needs_rehash` says to replace them) and the foreign hashes of imported
/// accounts (`imported:…`, docs/migrating.md), for which `needs_rehash` is always true; nothing
/// else.
[[nodiscard]] USERMGMT_EXPORT Result<std::unique_ptr<PasswordHasher>> make_argon2id_hasher(Argon2Params params);

}  // namespace usermgmt
