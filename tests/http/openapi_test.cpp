// GET /openapi.json: docs/openapi.json, embedded at build time, holds every route of both route
// tables and nothing else; custom prefixes are served; the setting turns it off.
// (tests/openapi/validate_answers.py checks the suite's real answers against the same document.)
#include "auth/routes.hpp"
#include "common/openapi.hpp"
#include "users/routes.hpp"

#include "http_fixture.hpp"

#include <regex>
#include <set>

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;
namespace hd = usermgmt::http::detail;

namespace {

using Operation = std::pair<std::string, std::string>;  // METHOD, path with "{}" for each parameter

std::string upper(std::string_view text)
{
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string pattern_of(const hd::Route& route)
{
    std::string out;
    for (const auto& segment : route.segments) out += (out.empty() ? "" : "/") + segment;
    return route.trailing_slash ? out + "/" : out;
}

// What the route tables serve, under the default prefixes, plus what the handler and the /auth
// style answer outside their tables (the API root, health, this document).
std::set<Operation> served_operations()
{
    std::set<Operation> out{{"GET", "/auth/"}, {"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/openapi.json"},
                            {"GET", "/metrics"}};
    const auto auth_users = hd::auth_users_routes();
    for (const auto& route : auth_users.routes())
        for (const auto& [method, endpoint] : route.endpoints) out.emplace(upper(bhttp::to_string(method)), "/auth/" + pattern_of(route));
    // simplejwt's routes match as prefixes; Djoser's URLs end with a slash.
    for (const auto& [name, route] : hd::auth_jwt_routes())
        for (const auto& [method, endpoint] : route.endpoints) out.emplace(upper(bhttp::to_string(method)), "/auth/" + name + "/");
    const auto users = hd::users_routes();
    for (const auto& route : users.routes()) {
        const std::string pattern = pattern_of(route);
        for (const auto& [method, endpoint] : route.endpoints)
            out.emplace(upper(bhttp::to_string(method)), pattern.empty() ? "/users" : "/users/" + pattern);
    }
    return out;
}

// The operations of a document, each `{name}` as "{}".
std::set<Operation> documented_operations(const json::value& document)
{
    static const std::regex parameter(R"(\{[^}/]+\})");
    std::set<Operation> out;
    for (const auto& [path, item] : document.at("paths").as_object())
        for (const auto& [key, value] : item.as_object())
            if (std::set<std::string_view>{"get", "put", "post", "delete", "options", "head", "patch", "trace"}.contains(key))
                out.emplace(upper(key), std::regex_replace(std::string(path), parameter, "{}"));
    return out;
}

std::string listed(const std::set<Operation>& operations)
{
    std::string out;
    for (const auto& [method, path] : operations) out += "\n  " + method + " " + path;
    return out;
}

std::set<std::string> path_keys(const json::value& document)
{
    std::set<std::string> out;
    for (const auto& [path, item] : document.at("paths").as_object()) out.emplace(path);
    return out;
}

json::value served_document(HttpFixture& f)
{
    auto reply = f.send(verb::get, "/openapi.json");
    REQUIRE(reply.status == 200);
    CHECK(reply.header("content-type") == "application/json");
    return json::parse(reply.body);
}

}  // namespace

TEST_CASE("Every route of every table carries its Allow header", "[http][openapi]")
{
    // An endpoint set around Route::set would leave an empty Allow on every answer of its route
    // (as the jwt routes had until 2026-11-30).
    // A table's routes: some method, then OPTIONS, in each one's Allow.
    const auto each_allows_methods = [](const hd::RouteTable& table) {
        for (const auto& route : table.routes()) {
            INFO(pattern_of(route));
            CHECK(route.allow().ends_with("OPTIONS"));
            CHECK(route.allow().size() > std::string_view("OPTIONS").size());
        }
    };
    each_allows_methods(hd::auth_users_routes());
    for (const auto& [name, route] : hd::auth_jwt_routes()) {
        INFO(name);
        CHECK(route.allow() == "POST, OPTIONS");
    }
    each_allows_methods(hd::users_routes());
}

TEST_CASE("openapi.json lists every route of both route tables - and no other", "[http][openapi]")
{
    const auto document = json::parse(hd::embedded_openapi_document());
    const auto served = served_operations();
    const auto documented = documented_operations(document);
    std::set<Operation> undocumented, unserved;
    std::set_difference(served.begin(), served.end(), documented.begin(), documented.end(),
                        std::inserter(undocumented, undocumented.end()));
    std::set_difference(documented.begin(), documented.end(), served.begin(), served.end(),
                        std::inserter(unserved, unserved.end()));
    INFO("served but not in docs/openapi.json:" << listed(undocumented));
    INFO("in docs/openapi.json but not served:" << listed(unserved));
    CHECK(undocumented.empty());
    CHECK(unserved.empty());
    CHECK(served.size() > 30);  // the tables were read at all

    // simplejwt's routes match as prefixes: the document marks them, and only them.
    std::set<std::string> prefix_routes, marked;
    for (const auto& [name, route] : hd::auth_jwt_routes()) prefix_routes.insert("/auth/" + name + "/");
    for (const auto& [path, item] : document.at("paths").as_object())
        if (const auto* mark = item.as_object().if_contains("x-prefix-match"); mark && *mark == true) marked.emplace(path);
    CHECK(marked == prefix_routes);
}

TEST_CASE("GET /openapi.json: the embedded document - HEAD - no other method", "[http][openapi]")
{
    HttpFixture f;
    auto reply = f.send(verb::get, "/openapi.json");
    REQUIRE(reply.status == 200);
    CHECK(reply.header("content-type") == "application/json");
    CHECK(reply.body == hd::embedded_openapi_document());
    const auto document = json::parse(reply.body);
    CHECK(document.at("openapi") == "3.1.0");
    CHECK(document.at("paths").as_object().contains("/auth/users/me/"));
    CHECK(document.at("paths").as_object().contains("/users/{id}"));
    CHECK(f.handler->owns("/openapi.json"));
    CHECK(f.handler->owns("/openapi.json?x=1"));

    auto head = f.send(verb::head, "/openapi.json");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("content-length") == std::to_string(reply.body.size()));
    auto post = f.send(verb::post, "/openapi.json", "{}");
    CHECK(post.status == 405);
    CHECK(post.body == R"({"detail":"Method not allowed."})");
}

TEST_CASE("openapi.json: the configured prefixes in place of the defaults", "[http][openapi]")
{
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.auth_prefix = "/api/auth";    // the handler adds the slash
        s.users_prefix = "/api/people/";  // and drops this one
    });
    const auto document = served_document(f);
    const auto keys = path_keys(document);
    for (const char* path : {"/api/auth/", "/api/auth/users/me/", "/api/auth/users/{id}/", "/api/auth/jwt/create/",
                             "/api/people", "/api/people/login", "/api/people/{id}", "/healthz", "/readyz", "/openapi.json"})
        CHECK(keys.contains(path));
    for (const auto& key : keys) {
        INFO(key);
        CHECK_FALSE(key.starts_with("/auth/"));
        CHECK_FALSE(key.starts_with("/users"));
    }
    // The same operations as under the default prefixes, moved.
    CHECK(keys.size() == path_keys(json::parse(hd::embedded_openapi_document())).size());
    const auto& styles = document.at("x-usermgmt-routing").at("styles");
    CHECK(styles.at("auth").at("prefix") == "/api/auth/");
    CHECK(styles.at("users").at("prefix") == "/api/people");
    // And those paths are the ones served.
    CHECK(f.send(verb::get, "/api/auth/users/me/").status == 401);
    CHECK(f.send(verb::get, "/api/people/login").status == 405);
}

TEST_CASE("openapi.json: a disabled style's paths are left out", "[http][openapi]")
{
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.users_prefix.clear(); });
    const auto document = served_document(f);
    for (const auto& key : path_keys(document)) {
        INFO(key);
        CHECK_FALSE(key.starts_with("/users"));
    }
    CHECK(path_keys(document).contains("/auth/users/"));
    CHECK_FALSE(document.at("x-usermgmt-routing").at("styles").as_object().contains("users"));
}

TEST_CASE("serve_openapi = false: /openapi.json is not found - and not the handler's", "[http][openapi]")
{
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.serve_openapi = false; });
    auto reply = f.send(verb::get, "/openapi.json");
    CHECK(reply.status == 404);
    CHECK(reply.body == R"({"detail":"Not found."})");
    CHECK_FALSE(f.handler->owns("/openapi.json"));
    CHECK(f.send(verb::get, "/healthz").status == 200);
}
