// GET /metrics: read by the real Prometheus parser, and the counters move with real requests.
#include "http_fixture.hpp"
#include "../support/metrics_page.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

MetricsPage metrics_of(HttpFixture& f)
{
    auto page = f.send(verb::get, "/metrics");
    REQUIRE(page.status == 200);
    CHECK(page.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(page.header("cache-control") == "no-store");
    return MetricsPage(f.dir, page.body);
}

}  // namespace

TEST_CASE("GET /metrics: answers by style, route, method and status, latency, logins, 429s and the cache", "[http][metrics]")
{
    HttpFixture f([](Config& c, http::HttpSettings&, http::ServerSettings&) {
        c.throttle.login_per_client = RateLimit{3, std::chrono::seconds(60)};
    });
    const auto amy = f.make_user("amy");
    const auto authorization = f.bearer("amy");  // a login that succeeds
    const std::string me = "/auth/users/me/";
    for (int i = 0; i < 3; ++i) CHECK(f.send(verb::get, me, {}, authorization).status == 200);
    CHECK(f.send(verb::get, me).status == 401);
    const json::object wrong{{"username", "amy"}, {"password", "wrong-password-1"}};
    CHECK(f.post("/auth/jwt/create/", wrong).status == 401);
    CHECK(f.post("/auth/jwt/create/", wrong).status == 401);
    CHECK(f.post("/auth/jwt/create/", wrong).status == 429);  // the fourth attempt of this client
    CHECK(f.send(verb::get, "/users/" + std::to_string(amy), {}, authorization).status == 200);
    CHECK(f.send(verb::get, "/nowhere").status == 404);
    CHECK(f.send(verb::get, "/auth/nowhere/").status == 404);

    const auto page = metrics_of(f);
    const auto requests = [&](const std::string& style, const std::string& route, const std::string& method,
                              const std::string& status) {
        return page.value("usermgmt_http_requests_total",
                          {{"style", style}, {"route", route}, {"method", method}, {"status", status}});
    };
    CHECK(page.type_of("usermgmt_http_requests_total") == "counter");
    CHECK(requests("auth", "/auth/users/me/", "GET", "200") == 3);
    CHECK(requests("auth", "/auth/users/me/", "GET", "401") == 1);
    CHECK(requests("auth", "/auth/jwt/create", "POST", "200") == 1);
    CHECK(requests("users", "/users/{}", "GET", "200") == 1);
    CHECK(requests("", "unmatched", "GET", "404") == 1);
    CHECK(requests("auth", "unmatched", "GET", "404") == 1);

    // Latency: one histogram per route and method, counting every answer.
    CHECK(page.type_of("usermgmt_http_request_duration_seconds_bucket") == "histogram");
    const std::map<std::string, std::string> me_get{{"style", "auth"}, {"route", "/auth/users/me/"}, {"method", "GET"}};
    CHECK(page.value("usermgmt_http_request_duration_seconds_count", me_get) == 4);
    auto all = me_get;
    all["le"] = "+Inf";
    CHECK(page.value("usermgmt_http_request_duration_seconds_bucket", all) == 4);
    CHECK(page.value("usermgmt_http_request_duration_seconds_sum", me_get) > 0);

    CHECK(page.value("usermgmt_logins_total", {{"style", "auth"}, {"result", "ok"}}) == 1);
    CHECK(page.value("usermgmt_logins_total", {{"style", "auth"}, {"result", "failed"}}) == 2);
    CHECK(page.value("usermgmt_logins_total", {{"style", "auth"}, {"result", "throttled"}}) == 1);
    CHECK(page.value("usermgmt_throttled_total", {{"style", "auth"}}) == 1);
    CHECK(page.value("usermgmt_queue_jobs", {{"pool", "hashing"}}) == 0);
    CHECK(page.value("usermgmt_queue_capacity", {{"pool", "store"}}) > 0);
    CHECK(page.value("usermgmt_queue_rejections_total", {{"pool", "hashing"}}) == 0);
    // Four token checks on one session and user: most from the cache.
    CHECK(page.value("usermgmt_cache_lookups_total", {{"result", "hit"}}) >= 1);
    CHECK(page.value("usermgmt_cache_lookups_total", {{"result", "miss"}}));
    CHECK(page.value("usermgmt_mail_queue_mails", {{"state", "dead"}}) == 0);

    // The page counts itself from the next read on, and moves.
    const auto again = metrics_of(f);
    CHECK(again.value("usermgmt_http_requests_total", {{"route", "/metrics"}, {"status", "200"}}) == 1);
}

TEST_CASE("GET /metrics: a full hashing queue's 503s are counted", "[http][metrics]")
{
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.hashing_queue = 0; });
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", "x"}}).status == 503);
    CHECK(f.post("/users/login", json::object{{"email", "amy@example.com"}, {"password", "x"}}).status == 503);
    const auto page = metrics_of(f);
    CHECK(page.value("usermgmt_queue_rejections_total", {{"pool", "hashing"}}) == 2);
    CHECK(page.value("usermgmt_logins_total", {{"style", "users"}, {"result", "error"}}) == 1);
    // Samples that nothing moved yet are there at 0, so that their first event is an increase.
    CHECK(page.value("usermgmt_throttled_total", {{"style", "users"}}) == 0);
    CHECK(page.value("usermgmt_logins_total", {{"style", "auth"}, {"result", "ok"}}) == 0);
}

TEST_CASE("GET /metrics answers loopback clients only, unless told otherwise", "[http][metrics]")
{
    // Behind a trusted proxy on this host, the client is who the proxy says.
    const std::map<std::string, std::string> from_afar{{"X-Forwarded-For", "203.0.113.5"}};
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.trusted_proxies = {"127.0.0.1"}; });
    CHECK(f.send(verb::get, "/metrics", {}, from_afar).status == 404);
    CHECK(f.send(verb::get, "/metrics", {}, {{"X-Forwarded-For", "127.0.0.1"}}).status == 200);
    CHECK(f.send(verb::get, "/metrics").status == 200);

    HttpFixture open([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.trusted_proxies = {"127.0.0.1"};
        s.metrics_loopback_only = false;
    });
    CHECK(open.send(verb::get, "/metrics", {}, from_afar).status == 200);
}

TEST_CASE("GET /metrics: off, other methods, and another handler's counters", "[http][metrics]")
{
    HttpFixture off([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.serve_metrics = false; });
    CHECK(off.send(verb::get, "/metrics").status == 404);
    CHECK_FALSE(off.handler->owns("/metrics"));

    HttpFixture f;
    CHECK(f.handler->owns("/metrics"));
    auto post = f.send(verb::post, "/metrics", "{}");
    CHECK(post.status == 405);
    CHECK(f.send(verb::head, "/metrics").status == 200);
    CHECK(f.send(verb::get, "/auth/users/me/").status == 401);

    // A second handler with nothing of its own but the page shows the first one's counters.
    http::HttpSettings only;
    only.auth_prefix.clear();
    only.users_prefix.clear();
    only.media_url.clear();
    only.metrics_of = f.handler.get();
    only.metrics_loopback_only = false;
    http::Handler apart(*f.service, only);
    CHECK_FALSE(apart.owns("/auth/users/me/"));
    http::Request request{verb::get, "/metrics", 11};
    const auto response = apart.handle(request, http::Peer{"127.0.0.1"});
    REQUIRE(response.result_int() == 200);
    const MetricsPage page(f.dir, response.body());
    CHECK(page.value("usermgmt_http_requests_total",
                     {{"route", "/auth/users/me/"}, {"method", "GET"}, {"status", "401"}}) == 1);
    CHECK(page.value("usermgmt_http_requests_total", {{"route", "/metrics"}, {"method", "POST"}, {"status", "405"}}) == 1);
}
