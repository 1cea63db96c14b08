#include "common/responses.hpp"

#include <cstdio>
#include <ctime>

namespace usermgmt::http::detail {
namespace {

// Django's SecurityMiddleware headers: on every answer, also those that middleware further in
// never sees (CommonMiddleware's redirects).
void outer_security_headers(Response& response)
{
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "same-origin");
}

// Every view's answer: the outer headers and XFrameOptionsMiddleware's.
void security_headers(Response& response)
{
    outer_security_headers(response);
    response.set("X-Frame-Options", "DENY");
}

// Writes `value` (0 <= value < 10^width) as exactly `width` digits, zero-padded; past them.
char* put_digits(char* at, long long value, int width)
{
    for (int i = width - 1; i >= 0; --i) {
        at[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return at + width;
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
    // Every user answer carries a date: digits placed by hand, not through printf's parser.
    char buf[64];
    char* at = buf;
    const int year = tm.tm_year + 1900;
    if (year >= 0 && year <= 9999) at = put_digits(at, year, 4);
    else at += std::snprintf(at, 16, "%04d", year);
    *at++ = '-';
    at = put_digits(at, tm.tm_mon + 1, 2);
    *at++ = '-';
    at = put_digits(at, tm.tm_mday, 2);
    *at++ = 'T';
    at = put_digits(at, tm.tm_hour, 2);
    *at++ = ':';
    at = put_digits(at, tm.tm_min, 2);
    *at++ = ':';
    at = put_digits(at, tm.tm_sec, 2);
    if (!(drop_zero_fraction && fraction == 0)) {
        *at++ = '.';
        at = fraction_digits == 3 ? put_digits(at, fraction / 1000, 3) : put_digits(at, fraction, 6);
    }
    *at++ = 'Z';
    return std::string(buf, at);
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

Response append_slash_redirect(std::string location, const Request& request)
{
    Response response{beast_http::status::moved_permanently, request.version()};
    response.set(beast_http::field::content_type, "text/html; charset=utf-8");
    outer_security_headers(response);
    response.set(beast_http::field::location, location);
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
