// The web pages as the handler serves them: every file of web/ with its type, a validator and
// the security headers; off unless asked for; never in the way of a route. (What the pages do is
// tested in a real browser: tests/browser/pages_test.py.)
#include "http_fixture.hpp"

#include "pages.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

HttpFixture with_pages(const std::string& prefix = "/")
{
    return HttpFixture([&](Config&, http::HttpSettings& s, http::ServerSettings&) { s.pages_prefix = prefix; });
}

std::string source_of(const std::string& name)
{
    std::ifstream in(std::filesystem::path(USERMGMT_WEB_DIR) / name, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("Pages: every file of web/ is served as it is, with its type", "[http][pages]")
{
    auto f = with_pages();
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(USERMGMT_WEB_DIR)) {
        if (!entry.is_regular_file() || entry.path().filename() == "config.json") continue;
        const std::string name = std::filesystem::relative(entry.path(), USERMGMT_WEB_DIR).generic_string();
        const std::string extension = entry.path().extension().string();
        INFO(name);
        auto reply = f.send(verb::get, "/" + name);
        REQUIRE(reply.status == 200);
        CHECK(reply.body == source_of(name));
        const std::map<std::string, std::string> types{{".html", "text/html; charset=utf-8"},
                                                       {".css", "text/css; charset=utf-8"},
                                                       {".js", "text/javascript; charset=utf-8"},
                                                       {".svg", "image/svg+xml"}};
        REQUIRE(types.count(extension) == 1);
        CHECK(reply.header("content-type") == types.at(extension));
        ++files;
    }
    CHECK(files == http::detail::embedded_pages().size());
    CHECK(f.send(verb::get, "/").body == source_of("index.html"));
}

TEST_CASE("Pages: a CSP without inline script - no framing - revalidated with an ETag", "[http][pages]")
{
    auto f = with_pages();
    auto page = f.send(verb::get, "/");
    REQUIRE(page.status == 200);
    const std::string csp = page.header("content-security-policy");
    CHECK(csp.find("script-src 'self';") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);
    CHECK(csp.find("unsafe-eval") == std::string::npos);
    CHECK(csp.find("default-src 'none'") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("connect-src 'self';") != std::string::npos);
    CHECK(csp.find("img-src 'self' blob:;") != std::string::npos);
    CHECK(csp.find("base-uri 'none'") != std::string::npos);
    CHECK(csp.find("style-src 'self';") != std::string::npos);
    CHECK(page.header("x-frame-options") == "DENY");
    CHECK(page.header("x-content-type-options") == "nosniff");
    CHECK(page.header("referrer-policy") == "no-referrer");
    CHECK(page.header("cache-control") == "no-cache");
    // No script in the page itself: the policy would refuse it.
    CHECK(page.body.find("<script>") == std::string::npos);

    const std::string etag = page.header("etag");
    REQUIRE(etag.size() == 66);
    auto again = f.send(verb::get, "/", {}, {{"If-None-Match", etag}});
    CHECK(again.status == 304);
    CHECK(again.body.empty());
    CHECK(again.header("etag") == etag);
    // No length rather than a wrong one (RFC 9110: a 304's Content-Length is the 200's).
    CHECK(again.headers.count("content-length") == 0);
    CHECK(again.header("content-type").empty());
    auto head_again = f.send(verb::head, "/", {}, {{"If-None-Match", etag}});
    CHECK(head_again.status == 304);
    CHECK(head_again.headers.count("content-length") == 0);
    CHECK(f.send(verb::get, "/", {}, {{"If-None-Match", "W/" + etag + ", \"other\""}}).status == 304);
    CHECK(f.send(verb::get, "/", {}, {{"If-None-Match", "\"other\",\t" + etag}}).status == 304);
    CHECK(f.send(verb::get, "/", {}, {{"If-None-Match", "*"}}).status == 304);
    CHECK(f.send(verb::get, "/", {}, {{"If-None-Match", "\"other\""}}).status == 200);
    CHECK(f.send(verb::get, "/", {}, {{"If-None-Match", "x" + etag}}).status == 200);
    CHECK(f.send(verb::get, "/", {}, {{"If-None-Match", etag.substr(0, 20)}}).status == 200);
    CHECK(f.send(verb::get, "/app.css", {}, {{"If-None-Match", etag}}).status == 200);

    auto head = f.send(verb::head, "/js/main.js");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("content-length") == std::to_string(source_of("js/main.js").size()));
}

TEST_CASE("Pages: config.json names this origin's /auth prefix", "[http][pages]")
{
    auto f = HttpFixture([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.pages_prefix = "/app";  // the slash is added
        s.auth_prefix = "/api/auth";
    });
    auto by_email = HttpFixture([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.pages_prefix = "/";
        s.auth_login_field = LoginField::email;
    });
    CHECK(by_email.send(verb::get, "/config.json").body == R"({"api":"","auth_prefix":"/auth/","login_field":"email"})");
    // Without the /auth routes the pages could do nothing: not served.
    auto no_auth = HttpFixture([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.pages_prefix = "/";
        s.auth_prefix.clear();
    });
    CHECK(no_auth.send(verb::get, "/").status == 404);
    auto config = f.send(verb::get, "/app/config.json");
    REQUIRE(config.status == 200);
    CHECK(config.header("content-type") == "application/json");
    CHECK(config.body == R"({"api":"","auth_prefix":"/api/auth/","login_field":"username"})");
    CHECK(f.send(verb::get, "/app/").body == source_of("index.html"));
    auto bare = f.send(verb::get, "/app");
    CHECK(bare.status == 301);
    CHECK(bare.header("location") == "/app/");
    CHECK(f.send(verb::get, "/index.html").status == 404);

    // "//host/" never becomes a redirect off the site.
    auto slashes = HttpFixture([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.pages_prefix = "//evil.example/"; });
    auto redirect = slashes.send(verb::get, "/evil.example");
    CHECK(redirect.status == 301);
    CHECK(redirect.header("location") == "/evil.example/");
}

TEST_CASE("Pages: errors - unknown files, other methods, off by default, routes first", "[http][pages]")
{
    auto f = with_pages();
    const std::string not_found = R"({"detail":"Not found."})";
    for (const char* path : {"/nope.js", "/js/", "/js/../index.html", "/%2e%2e/etc/passwd", "/index.html/", "/JS/main.js"}) {
        INFO(path);
        auto reply = f.send(verb::get, path);
        CHECK(reply.status == 404);
        CHECK(reply.body == not_found);
    }
    auto post = f.send(verb::post, "/", "x=1", {{"Content-Type", "application/x-www-form-urlencoded"}});
    CHECK(post.status == 405);
    CHECK(post.header("allow") == "GET, HEAD");
    CHECK(f.send(verb::delete_, "/js/main.js").status == 405);
    // The API's routes are untouched by pages at "/".
    CHECK(f.send(verb::get, "/auth/").status == 200);
    CHECK(f.send(verb::get, "/healthz").status == 200);
    CHECK(f.send(verb::get, "/auth/users/me/").status == 401);

    CHECK(f.handler->owns("/"));
    CHECK(f.handler->owns("/js/main.js?x=1"));
    CHECK(f.handler->owns("/config.json"));
    CHECK_FALSE(f.handler->owns("/nope.js"));

    HttpFixture plain;
    CHECK_FALSE(plain.handler->owns("/"));
    CHECK_FALSE(plain.handler->owns("/js/main.js"));
    CHECK(plain.send(verb::get, "/").status == 404);
    CHECK(plain.send(verb::get, "/js/main.js").status == 404);
    CHECK(plain.send(verb::get, "/config.json").status == 404);
}
