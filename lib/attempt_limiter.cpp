#include "attempt_limiter.hpp"

#include "crypto.hpp"

#include <string>

namespace usermgmt::detail {

Result<void> AttemptLimiter::count(std::string_view name, std::string_view subject, const RateLimit& limit,
                                   TimePoint now) const
{
    if (!config_.enabled || subject.empty() || limit.requests == 0) return {};
    // Accounts compare case-insensitively, as the store finds them; clients are addresses.
    std::string keyed(name);
    keyed += '\0';
    for (char c : subject) keyed += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    const std::string key = std::string(name) + "|" + to_hex(sha256(keyed).substr(0, 16));
    auto wait = store_->hit(key, limit, now);
    if (!wait) return std::move(wait).error();
    if (*wait == 0) return {};
    Error e = fail(Errc::rate_limited, "too many " + std::string(name) + " attempts");
    e.retry_after_seconds = *wait;
    return e;
}

}  // namespace usermgmt::detail
