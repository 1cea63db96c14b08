#pragma once
/// @file notifier.hpp
/// The notification port: how the core hands activation and reset tokens to the outside.

#include "usermgmt/export.hpp"
#include "usermgmt/types.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace usermgmt {

enum class NotificationKind {
    activation,             ///< carries a token
    password_reset,         ///< carries a token
    username_reset,         ///< carries a token
    activation_confirmed,   ///< no token
    password_changed,       ///< no token
};

/// The name of a kind: "activation", "password_reset", ...
[[nodiscard]] USERMGMT_EXPORT std::string_view to_string(NotificationKind kind) noexcept;

/// One message to deliver. `token` is the raw one-time token: treat it as a secret.
struct USERMGMT_EXPORT Notification {
    NotificationKind kind = NotificationKind::activation;
    User user;
    std::string token;
    TimePoint expires_at{};
    /// Who asked, when a caller said so (a route style: "users"), so that a mailer can build
    /// links for that caller's frontend. Empty by default.
    std::string origin;
};

/// Delivers notifications. Called from the request's thread; implementations must be
/// thread-safe and must not throw. Delivery failures are the notifier's to report (log,
/// retry): the service's answer never depends on them, so it reveals nothing.
class USERMGMT_EXPORT Notifier {
public:
    virtual ~Notifier() = default;
    virtual void notify(const Notification& notification) = 0;
};

/// Drops every notification.
class USERMGMT_EXPORT NullNotifier final : public Notifier {
public:
    void notify(const Notification&) override {}
};

/// Keeps every notification in memory, for tests and tools. Thread-safe.
class USERMGMT_EXPORT RecordingNotifier final : public Notifier {
public:
    void notify(const Notification& n) override
    {
        std::lock_guard lock(mutex_);
        sent_.push_back(n);
    }
    [[nodiscard]] std::vector<Notification> sent() const
    {
        std::lock_guard lock(mutex_);
        return sent_;
    }
    /// The newest notification of `kind` for `email`, if any.
    [[nodiscard]] std::optional<Notification> last(NotificationKind kind, std::string_view email) const
    {
        std::lock_guard lock(mutex_);
        for (auto it = sent_.rbegin(); it != sent_.rend(); ++it)
            if (it->kind == kind && it->user.email == email) return *it;
        return std::nullopt;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Notification> sent_;
};

/// Wraps a notifier so that `notify` only queues: one background thread delivers, in order. A
/// request then takes the same time whether a mail is sent or not, and a slow mail server never
/// holds it. At most `capacity` notifications wait (beyond, the oldest waiting is dropped and
/// reported on stderr without its token). The destructor delivers what is queued, then returns.
[[nodiscard]] USERMGMT_EXPORT std::unique_ptr<Notifier> make_background_notifier(std::unique_ptr<Notifier> inner,
                                                                 std::size_t capacity = 10000);

}  // namespace usermgmt
