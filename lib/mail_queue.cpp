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
        if (!claimed) settings_.on_error("usermgmt: mail queue: cannot claim mail: " + claimed.error().message);
        if (claimed && !claimed->empty()) {
            for (const auto& mail : *claimed) deliver(mail);
            continue;  // there may be more
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, settings_.poll_interval, [this] { return stopping_ || woken_; });
    }
}

void MailQueue::deliver(const QueuedMail& mail)
{
    const auto now = clock_.now();
    if (mail.expires_at <= now) {
        report(mail, "dead", "its link expired before it could be sent");
        if (auto ok = store_.bury_mail(mail.id, "the link expired before the mail could be sent"); !ok)
            report(mail, "not recorded as dead", ok.error().message);
        return;
    }
    auto sent = settings_.transport->send(mail.message);
    if (sent) {
        // Should this fail, the lease runs out and the mail goes again: at least once.
        if (auto ok = store_.erase_mail(mail.id); !ok) report(mail, "sent but not removed", ok.error().message);
        return;
    }
    const std::string& reason = sent.error().message;
    const bool permanent = sent.error().code == Errc::invalid_argument;
    if (permanent || mail.attempts + 1 >= settings_.max_attempts) {
        const std::string why = permanent ? reason : reason + " (after " + std::to_string(mail.attempts + 1) + " attempts)";
        report(mail, "dead", why);
        if (auto ok = store_.bury_mail(mail.id, why); !ok) report(mail, "not recorded as dead", ok.error().message);
        return;
    }
    const auto wait = backoff(mail.attempts + 1);
    report(mail, "deferred " + std::to_string(wait.count()) + " ms", reason);
    if (auto ok = store_.defer_mail(mail.id, now + wait, reason); !ok)
        report(mail, "not recorded as deferred", ok.error().message);
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
