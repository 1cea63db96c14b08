#include "mail_queue.hpp"

#include "crypto.hpp"

#include <algorithm>
#include <iostream>

namespace usermgmt {

std::string_view to_string(MailState state) noexcept
{
    return state == MailState::queued ? "queued" : "dead";
}

namespace detail {
namespace {

// A confirmation (no token inside) is still worth sending for this long.
constexpr auto confirmation_lifetime = std::chrono::hours(24 * 7);

}  // namespace

MailQueue::MailQueue(MailQueueSettings settings, UserStore& store, const Clock& clock)
    : settings_(std::move(settings)), store_(store), clock_(clock)
{
    if (!settings_.on_error) settings_.on_error = [](const std::string& line) { std::cerr << line << '\n'; };
    if (settings_.batch == 0) settings_.batch = 1;
    if (settings_.max_attempts < 1) settings_.max_attempts = 1;
    for (std::size_t i = 0; i < settings_.senders; ++i) senders_.emplace_back([this] { run(); });
}

MailQueue::~MailQueue()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    settings_.transport->cancel();  // a hung mail server does not hold the shutdown
    for (auto& t : senders_) t.join();
}

Result<MailId> MailQueue::put(UserStore& tx, const Notification& n) const
{
    QueuedMail mail;
    mail.kind = n.kind;
    mail.user_id = n.user.id;
    mail.origin = n.origin;
    mail.message = settings_.composer.compose(n);
    mail.created_at = mail.next_attempt_at = clock_.now();
    mail.expires_at = n.token.empty() ? mail.created_at + confirmation_lifetime : n.expires_at;
    auto id = tx.put_mail(mail);
    wipe(mail.message.body);
    wipe(mail.message.html);
    return id;
}

void MailQueue::wake() const
{
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    wake_.notify_one();
}

bool MailQueue::stopping() const
{
    std::lock_guard lock(mutex_);
    return stopping_;
}

void MailQueue::run()
{
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            woken_ = false;
        }
        const auto now = clock_.now();
        auto claimed = store_.claim_mail(now, now + settings_.lease, settings_.batch);
        if (!claimed) {
            // While the database is away, one line a minute per sender, not one per poll.
            if (now - last_claim_error_.load() >= std::chrono::minutes(1)) {
                last_claim_error_ = now;
                settings_.on_error("usermgmt: mail queue: cannot claim mail: " + claimed.error().message);
            }
        } else if (!claimed->empty()) {
            for (auto& mail : *claimed) {
                // Once stopping, the rest of the batch is not tried: its leases run out.
                if (!stopping()) deliver_safely(mail);
                wipe(mail.message.body);
                wipe(mail.message.html);
            }
            continue;  // there may be more
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, settings_.poll_interval, [this] { return stopping_ || woken_; });
    }
}

void MailQueue::deliver_safely(const QueuedMail& mail)
{
    // A sender thread never ends the process: whatever a transport or sink throws is a failed
    // attempt (the lease then runs out and the mail goes again).
    try {
        deliver(mail);
    } catch (const std::exception& e) {
        try {
            report(mail, "not sent", std::string("an exception: ") + e.what());
        } catch (...) {
        }
    } catch (...) {
    }
}

void MailQueue::deliver(const QueuedMail& mail)
{
    const auto now = clock_.now();
    const auto held = mail.leased_until;
    if (mail.expires_at <= now) {
        report(mail, "dead", "its link expired before it could be sent");
        settle(mail, store_.bury_mail(mail.id, held, "the link expired before the mail could be sent"), "dead");
        return;
    }
    auto sent = settings_.transport->send(mail.message);
    if (sent) {
        // Should this fail, the lease runs out and the mail goes again: at least once.
        settle(mail, store_.erase_mail(mail.id, held), "removed once sent");
        return;
    }
    const std::string& reason = sent.error().message;
    if (stopping()) {
        // Cut short by the shutdown (or failed meanwhile): due again at once, never buried.
        report(mail, "interrupted by the shutdown", reason);
        settle(mail, store_.defer_mail(mail.id, *held, now, "interrupted by a shutdown: " + reason), "deferred");
        return;
    }
    const bool permanent = sent.error().code == Errc::invalid_argument;
    if (permanent || mail.attempts + 1 >= settings_.max_attempts) {
        const std::string why = permanent ? reason : reason + " (after " + std::to_string(mail.attempts + 1) + " attempts)";
        report(mail, "dead", why);
        settle(mail, store_.bury_mail(mail.id, held, why), "dead");
        return;
    }
    const auto wait = backoff(mail.attempts + 1);
    report(mail, "deferred " + std::to_string(wait.count()) + " ms", reason);
    settle(mail, store_.defer_mail(mail.id, *held, now + wait, reason), "deferred");
}

// What became of recording an outcome: a lost lease (another sender has the mail now, it
// decides) or a store failure (the lease runs out and the mail is tried again).
void MailQueue::settle(const QueuedMail& mail, const Result<void>& recorded, std::string_view as) const
{
    if (recorded) return;
    if (recorded.error().code == Errc::not_found)
        report(mail, "not recorded as " + std::string(as), "its lease ran out and another sender holds it");
    else
        report(mail, "not recorded as " + std::string(as), recorded.error().message);
}

std::chrono::milliseconds MailQueue::backoff(int failed_attempts) const
{
    auto wait = settings_.first_retry;
    for (int i = 1; i < failed_attempts && wait < settings_.max_retry; ++i) wait *= 2;
    return std::min(wait, settings_.max_retry);
}

// One line: the mail's id, kind and user, never its address, message or link.
void MailQueue::report(const QueuedMail& mail, std::string_view what, std::string_view reason) const
{
    settings_.on_error("usermgmt: mail " + std::to_string(mail.id) + " (" + std::string(to_string(mail.kind)) +
                       " to user " + std::to_string(mail.user_id) + ") " + std::string(what) + ": " +
                       std::string(reason));
}

}  // namespace detail
}  // namespace usermgmt
