#pragma once
// The mail queue's two halves in this process: writing a notification's message into the store
// (in the caller's transaction), and the sender threads that deliver queued mail through the
// transport with retries, backoff and leases (include/usermgmt/mail_queue.hpp says the rules).

#include "usermgmt/clock.hpp"
#include "usermgmt/mail_queue.hpp"
#include "usermgmt/user_store.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace usermgmt::detail {

class MailQueue {
public:
    /// Starts `settings.senders` threads that send through `store` (which must outlive this).
    MailQueue(MailQueueSettings settings, UserStore& store, const Clock& clock);
    /// Stops the senders: a send in progress is cut short (`MailTransport::cancel`) and the
    /// mail deferred; mails claimed but not tried wait for their lease to end.
    ~MailQueue();
    MailQueue(const MailQueue&) = delete;
    MailQueue& operator=(const MailQueue&) = delete;

    /// Writes the message of `n` into the queue through `tx` (the transaction that also writes
    /// the token it carries, if any).
    Result<MailId> put(UserStore& tx, const Notification& n) const;
    /// After a commit that queued mail: the senders look at once.
    void wake() const;

    /// One line to the error sink (a mail that could not be queued).
    void report_line(const std::string& line) const { settings_.on_error(line); }

private:
    void run();
    bool stopping() const;
    // Sends one claimed mail and records the outcome; the second catches what the first throws.
    void deliver(const QueuedMail& mail);
    void deliver_safely(const QueuedMail& mail);
    void settle(const QueuedMail& mail, const Result<void>& recorded, std::string_view as) const;
    std::chrono::milliseconds backoff(int failed_attempts) const;
    void report(const QueuedMail& mail, std::string_view what, std::string_view reason) const;

    MailQueueSettings settings_;
    UserStore& store_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    mutable std::condition_variable wake_;
    mutable bool woken_ = false;
    bool stopping_ = false;
    // When a sender last reported that it could not claim (per process: one line a minute).
    std::atomic<TimePoint> last_claim_error_{TimePoint{}};
    std::vector<std::thread> senders_;
};

}  // namespace usermgmt::detail
