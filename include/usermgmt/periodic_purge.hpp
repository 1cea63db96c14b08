#pragma once
/// @file periodic_purge.hpp
/// Housekeeping on a schedule: expired sessions, used and expired one-time tokens, refresh-use
/// records, ended throttle windows and accounts never activated do not pile up.

#include "usermgmt/export.hpp"
#include "usermgmt/error.hpp"
#include "usermgmt/user_service.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace usermgmt {

/// Calls `UserService::purge_expired` once at construction and then every `interval`, on a
/// thread of its own, until destroyed (the destructor stops it at once, waiting only for a
/// purge in progress). An application embedding the library keeps one alive beside its
/// service, or calls `purge_expired` from its own scheduler; the example server runs one
/// (`--purge-interval`, hourly by default). A failed purge is reported to `on_error` (by default
/// one line on standard error, without secrets) and retried at the next tick.
///
/// The service must outlive this object.
class USERMGMT_EXPORT PeriodicPurge {
public:
    PeriodicPurge(const UserService& service, std::chrono::seconds interval,
                  std::function<void(const Error&)> on_error = {});
    ~PeriodicPurge();
    PeriodicPurge(const PeriodicPurge&) = delete;
    PeriodicPurge& operator=(const PeriodicPurge&) = delete;

private:
    void run();

    const UserService& service_;
    std::chrono::seconds interval_;
    std::function<void(const Error&)> on_error_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace usermgmt
