#include "metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace usermgmt::http::detail {
namespace {

std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

// A label value as the exposition format quotes it.
std::string label_value(std::string_view value)
{
    std::string out = "\"";
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

void family(std::string& out, const char* name, const char* type, const char* help)
{
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, std::string_view name, const std::string& labels, std::uint64_t value)
{
    out.append(name).append("{").append(labels).append("} ").append(std::to_string(value)).append("\n");
}

}  // namespace

void RouteSeries::record(boost::beast::http::verb method, unsigned status, std::chrono::microseconds took)
{
    std::size_t m = 0;
    while (m < methods.size() && methods[m] != method) ++m;
    PerMethod& series = per_method_[m];
    std::size_t s = 0;
    while (s < statuses.size() && statuses[s] != status) ++s;
    series.answers[s].fetch_add(1, std::memory_order_relaxed);
    const double seconds = static_cast<double>(took.count()) / 1e6;
    std::size_t b = 0;
    while (b < bounds.size() && seconds > bounds[b]) ++b;
    series.buckets[b].fetch_add(1, std::memory_order_relaxed);
    series.micros.fetch_add(static_cast<std::uint64_t>(took.count()), std::memory_order_relaxed);
}

RouteSeries* Metrics::add(std::string style, std::string route, bool login)
{
    return &series_.emplace_back(std::move(style), std::move(route), login);
}

std::optional<MailQueueCounts> Metrics::mail_counts(const UserService& service) const
{
    // A count over the queue table: at most one per few seconds, however often the page is read.
    std::lock_guard lock(mail_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!mail_read_ || now - *mail_read_ >= mail_refresh) {
        auto counts = service.mail_queue_counts();
        mail_ = counts ? std::optional<MailQueueCounts>(*counts) : std::nullopt;
        mail_read_ = now;
    }
    return mail_;
}

void Metrics::rejected(bool hashing_pool)
{
    (hashing_pool ? hashing_rejections_ : store_rejections_).fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(const UserService& service, const Gauges& gauges) const
{
    using Series = RouteSeries;
    const auto method_name = [](std::size_t m) {
        return m < Series::methods.size() ? std::string(boost::beast::http::to_string(Series::methods[m])) : "other";
    };
    std::string out;
    out.reserve(16 * 1024);

    family(out, "usermgmt_http_requests_total", "counter", "HTTP answers by route style, route, method and status.");
    for (const auto& series : series_) {
        for (std::size_t m = 0; m < series.per_method_.size(); ++m) {
            const auto& per = series.per_method_[m];
            for (std::size_t s = 0; s < per.answers.size(); ++s) {
                const auto count = per.answers[s].load(std::memory_order_relaxed);
                if (count == 0) continue;
                const std::string status = s < Series::statuses.size() ? std::to_string(Series::statuses[s]) : "other";
                sample(out, "usermgmt_http_requests_total",
                       "style=" + label_value(series.style_) + ",route=" + label_value(series.route_) + ",method=" +
                           label_value(method_name(m)) + ",status=" + label_value(status),
                       count);
            }
        }
    }

    family(out, "usermgmt_http_request_duration_seconds", "histogram",
           "Time from a request reaching the handler to its answer, by route style, route and method.");
    for (const auto& series : series_) {
        for (std::size_t m = 0; m < series.per_method_.size(); ++m) {
            const auto& per = series.per_method_[m];
            std::uint64_t total = 0;
            for (const auto& b : per.buckets) total += b.load(std::memory_order_relaxed);
            if (total == 0) continue;
            const std::string labels =
                "style=" + label_value(series.style_) + ",route=" + label_value(series.route_) + ",method=" + label_value(method_name(m));
            std::uint64_t running = 0;
            for (std::size_t b = 0; b < per.buckets.size(); ++b) {
                running += per.buckets[b].load(std::memory_order_relaxed);
                const std::string le = b < Series::bounds.size() ? number(Series::bounds[b]) : "+Inf";
                sample(out, "usermgmt_http_request_duration_seconds_bucket", labels + ",le=" + label_value(le), running);
            }
            out += "usermgmt_http_request_duration_seconds_sum{" + labels + "} " +
                   number(static_cast<double>(per.micros.load(std::memory_order_relaxed)) / 1e6) + "\n";
            sample(out, "usermgmt_http_request_duration_seconds_count", labels, running);
        }
    }

    // Logins and 429s, summed from the answers above per style.
    std::map<std::string, std::array<std::uint64_t, 4>> logins;  // ok, failed, throttled, error
    std::map<std::string, std::uint64_t> throttled;
    // Every style's samples exist from the start (at 0), so that the first event is an increase.
    for (const auto& series : series_) {
        if (series.style_.empty()) continue;
        throttled.emplace(series.style_, 0);
        if (series.login_) logins.emplace(series.style_, std::array<std::uint64_t, 4>{});
    }
    for (const auto& series : series_) {
        for (std::size_t m = 0; m < series.per_method_.size(); ++m) {
            const auto& per = series.per_method_[m];
            // A login is a POST to a login route (not its OPTIONS or 405s).
            const bool login =
                series.login_ && m < Series::methods.size() && Series::methods[m] == boost::beast::http::verb::post;
            for (std::size_t s = 0; s < per.answers.size(); ++s) {
                const auto count = per.answers[s].load(std::memory_order_relaxed);
                if (count == 0) continue;
                const unsigned status = s < Series::statuses.size() ? Series::statuses[s] : 0;
                if (status == 429) throttled[series.style_] += count;
                if (!login) continue;
                auto& tally = logins[series.style_];
                const std::size_t result = status == 200 ? 0 : status == 429 ? 2 : (status >= 400 && status < 500) ? 1 : 3;
                tally[result] += count;
            }
        }
    }
    family(out, "usermgmt_logins_total", "counter",
           "Login attempts by route style and result: ok, failed (wrong or blank credentials), throttled, error.");
    for (const auto& [style, tally] : logins) {
        const char* results[] = {"ok", "failed", "throttled", "error"};
        for (std::size_t r = 0; r < 4; ++r)
            sample(out, "usermgmt_logins_total", "style=" + label_value(style) + ",result=" + label_value(results[r]), tally[r]);
    }
    family(out, "usermgmt_throttled_total", "counter", "Answers 429 (too many attempts) by route style.");
    for (const auto& [style, count] : throttled) sample(out, "usermgmt_throttled_total", "style=" + label_value(style), count);

    family(out, "usermgmt_queue_jobs", "gauge", "Requests waiting for a thread of a pool (hashing: password checks).");
    sample(out, "usermgmt_queue_jobs", "pool=\"hashing\"", gauges.hashing_queued);
    sample(out, "usermgmt_queue_jobs", "pool=\"store\"", gauges.store_queued);
    family(out, "usermgmt_queue_capacity", "gauge", "Most requests a pool's queue holds before it answers 503.");
    sample(out, "usermgmt_queue_capacity", "pool=\"hashing\"", gauges.hashing_capacity);
    sample(out, "usermgmt_queue_capacity", "pool=\"store\"", gauges.store_capacity);
    family(out, "usermgmt_queue_rejections_total", "counter", "Requests answered 503 because a pool's queue was full.");
    sample(out, "usermgmt_queue_rejections_total", "pool=\"hashing\"", hashing_rejections_.load(std::memory_order_relaxed));
    sample(out, "usermgmt_queue_rejections_total", "pool=\"store\"", store_rejections_.load(std::memory_order_relaxed));

    if (auto mail = mail_counts(service)) {
        family(out, "usermgmt_mail_queue_mails", "gauge",
               "Mails in the durable queue by state (sending: of the queued, held by a sender now).");
        sample(out, "usermgmt_mail_queue_mails", "state=\"queued\"", mail->queued);
        sample(out, "usermgmt_mail_queue_mails", "state=\"sending\"", mail->sending);
        sample(out, "usermgmt_mail_queue_mails", "state=\"dead\"", mail->dead);
    }
    const auto cache = service.cache_counts();
    family(out, "usermgmt_cache_lookups_total", "counter", "Reads of users and sessions by id, by result (hit, miss).");
    sample(out, "usermgmt_cache_lookups_total", "result=\"hit\"", cache.hits);
    sample(out, "usermgmt_cache_lookups_total", "result=\"miss\"", cache.misses);
    return out;
}

}  // namespace usermgmt::http::detail
