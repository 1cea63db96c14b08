// The server writes small answers from one buffer of its own (wire.hpp): byte for byte what
// Beast's serializer writes for them.
#include "wire.hpp"
#include "common/responses.hpp"

#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>

using namespace usermgmt;
namespace bhttp = boost::beast::http;

namespace {

std::string by_beast(const http::Response& response)
{
    std::ostringstream out;
    out << response;
    return out.str();
}

std::string by_us(const http::Response& response)
{
    std::string out = "left over from the last answer";
    http::detail::serialize_response(response, out);
    return out;
}

}  // namespace

TEST_CASE("An answer from one buffer is what Beast's serializer writes", "[http][wire]")
{
    SECTION("200 with a JSON body and several fields, HTTP/1.1 keep-alive")
    {
        http::Response r{bhttp::status::ok, 11};
        r.set(bhttp::field::content_type, "application/json");
        r.set("Vary", "Accept");
        r.set("X-Content-Type-Options", "nosniff");
        r.set(bhttp::field::allow, "GET, PUT, PATCH, DELETE, HEAD, OPTIONS");
        r.body() = R"({"id":1,"username":"amy"})";
        r.keep_alive(true);
        r.prepare_payload();
        CHECK(http::detail::fits_one_buffer(r));
        CHECK(by_us(r) == by_beast(r));
    }
    SECTION("HTTP/1.0, closing, an error status with a body")
    {
        http::Response r{bhttp::status::service_unavailable, 10};
        r.set(bhttp::field::retry_after, "1");
        r.body() = R"({"detail":"Service temporarily unavailable, try again later."})";
        r.keep_alive(false);
        r.prepare_payload();
        CHECK(by_us(r) == by_beast(r));
    }
    SECTION("204 and 304 without a body, a reason of its own")
    {
        http::Response no_content{bhttp::status::no_content, 11};
        no_content.prepare_payload();
        CHECK(by_us(no_content) == by_beast(no_content));
        http::Response not_modified{bhttp::status::not_modified, 11};
        not_modified.set(bhttp::field::etag, "\"abc\"");
        not_modified.reason("Not Modified Here");
        CHECK(by_us(not_modified) == by_beast(not_modified));
    }
    SECTION("A HEAD answer: the GET's Content-Length, no body")
    {
        http::Response r{bhttp::status::ok, 11};
        r.set(bhttp::field::content_type, "text/html; charset=utf-8");
        r.content_length(1234);
        CHECK(by_us(r) == by_beast(r));
    }
    SECTION("Chunked or large bodies are left to Beast")
    {
        http::Response chunked{bhttp::status::ok, 11};
        chunked.chunked(true);
        CHECK_FALSE(http::detail::fits_one_buffer(chunked));
        http::Response large{bhttp::status::ok, 11};
        large.body() = std::string(64 * 1024, 'x');
        large.prepare_payload();
        CHECK_FALSE(http::detail::fits_one_buffer(large));
    }
}

TEST_CASE("Dates as DRF and Express render them - digits placed by hand", "[http][wire]")
{
    using namespace std::chrono;
    const TimePoint t = TimePoint(seconds(1'795'988'456) + microseconds(7'089));  // 2026-11-29T21:40:56.007089Z
    CHECK(http::detail::iso8601_drf(t) == "2026-11-29T21:40:56.007089Z");
    CHECK(http::detail::iso8601_millis(t) == "2026-11-29T21:40:56.007Z");
    const TimePoint whole = TimePoint(seconds(1'795'988'456));
    CHECK(http::detail::iso8601_drf(whole) == "2026-11-29T21:40:56Z");  // DRF drops a zero fraction
    CHECK(http::detail::iso8601_millis(whole) == "2026-11-29T21:40:56.000Z");
    CHECK(http::detail::iso8601_drf(TimePoint(seconds(0))) == "1970-01-01T00:00:00Z");
    // Before 1970: the fraction counts forward from the second before.
    CHECK(http::detail::iso8601_drf(TimePoint(microseconds(-1))) == "1969-12-31T23:59:59.999999Z");
    CHECK(http::detail::iso8601_millis(TimePoint(seconds(7'258'118'399))) == "2199-12-31T23:59:59.000Z");
}
