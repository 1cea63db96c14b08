#include "usermgmt/periodic_purge.hpp"

#include <iostream>

namespace usermgmt {

PeriodicPurge::PeriodicPurge(const UserService& service, std::chrono::seconds interval,
                             std::function<void(const Error&)> on_error)
    : service_(service),
      interval_(interval.count() > 0 ? interval : std::chrono::seconds(1)),
      on_error_(on_error ? std::move(on_error)
                         : [](const Error& e) { std::cerr << "usermgmt: purge failed: " << e.message << "\n"; }),
      thread_([this] { run(); })
{
}

PeriodicPurge::~PeriodicPurge()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void PeriodicPurge::run()
{
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        if (auto purged = service_.purge_expired(); !purged) on_error_(purged.error());
        lock.lock();
        wake_.wait_for(lock, interval_, [this] { return stopping_; });
    }
}

}  // namespace usermgmt
