#include "common/responses.hpp"

#include <cstdio>
#include <ctime>

namespace usermgmt::http::detail {
namespace {

// Django's security middleware headers, sent on every answer.
void security_headers(Response& response)
{
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "same-origin");
}

std::string iso8601(TimePoint t, int fraction_digits, bool drop_zero_fraction)
{
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    auto seconds = static_cast<std::time_t>(micros / 1'000'000);
    long long fraction = micros % 1'000'000;
    if (fraction < 0) {
        fraction += 1'000'000;
        --seconds;
    }
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (!(drop_zero_fraction && fraction == 0)) {
        if (fraction_digits == 3) n += std::snprintf(buf + n, sizeof buf - n, ".%03lld", fraction / 1000);
        else n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", fraction);
    }
    std::snprintf(buf + n, sizeof buf - n, "Z");
    return buf;
}

}  // namespace

Response json_response(unsigned status, const boost::json::value& body, const Request& request)
{
    Response response{static_cast<beast_http::status>(status), request.version()};
    response.set(beast_http::field::content_type, "application/json");
    response.set(beast_http::field::vary, "Accept");
    security_headers(response);
    response.body() = boost::json::serialize(body);
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    return response;
}

Response empty_response(unsigned status, const Request& request)
{
    Response response{static_cast<beast_http::status>(status), request.version()};
    response.set(beast_http::field::vary, "Accept");
    security_headers(response);
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    return response;
}

Response detail_response(unsigned status, std::string_view text, const Request& request)
{
    return json_response(status, boost::json::object{{"detail", text}}, request);
}

std::string iso8601_drf(TimePoint t)
{
    return iso8601(t, 6, true);
}

std::string iso8601_millis(TimePoint t)
{
    return iso8601(t, 3, false);
}

std::string_view path_of(std::string_view target) noexcept
{
    return target.substr(0, target.find('?'));
}

std::string_view query_of(std::string_view target) noexcept
{
    const auto q = target.find('?');
    return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

}  // namespace usermgmt::http::detail
