#pragma once
// What GET /metrics reports: requests by route style, route, method and status, with latency
// histograms, counted in fixed arrays of atomics so that counting costs a request a few
// uncontended increments and no lock; the rest (logins, 429s, queues, mail, cache) is worked
// out when the page is read.

#include "usermgmt/user_service.hpp"

#include <boost/beast/http/verb.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace usermgmt::http::detail {

/// The counters of one route (or of one of the handler's own paths).
class RouteSeries {
public:
    RouteSeries(std::string style, std::string route, bool login)
        : style_(std::move(style)), route_(std::move(route)), login_(login)
    {
    }
    void record(boost::beast::http::verb method, unsigned status, std::chrono::microseconds took);

private:
    friend class Metrics;
    static constexpr std::array<double, 12> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    // The answers the handler gives; anything else is counted as "other".
    static constexpr std::array<unsigned, 20> statuses = {200, 201, 204, 301, 304, 400, 401, 403, 404, 405,
                                                          406, 409, 413, 415, 429, 431, 500, 501, 503, 505};
    struct PerMethod {
        std::array<std::atomic<std::uint64_t>, statuses.size() + 1> answers{};
        std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets{};  ///< the last: +Inf
        std::atomic<std::uint64_t> micros{0};
    };
    static constexpr std::array<boost::beast::http::verb, 7> methods = {
        boost::beast::http::verb::get,   boost::beast::http::verb::head,   boost::beast::http::verb::post,
        boost::beast::http::verb::put,   boost::beast::http::verb::patch,  boost::beast::http::verb::delete_,
        boost::beast::http::verb::options};

    std::string style_;
    std::string route_;
    bool login_;
    std::array<PerMethod, methods.size() + 1> per_method_{};  ///< the last: any other method
};

class Metrics {
public:
    /// A route's series, made before the first request (the pointer stays valid).
    RouteSeries* add(std::string style, std::string route, bool login = false);
    /// Counts a 503 for a full queue of `pool`.
    void rejected(bool hashing_pool);

    /// The Prometheus text exposition (format 0.0.4) of everything counted, with the gauges
    /// read now: the pools' queues, the mail queue, the cache.
    struct Gauges {
        std::size_t hashing_queued = 0, hashing_capacity = 0, store_queued = 0, store_capacity = 0;
    };
    [[nodiscard]] std::string render(const UserService& service, const Gauges& gauges) const;

private:
    static constexpr std::chrono::seconds mail_refresh{5};
    std::optional<MailQueueCounts> mail_counts(const UserService& service) const;

    std::deque<RouteSeries> series_;
    mutable std::mutex mail_mutex_;
    mutable std::optional<MailQueueCounts> mail_;
    mutable std::optional<std::chrono::steady_clock::time_point> mail_read_;  // a deque: adding never moves one
    std::atomic<std::uint64_t> hashing_rejections_{0};
    std::atomic<std::uint64_t> store_rejections_{0};
};

}  // namespace usermgmt::http::detail
