#pragma once
// Password hashes written by other systems, which imported accounts keep until their first login
// (docs/migrating.md): Django's pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256 and bcrypt,
// and plain bcrypt ($2a$, $2b$, $2y$) as bcrypt.js and node's bcrypt write it. Each is read
// strictly and within a cost bound, so a planted hash can neither crash nor stall a hashing
// thread; the primitives are OpenSSL's PBKDF2, libxcrypt's bcrypt and libsodium's Argon2.

#include "usermgmt/config.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace usermgmt::detail {

/// What a stored hash of an imported account starts with. Only UserService::import_users writes
/// it (for any hash that reads as one of the formats below): registration, password changes and
/// resets store this library's Argon2id, and the login path reads a foreign format only behind
/// this mark.
inline constexpr std::string_view imported_hash_marker = "imported:";

/// The format name of a foreign hash ("pbkdf2_sha256", "django_argon2", "bcrypt", ...), or
/// nullopt when it is malformed, of another algorithm, or costs more than the bound.
std::optional<std::string_view> foreign_hash_format(std::string_view hash);

/// Whether `password` matches the foreign `hash` (unmarked); false for any hash that
/// foreign_hash_format refuses. Compares in constant time.
bool verify_foreign_hash(std::string_view hash, std::string_view password);

/// A stored hash with the marker taken off, when it has one.
std::optional<std::string_view> unmark_imported(std::string_view stored);

/// Whether `hash` is libsodium's Argon2id (one lane) with a cost this service would spend: up to
/// four times its own memory and passes, and at least 256 MiB and 10 passes. What an import
/// keeps unmarked.
bool native_argon2id(std::string_view hash, const Argon2Params& ours);

/// Whether `hash` is a well-formed Argon2id PHC string, whatever its cost: the only unmarked
/// hashes a login verifies (any cost, so that lowering the parameters locks nobody out: the
/// next login rehashes).
bool argon2id_string(std::string_view hash);

/// The format of a stored hash: "none" (empty: no usable password), "argon2id" (this library's),
/// the foreign format of an imported one, or nullopt when this library cannot read it.
std::optional<std::string_view> stored_hash_format(std::string_view stored, const Argon2Params& ours);

}  // namespace usermgmt::detail
