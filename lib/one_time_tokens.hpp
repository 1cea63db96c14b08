#pragma once
// One-time tokens (activation, password reset, username reset): making them, handing them to the
// notifier, and resolving a received code to its token and user. Only digests are stored.

#include "usermgmt/clock.hpp"
#include "usermgmt/config.hpp"
#include "usermgmt/notifier.hpp"
#include "usermgmt/user_store.hpp"

#include "mail_queue.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

namespace usermgmt::detail {

class OneTimeTokens {
public:
    /// Notifications go to `queue` when there is one (mail through the store), else to `notifier`.
    OneTimeTokens(UserStore& store, Notifier& notifier, const MailQueue* queue, const Clock& clock)
        : store_(store), notifier_(notifier), queue_(queue), clock_(clock)
    {
    }

    /// A new token: the record to store and the raw token to send.
    std::pair<TokenRecord, std::string> make(UserId user, TokenPurpose purpose, std::chrono::seconds lifetime) const;
    /// Inside the transaction on `tx` that stores the token: queues its mail, when mail goes
    /// through the queue (so both are committed or neither).
    Result<void> queue(UserStore& tx, NotificationKind kind, const User& user, const std::string& raw,
                       TimePoint expires_at, std::string_view origin = {}) const;
    /// After the commit: hands the token to the notifier (or wakes the mail senders when it was
    /// queued), then wipes it.
    void deliver(NotificationKind kind, const User& user, std::string& raw, TimePoint expires_at,
                 std::string_view origin = {}) const;
    /// Stores a new token for `user` and sends its notification.
    Result<void> send(const User& user, TokenPurpose purpose, NotificationKind kind, std::chrono::seconds lifetime,
                      std::string_view origin = {}) const;
    /// The requests by email (resend activation, reset password, reset username): checks the
    /// address, then mails a token when an account with it is active (or inactive and not
    /// disabled, for activation). Unknown addresses and the other states succeed alike: the
    /// answer reveals nothing.
    Result<void> send_by_email(std::string_view email, bool want_active, TokenPurpose purpose, NotificationKind kind,
                               std::chrono::seconds lifetime, std::string_view origin = {}) const;
    /// Resolves a received code to its token and user. `allow_used` lets activation tell a
    /// reused link (stale) from a forged one. Errors on the `user` / `token` fields.
    Result<std::pair<TokenRecord, StoredUser>> resolve(const OneTimeCode& code, TokenPurpose purpose,
                                                       bool allow_used) const;
    /// A notification without a token (confirmations).
    void notify(NotificationKind kind, const User& user) const;
    /// Adds `blank` for a blank named user (when the style sends one) and an empty token.
    static void check_blanks(const OneTimeCode& code, FieldErrors& errors);

    /// Stores a new token for `user` and queues its mail in one transaction on `tx` (a dead
    /// mail sent again); the new mail's id. Only with a queue.
    Result<MailId> requeue(UserStore& tx, const User& user, TokenPurpose purpose, NotificationKind kind,
                           std::chrono::seconds lifetime, std::string_view origin) const;

private:
    UserStore& store_;
    Notifier& notifier_;
    const MailQueue* queue_;
    const Clock& clock_;
};

}  // namespace usermgmt::detail
