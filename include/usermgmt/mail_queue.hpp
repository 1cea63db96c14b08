#pragma once
/// @file mail_queue.hpp
/// The durable mail queue: mails wait in the store, written in the transaction that creates the
/// token they carry, until a sender delivers them (at least once) or gives up on them.

#include "usermgmt/export.hpp"
#include "usermgmt/mail_message.hpp"
#include "usermgmt/mailer.hpp"
#include "usermgmt/notifier.hpp"
#include "usermgmt/types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace usermgmt {

using MailId = std::int64_t;

enum class MailState {
    queued,  ///< waiting to be sent (or being sent, while a sender's lease runs)
    dead,    ///< given up: a permanent refusal, too many attempts, or its token expired first
};

/// "queued" or "dead".
[[nodiscard]] USERMGMT_EXPORT std::string_view to_string(MailState state) noexcept;

/// One mail of the queue. While queued, `message` holds a live token: it is a secret, never
/// logged. It is wiped when the mail dies, and the row deleted when the mail is sent.
struct USERMGMT_EXPORT QueuedMail {
    MailId id = 0;
    MailState state = MailState::queued;
    NotificationKind kind = NotificationKind::activation;
    UserId user_id = 0;
    std::string origin;  ///< the notification's origin, for links when the mail is sent again
    MailMessage message;
    /// Failed attempts so far.
    int attempts = 0;
    TimePoint created_at{};
    /// Not sent before this time (the backoff after a temporary failure).
    TimePoint next_attempt_at{};
    /// When the token inside expires; a mail not sent by then dies unsent.
    TimePoint expires_at{};
    /// A sender holds the mail until then; nullopt when nobody does.
    std::optional<TimePoint> leased_until;
    /// Why the last attempt failed (the mail server's answer or the connection error).
    std::string last_error;
};

/// How many mails are in each state (for health checks and metrics).
struct USERMGMT_EXPORT MailQueueCounts {
    std::uint64_t queued = 0;   ///< waiting, including those being sent
    std::uint64_t sending = 0;  ///< of `queued`, held by a sender right now
    std::uint64_t dead = 0;
};

/// Mail through the queue (`Ports::mail`). Every notification becomes a message from
/// `MailComposer`'s templates and is queued in the store; the service's sender threads deliver
/// it through `transport`. Each process (node) that shares the store may run senders: a lease
/// keeps two of them from sending one mail at once.
struct USERMGMT_EXPORT MailQueueSettings {
    /// How notifications become messages (the shipped templates unless told otherwise).
    MailComposer composer;
    /// Where mails go (SMTP, or the console and `.eml` transports in development). Required.
    std::unique_ptr<MailTransport> transport;
    /// Sender threads in this process; 0: this process only queues (another one sends).
    std::size_t senders = 1;
    /// Attempts before a mail dies (a permanent refusal kills it at once).
    int max_attempts = 10;
    /// The wait after the first temporary failure; it doubles with each further one...
    std::chrono::milliseconds first_retry{std::chrono::seconds(30)};
    /// ...up to this.
    std::chrono::milliseconds max_retry{std::chrono::hours(1)};
    /// How long a sender holds a claimed mail: a sender that dies mid-send frees it then. Longer
    /// than the transport's timeouts, or a slow send could be claimed and sent twice.
    std::chrono::milliseconds lease{std::chrono::minutes(5)};
    /// How often an idle sender looks for mail queued by other processes or due for a retry
    /// (mail queued by this process wakes it at once).
    std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
    /// Mails a sender claims at once (and holds, should the process die before sending them).
    std::size_t batch = 1;
    /// One line per failed attempt and per dead mail: kind, id and user id, and the reason, never
    /// the message. Default: stderr.
    std::function<void(const std::string& line)> on_error;
};

}  // namespace usermgmt
