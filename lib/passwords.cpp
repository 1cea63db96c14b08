#include "passwords.hpp"

#include "crypto.hpp"
#include "foreign_hashes.hpp"
#include "validation.hpp"

#include <iostream>

namespace usermgmt::detail {

bool Passwords::verify(const StoredUser* user, std::string_view password) const
{
    // No password is longer than the policy allows: an oversized one is not hashed whole, but
    // it still costs one hash, as a wrong one does.
    if (password.size() > max_password_bytes(config_.password_policy.max_length)) {
        user = nullptr;
        password = "x";
    }
    if (user && !user->password_hash.empty()) {
        const auto foreign = unmark_imported(user->password_hash);
        if (!foreign || foreign_hash_format(*foreign)) return hasher_.verify(user->password_hash, password);
        // An imported hash that does not read as its format (the row was edited by hand): said to
        // whoever runs the service, and refused after the dummy hash, as an unknown account is.
        std::cerr << "usermgmt: user " << user->user.id
                  << " has an imported password hash this library cannot read; login refused (set a new password)\n";
    }
    std::call_once(dummy_once_, [&] {
        auto hashed = hasher_.hash(to_hex(random_bytes(16)));
        if (hashed) dummy_hash_ = std::move(*hashed);
    });
    (void)hasher_.verify(dummy_hash_, password);
    return false;
}

Result<void> Passwords::count_check(const Principal& who) const
{
    if (who.is_operator) return {};
    const ThrottleConfig& t = limiter_.config();
    const TimePoint now = clock_.now();
    if (auto ok = limiter_.count("password|client", who.client, t.password_check_per_client, now); !ok) return ok;
    return limiter_.count("password|user", account_subject(who.user_id), t.password_check_per_user, now);
}

}  // namespace usermgmt::detail
