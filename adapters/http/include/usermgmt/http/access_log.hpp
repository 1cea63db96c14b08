#pragma once
/// @file access_log.hpp
/// An access log that costs a request almost nothing: each line is formatted on the request's
/// thread without a lock, appended to a buffer under a short one, and written by a background
/// thread in batches. A request never waits for the disk or the terminal.

#include "usermgmt/http/export.hpp"
#include "usermgmt/http/settings.hpp"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace usermgmt::http {

enum class AccessLogFormat {
    text,  ///< `2026-11-29T21:40:56Z 127.0.0.1 "GET /auth/users/me/" 200 0.4ms`
    json,  ///< one JSON object per line: time, client, method, path, status, duration_ms
};

class USERMGMT_HTTP_EXPORT AccessLog {
public:
    /// Writes to `fd` (not owned; stderr by default). At most `max_buffered_bytes` wait for the
    /// writer: beyond that (the output blocked), lines are dropped and counted, never waited for.
    explicit AccessLog(int fd = 2, AccessLogFormat format = AccessLogFormat::text,
                       std::size_t max_buffered_bytes = std::size_t{8} << 20);
    /// Writes what is buffered, then returns.
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    /// One line for one request. Thread-safe; never blocks on output.
    void record(const RequestLog& request) noexcept;
    /// `record` as `HttpSettings::access_log` takes it (the log must outlive the handler).
    [[nodiscard]] std::function<void(const RequestLog&)> sink();
    /// Lines dropped because the output did not keep up.
    [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(); }

    /// The line `record` writes for `request` at `unix_seconds`, with its newline (for tests).
    [[nodiscard]] static std::string format_line(const RequestLog& request, long long unix_seconds,
                                                 AccessLogFormat format);

private:
    void run();

    int fd_;
    AccessLogFormat format_;
    std::size_t max_buffered_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string pending_;  ///< lines waiting for the writer
    bool stopping_ = false;
    std::atomic<std::uint64_t> dropped_{0};
    std::uint64_t reported_drops_ = 0;  ///< writer thread only
    std::thread writer_;
};

}  // namespace usermgmt::http
