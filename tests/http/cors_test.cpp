// Cross-origin answers over a socket: which origins are allowed, and when credentials are.
#include "http_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

TEST_CASE("CORS: preflight and actual responses for allowed origins only", "[http][server][cors]")
{
    HttpFixture closed;
    auto refused = closed.send(verb::options, "/auth/users/",
                               {}, {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
    CHECK(refused.header("access-control-allow-origin").empty());

    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.cors.allowed_origins = {"https://app.example"};
    });
    auto preflight = f.send(verb::options, "/auth/users/me/", {},
                            {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "PATCH"},
                             {"Access-Control-Request-Headers", "authorization, content-type"}});
    CHECK(preflight.status == 204);
    CHECK(preflight.header("access-control-allow-origin") == "https://app.example");
    CHECK(preflight.header("access-control-allow-methods").find("PATCH") != std::string::npos);
    CHECK(preflight.header("access-control-allow-headers").find("Authorization") != std::string::npos);
    CHECK(preflight.header("access-control-allow-credentials").empty());
    auto actual = f.send(verb::get, "/healthz", {}, {{"Origin", "https://app.example"}});
    CHECK(actual.header("access-control-allow-origin") == "https://app.example");
    auto other = f.send(verb::get, "/healthz", {}, {{"Origin", "https://evil.example"}});
    CHECK(other.header("access-control-allow-origin").empty());
}

TEST_CASE("CORS: \"*\" never comes with credentials - only origins listed by name do", "[http][server][cors]")
{
    // An embedder's settings may say both; the handler still never reflects an unlisted origin with credentials.
    HttpFixture any([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.cors.allowed_origins = {"*"};
        s.cors.allow_credentials = true;
    });
    const std::map<std::string, std::string> evil{{"Origin", "https://evil.example"}};
    auto actual = any.send(verb::get, "/healthz", {}, evil);
    CHECK(actual.header("access-control-allow-origin") == "*");
    CHECK(actual.header("access-control-allow-credentials").empty());
    auto preflight = any.send(verb::options, "/auth/users/me/", {},
                              {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "PATCH"}});
    CHECK(preflight.status == 204);
    CHECK(preflight.header("access-control-allow-origin") == "*");
    CHECK(preflight.header("access-control-allow-credentials").empty());

    HttpFixture named([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.cors.allowed_origins = {"https://app.example", "*"};
        s.cors.allow_credentials = true;
    });
    auto app = named.send(verb::get, "/healthz", {}, {{"Origin", "https://app.example"}});
    CHECK(app.header("access-control-allow-origin") == "https://app.example");
    CHECK(app.header("access-control-allow-credentials") == "true");
    CHECK(app.header("vary").find("Origin") != std::string::npos);
    auto other = named.send(verb::get, "/healthz", {}, evil);
    CHECK(other.header("access-control-allow-origin") == "*");
    CHECK(other.header("access-control-allow-credentials").empty());
}
