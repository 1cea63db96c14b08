// The client a request is counted against: the socket peer, or what trusted proxies forwarded.
#include "usermgmt/http/address.hpp"

#include "http_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

// Allows one reset request per client a minute, so a 429 shows that two requests had one client.
HttpFixture behind_proxies(std::vector<std::string> proxies)
{
    return HttpFixture([&](Config& c, http::HttpSettings& s, http::ServerSettings&) {
        c.throttle.reset_request_per_client = RateLimit{1, std::chrono::seconds(60)};
        s.trusted_proxies = proxies;
    });
}

http::Request reset_request(const std::vector<std::string>& forwarded)
{
    static int n = 0;  // a new account each time: only the client's count matters
    http::Request request{verb::post, "/auth/users/reset_password/", 11};
    request.set(bhttp::field::host, "127.0.0.1");
    request.set(bhttp::field::content_type, "application/json");
    for (const auto& field : forwarded) request.insert("X-Forwarded-For", field);
    request.body() = json::serialize(json::object{{"email", "u" + std::to_string(++n) + "@example.com"}});
    request.prepare_payload();
    return request;
}

// 204 when the client of a reset request from `peer` had not asked yet, 429 when it had.
unsigned reset_from(const HttpFixture& f, const std::string& peer, const std::vector<std::string>& forwarded = {})
{
    return f.handler->handle(reset_request(forwarded), http::Peer{peer}).result_int();
}

}  // namespace

TEST_CASE("normalize_address: IPv4, IPv6 and IPv4-mapped IPv6 in one form - anything else refused", "[http][address]")
{
    CHECK(http::normalize_address("10.0.0.1") == "10.0.0.1");
    CHECK(http::normalize_address(" 10.0.0.1\t") == "10.0.0.1");
    CHECK(http::normalize_address("::ffff:10.0.0.1") == "10.0.0.1");
    CHECK(http::normalize_address("::FFFF:0a00:0001") == "10.0.0.1");
    CHECK(http::normalize_address("2001:DB8:0:0:0:0:0:1") == "2001:db8::1");
    CHECK(http::normalize_address("::1") == "::1");
    for (const char* bad : {"", " ", "junk", "10.0.0", "10.0.0.256", "10.0.0.1:80", "[::1]", "[2001:db8::1]:80",
                            "10.0.0.1/24", "10.0.0.1, 10.0.0.2", "unknown", "_hidden"})
        CHECK_FALSE(http::normalize_address(bad));
}

TEST_CASE("X-Forwarded-For: every header field is one list - read from the right past trusted proxies", "[http][address][throttle]")
{
    auto f = behind_proxies({"10.0.0.1", "10.0.0.2"});
    // A proxy may add a field of its own instead of appending to the first: the last field counts.
    CHECK(reset_from(f, "10.0.0.1", {"198.51.100.1", "203.0.113.2, 10.0.0.2"}) == 204);
    CHECK(reset_from(f, "203.0.113.2") == 429);
    CHECK(reset_from(f, "10.0.0.1", {"192.0.2.50", "192.0.2.51"}) == 204);
    CHECK(reset_from(f, "192.0.2.51") == 429);
    CHECK(reset_from(f, "192.0.2.50") == 204);
    // Empty list items are ignored (RFC 9110's list rule).
    CHECK(reset_from(f, "10.0.0.1", {"198.51.100.20, , ", ""}) == 204);
    CHECK(reset_from(f, "198.51.100.20") == 429);
}

TEST_CASE("X-Forwarded-For: proxies and clients are compared as addresses - IPv4-mapped is IPv4", "[http][address][throttle]")
{
    auto f = behind_proxies({"::ffff:10.0.0.1", "2001:DB8::A"});
    // The socket peer matches a trusted proxy in either form.
    CHECK(reset_from(f, "10.0.0.1", {"203.0.113.7"}) == 204);
    CHECK(reset_from(f, "::ffff:10.0.0.1", {"203.0.113.8"}) == 204);
    CHECK(reset_from(f, "203.0.113.7") == 429);
    CHECK(reset_from(f, "::ffff:203.0.113.8") == 429);
    CHECK(reset_from(f, "2001:db8:0:0:0:0:0:a", {"2001:db8::1"}) == 204);
    CHECK(reset_from(f, "10.0.0.1", {"2001:0DB8:0000::0001"}) == 429);
    // A forwarded hop in mapped form is the trusted proxy too, and is skipped.
    CHECK(reset_from(f, "10.0.0.1", {"192.0.2.9, ::ffff:10.0.0.1"}) == 204);
    CHECK(reset_from(f, "192.0.2.9") == 429);
}

TEST_CASE("X-Forwarded-For: an entry that is not an address is never the client - the last trusted hop is", "[http][address][throttle]")
{
    auto f = behind_proxies({"10.0.0.1", "10.0.0.2"});
    CHECK(reset_from(f, "10.0.0.1", {"junk"}) == 204);
    CHECK(reset_from(f, "10.0.0.1", {"203.0.113.1:4711"}) == 429);  // still 10.0.0.1
    CHECK(reset_from(f, "10.0.0.1", {"203.0.113.9, unknown"}) == 429);
    CHECK(reset_from(f, "10.0.0.1") == 429);
    // Past a trusted hop, junk stops the walk at that hop.
    CHECK(reset_from(f, "10.0.0.1", {"203.0.113.3, [2001:db8::1]:80, 10.0.0.2"}) == 204);
    CHECK(reset_from(f, "10.0.0.2") == 429);
    CHECK(reset_from(f, "203.0.113.3") == 204);
}

TEST_CASE("X-Forwarded-For over a socket: two header fields from a trusted proxy", "[http][server][address][throttle]")
{
    auto f = behind_proxies({"127.0.0.1"});
    Client client(f.port());
    bhttp::write(client.stream(), reset_request({"198.51.100.1", "203.0.113.44"}));
    CHECK(client.read().status == 204);
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "x@example.com"}},
                 {{"X-Forwarded-For", "203.0.113.44"}})
              .status == 429);
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "y@example.com"}},
                 {{"X-Forwarded-For", "198.51.100.1"}})
              .status == 204);
}
