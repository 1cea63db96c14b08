#include "usermgmt/password_hasher.hpp"

#include "crypto.hpp"

#include <sodium.h>

#include <string>

namespace usermgmt {
namespace {

class Argon2idHasher final : public PasswordHasher {
public:
    explicit Argon2idHasher(Argon2Params params) : params_(params) {}

    Result<std::string> hash(std::string_view password) const override
    {
        char out[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str_alg(out, password.data(), password.size(), params_.ops_limit,
                                  params_.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0)
            return fail(Errc::crypto_failure, "argon2id hashing failed (out of memory?)");
        return std::string(out);
    }

    bool verify(std::string_view hash, std::string_view password) const override
    {
        // crypto_pwhash_str_verify reads a NUL-terminated string of bounded length.
        if (hash.size() >= crypto_pwhash_STRBYTES) return false;
        const std::string stored(hash);
        return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
    }

    bool needs_rehash(std::string_view hash) const override
    {
        if (hash.size() >= crypto_pwhash_STRBYTES) return true;
        const std::string stored(hash);
        // 1: other parameters; -1: not an Argon2id string at all. Both mean "hash again".
        return crypto_pwhash_str_needs_rehash(stored.c_str(), params_.ops_limit, params_.mem_limit_bytes) != 0;
    }

private:
    Argon2Params params_;
};

}  // namespace

Result<std::unique_ptr<PasswordHasher>> make_argon2id_hasher(Argon2Params params)
{
    if (!detail::sodium_ready()) return fail(Errc::crypto_failure, "libsodium could not be initialised");
    if (params.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN || params.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX)
        return fail(Errc::bad_config, "argon2 ops_limit out of range");
    if (params.mem_limit_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
        params.mem_limit_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX)
        return fail(Errc::bad_config, "argon2 mem_limit_bytes out of range");
    return std::unique_ptr<PasswordHasher>(std::make_unique<Argon2idHasher>(params));
}

}  // namespace usermgmt
