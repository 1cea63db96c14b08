#pragma once
/// @file user_import.hpp
/// Bringing accounts in from another system or a backup, passwords and all (docs/migrating.md):
/// the input and report of `UserService::import_users`.

#include "usermgmt/export.hpp"
#include "usermgmt/types.hpp"

#include <string>
#include <vector>

namespace usermgmt {

/// One account to bring in.
struct USERMGMT_EXPORT ImportedUser {
    /// As the other system had it. `id` 0: the store chooses one, and a user already here is
    /// recognised by email; any other id is kept (it must be free, or this same user's).
    /// An empty `username` is derived from the email, as for registrations without one.
    User user;
    /// This library's Argon2id hash; or one it verifies for imported accounts until their first
    /// login, when it is replaced by Argon2id: Django's `pbkdf2_sha256`, `pbkdf2_sha1`,
    /// `argon2`, `bcrypt_sha256` and `bcrypt`, plain bcrypt (`$2a$`, `$2b$`, `$2y$`) and
    /// Argon2 PHC strings; or empty (or Django's unusable `!…`): no password until a reset.
    std::string password_hash;
};

struct USERMGMT_EXPORT ImportOptions {
    /// Check and report only: nothing is written.
    bool dry_run = false;
    /// Overwrite users already here with the imported fields and hash (their sessions end when
    /// the hash differs); otherwise they are left alone and reported as present.
    bool update = false;
};

enum class ImportOutcome {
    imported,  ///< a new account
    updated,   ///< present, and overwritten (`ImportOptions::update`)
    present,   ///< the same account is already here (same id, or same email when id 0)
    conflict,  ///< its id, username or email belongs to another account here or earlier in the batch
    rejected,  ///< unusable: a field or the password hash (see `detail`)
};

/// What became of one `ImportedUser`, in the order given.
struct USERMGMT_EXPORT ImportResult {
    ImportOutcome outcome = ImportOutcome::rejected;
    /// The account's id here (in a dry run: the id it keeps, or 0 when the store would choose
    /// one); 0 for conflicts and rejections.
    UserId id = 0;
    /// The password hash's format: "argon2id" (this library's), "pbkdf2_sha256", "pbkdf2_sha1",
    /// "django_argon2", "django_bcrypt_sha256", "django_bcrypt", "bcrypt", "argon2", "none"
    /// (no usable password), or "unsupported".
    std::string hash_format;
    /// Why, for conflicts and rejections.
    std::string detail;
};

}  // namespace usermgmt
