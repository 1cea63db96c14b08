#pragma once
// Counting attempts against the throttle limits: one place that builds the keys and the
// `rate_limited` error, for the route-called `UserService::throttle` and for the use cases that
// count by themselves (a login per resolved account; password checks per user).

#include "usermgmt/config.hpp"
#include "usermgmt/result.hpp"
#include "usermgmt/throttle_store.hpp"

#include <memory>
#include <string_view>

namespace usermgmt::detail {

class AttemptLimiter {
public:
    AttemptLimiter(ThrottleConfig config, std::unique_ptr<ThrottleStore> store)
        : config_(std::move(config)), store_(std::move(store))
    {
    }

    const ThrottleConfig& config() const noexcept { return config_; }
    ThrottleStore& store() const noexcept { return *store_; }

    /// Counts one attempt of kind `name` by `subject` (a client address, an account id or an
    /// identifier as typed) against `limit`. The key is a digest of the name and the subject
    /// lowercased, so its size is fixed whatever a client sends. `rate_limited` with
    /// `retry_after_seconds` when the limit is reached; a store failure is an error too (never
    /// an uncounted attempt). Always allowed when throttling is off or `subject` is empty.
    [[nodiscard]] Result<void> count(std::string_view name, std::string_view subject, const RateLimit& limit,
                                     TimePoint now) const;

private:
    ThrottleConfig config_;
    std::unique_ptr<ThrottleStore> store_;
};

}  // namespace usermgmt::detail
