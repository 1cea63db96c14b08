#pragma once
/// @file clock.hpp
/// The clock port, so that expiry can be tested without sleeping.

#include "usermgmt/export.hpp"
#include "usermgmt/types.hpp"

#include <atomic>
#include <chrono>

namespace usermgmt {

/// Tells the time. Implementations must be thread-safe.
class USERMGMT_EXPORT Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
};

/// The system's wall clock.
class USERMGMT_EXPORT SystemClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return std::chrono::system_clock::now(); }
};

/// A clock that moves only when told to; thread-safe.
class USERMGMT_EXPORT ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start = std::chrono::system_clock::now())
        : micros_(std::chrono::duration_cast<std::chrono::microseconds>(start.time_since_epoch()).count())
    {
    }
    [[nodiscard]] TimePoint now() const override
    {
        return TimePoint(std::chrono::microseconds(micros_.load()));
    }
    void advance(std::chrono::microseconds by) { micros_ += by.count(); }

private:
    std::atomic<std::int64_t> micros_;
};

}  // namespace usermgmt
