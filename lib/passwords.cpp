#include "passwords.hpp"

#include "crypto.hpp"
#include "validation.hpp"

namespace usermgmt::detail {

bool Passwords::verify(const StoredUser* user, std::string_view password) const
{
    // No password is longer than the policy allows: an oversized one is not hashed whole, but
    // it still costs one hash, as a wrong one does.
    if (password.size() > max_password_bytes(config_.password_policy.max_length)) {
        user = nullptr;
        password = "x";
    }
    if (user && !user->password_hash.empty()) return hasher_.verify(user->password_hash, password);
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
