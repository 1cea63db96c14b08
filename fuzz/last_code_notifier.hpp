#pragma once
// A notifier for the request fuzzer: keeps the newest one-time code (uid and token) of each kind
// so that inputs can name it, and prints nothing (a console mailer would flood the run).

#include "usermgmt/notifier.hpp"

#include <map>
#include <mutex>

namespace usermgmt::fuzz {

class LastCodeNotifier final : public Notifier {
public:
    void notify(const Notification& n) override
    {
        std::lock_guard lock(mutex_);
        // Only the newest code of a kind is kept, so memory stays bounded however many arrive.
        if (!n.token.empty()) last_[n.kind] = OneTimeCode{n.uid, n.token};
    }

    /// The newest code of `kind`, or an empty one.
    [[nodiscard]] OneTimeCode last(NotificationKind kind) const
    {
        std::lock_guard lock(mutex_);
        auto found = last_.find(kind);
        return found == last_.end() ? OneTimeCode{} : found->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<NotificationKind, OneTimeCode> last_;
};

}  // namespace usermgmt::fuzz
