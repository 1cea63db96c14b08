#pragma once
// A notifier for the request fuzzer: keeps the newest one-time code (uid and token) of each kind
// so that inputs can name it, and prints nothing (a console mailer would flood the run).

#include "usermgmt/notifier.hpp"
#include "usermgmt/uid.hpp"

#include <map>
#include <mutex>

namespace usermgmt::fuzz {

/// A code as a mail link carries it: the /auth style's uid and the token.
struct LastCode {
    std::string uid;
    std::string token;
};

class LastCodeNotifier final : public Notifier {
public:
    void notify(const Notification& n) override
    {
        std::lock_guard lock(mutex_);
        // Only the newest code of a kind is kept, so memory stays bounded however many arrive.
        if (!n.token.empty()) last_[n.kind] = LastCode{encode_uid(n.user.id), n.token};
    }

    /// The newest code of `kind`, or an empty one.
    [[nodiscard]] LastCode last(NotificationKind kind) const
    {
        std::lock_guard lock(mutex_);
        auto found = last_.find(kind);
        return found == last_.end() ? LastCode{} : found->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<NotificationKind, LastCode> last_;
};

}  // namespace usermgmt::fuzz
