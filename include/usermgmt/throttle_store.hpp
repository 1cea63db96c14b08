#pragma once
/// @file throttle_store.hpp
/// The throttling port: where `UserService::throttle` counts attempts. The default keeps the
/// counts in this process; a store shared by every node (the SQLite one below for processes on
/// one host, or your own over Redis or a database) makes the limits hold across all of them.

#include "usermgmt/export.hpp"
#include "usermgmt/config.hpp"
#include "usermgmt/result.hpp"
#include "usermgmt/types.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string_view>

namespace usermgmt {

/// Fixed-window attempt counters by key. Thread-safe.
class USERMGMT_EXPORT ThrottleStore {
public:
    virtual ~ThrottleStore() = default;
    /// Counts one attempt on `key` at `now`, unless `limit.requests` attempts were already
    /// counted in the key's current window (which starts at the first attempt after the
    /// previous one ended and lasts `limit.per`). Returns 0 when the attempt was counted, or
    /// the whole seconds (at least 1) until the current window ends when it was refused; a
    /// refused attempt is not counted. Must be atomic: two nodes counting the last allowed
    /// attempt at once must not both be allowed. `limit.requests == 0` means no limit.
    [[nodiscard]] virtual Result<long long> hit(std::string_view key, const RateLimit& limit, TimePoint now) = 0;
    /// Forgets the windows that ended before `now` (`UserService::purge_expired` calls it).
    [[nodiscard]] virtual Result<void> purge(TimePoint now) = 0;
};

/// Counters in this process's memory (the default), bounded by count (`max_keys`) and so by
/// bytes (keys longer than 128 bytes are refused with `invalid_argument`; the service's keys are
/// 40-odd bytes). When full, the key whose window started first is evicted, ended or not: under
/// a flood of distinct keys the oldest counts are forgotten rather than memory growing.
[[nodiscard]] USERMGMT_EXPORT std::unique_ptr<ThrottleStore> make_memory_throttle_store(std::size_t max_keys = 100000);

/// Counters in a SQLite file shared by every process that opens it (created if missing). Use
/// its own file, not the users database, so counting never waits on the users' write lock.
/// Counts are not worth a disk flush: commits are durable against a process crash, and a power
/// loss may forget the last seconds of counts. `storage_failure` when the file cannot be opened.
[[nodiscard]] USERMGMT_EXPORT Result<std::unique_ptr<ThrottleStore>> open_sqlite_throttle_store(
    const std::filesystem::path& path, std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(5000));

}  // namespace usermgmt
