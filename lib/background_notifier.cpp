// A notifier that delivers on its own thread, so that mail never sits on a request's path.
#include "usermgmt/notifier.hpp"

#include "crypto.hpp"

#include <condition_variable>
#include <deque>
#include <iostream>
#include <thread>

namespace usermgmt {
namespace {

class BackgroundNotifier final : public Notifier {
public:
    BackgroundNotifier(std::unique_ptr<Notifier> inner, std::size_t capacity)
        : inner_(std::move(inner)), capacity_(capacity), thread_([this] { run(); })
    {
    }

    ~BackgroundNotifier() override
    {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_one();
        thread_.join();
    }

    void notify(const Notification& n) override
    {
        {
            std::lock_guard lock(mutex_);
            if (queue_.size() >= capacity_) {
                std::cerr << "usermgmt: notification queue full, dropped a " << to_string(queue_.front().kind)
                          << " notification for user " << queue_.front().user.id << "\n";
                detail::wipe(queue_.front().token);
                queue_.pop_front();
            }
            queue_.push_back(n);
        }
        ready_.notify_one();
    }

private:
    void run()
    {
        while (true) {
            Notification next;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;  // stopping, and everything is delivered
                next = std::move(queue_.front());
                queue_.pop_front();
            }
            inner_->notify(next);
            // The raw token is a live credential: it leaves no copy in freed memory.
            detail::wipe(next.token);
        }
    }

    std::unique_ptr<Notifier> inner_;
    std::size_t capacity_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Notification> queue_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace

std::unique_ptr<Notifier> make_background_notifier(std::unique_ptr<Notifier> inner, std::size_t capacity)
{
    return std::make_unique<BackgroundNotifier>(std::move(inner), capacity == 0 ? 1 : capacity);
}

}  // namespace usermgmt
