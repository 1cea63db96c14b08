#pragma once
// A real Argon2id hasher (the cheapest valid parameters) whose password checks a test can step
// into: to change an account while its password is being checked, or to hold a check at a gate
// until the test has seen it waiting.

#include "usermgmt/password_hasher.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace usermgmt::test {

class SteppedHasher : public PasswordHasher {
public:
    SteppedHasher() : real_(std::move(*make_argon2id_hasher(Argon2Params::cheapest_for_tests()))) {}

    Result<std::string> hash(std::string_view password) const override { return real_->hash(password); }
    bool needs_rehash(std::string_view hash) const override { return real_->needs_rehash(hash); }
    bool verify(std::string_view hash, std::string_view password) const final
    {
        before_verify();
        const bool ok = real_->verify(hash, password);
        after_verify();
        return ok;
    }

protected:
    /// Runs on the hashing caller's thread before the real check, and after it.
    virtual void before_verify() const {}
    virtual void after_verify() const {}

private:
    std::unique_ptr<PasswordHasher> real_;
};

}  // namespace usermgmt::test
