// /auth: jwt/create, jwt/refresh, jwt/verify and the Authorization header.
#include "http_fixture.hpp"

#include <thread>

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {
json::object tokens_of(HttpFixture& f, const std::string& username)
{
    auto reply = f.post("/auth/jwt/create/", json::object{{"username", username}, {"password", strong_password}});
    REQUIRE(reply.status == 200);
    return reply.json().as_object();
}
}  // namespace

TEST_CASE("jwt/create with auth_login_field email: the body's email logs in - errors under its name",
          "[http][auth][jwt]")
{
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.auth_login_field = LoginField::email; });
    f.make_user("amy");
    auto reply = f.post("/auth/jwt/create/", json::object{{"email", "AMY@example.com"}, {"password", strong_password}});
    CHECK(reply.status == 200);
    CHECK(reply.body.rfind("{\"refresh\":\"", 0) == 0);
    // The username is no login any more: the field is missing.
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}}).body ==
          R"({"email":["This field is required."]})");
    CHECK(f.post("/auth/jwt/create/", json::object{{"email", "amy"}, {"password", strong_password}}).status == 401);
    CHECK(f.post("/auth/jwt/create/", json::object{{"email", ""}, {"password", ""}}).body ==
          R"({"email":["This field may not be blank."],"password":["This field may not be blank."]})");
    CHECK(f.post("/auth/jwt/create/", json::object{{"email", "amy@example.com"}, {"password", "wrong-password-1"}}).body ==
          R"({"detail":"No active account found with the given credentials"})");
}

TEST_CASE("jwt/create with auth_login_field username_or_email: the body's username matches either", "[http][auth][jwt]")
{
    HttpFixture f(
        [](Config&, http::HttpSettings& s, http::ServerSettings&) { s.auth_login_field = LoginField::username_or_email; });
    f.make_user("amy");
    for (const char* login : {"amy", "amy@example.com"})
        CHECK(f.post("/auth/jwt/create/", json::object{{"username", login}, {"password", strong_password}}).status == 200);
}

TEST_CASE("jwt/create: refresh then access - the generic 401 - required fields", "[http][auth][jwt]")
{
    HttpFixture f;
    f.make_user("amy");
    auto reply = f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}});
    REQUIRE(reply.status == 200);
    CHECK(reply.body.rfind("{\"refresh\":\"", 0) == 0);
    CHECK(reply.json().as_object().size() == 2);
    for (auto [user, password] : {std::pair{"amy", "wrong-password-1"}, std::pair{"ghost", strong_password.c_str()}}) {
        auto bad = f.post("/auth/jwt/create/", json::object{{"username", user}, {"password", password}});
        CHECK(bad.status == 401);
        CHECK(bad.body == R"({"detail":"No active account found with the given credentials"})");
        CHECK(bad.header("www-authenticate") == "Bearer realm=\"api\"");
    }
    CHECK(f.post("/auth/jwt/create/", json::object{}).body ==
          R"({"username":["This field is required."],"password":["This field is required."]})");
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", ""}, {"password", ""}}).body ==
          R"({"username":["This field may not be blank."],"password":["This field may not be blank."]})");
    CHECK(f.post("/auth/jwt/create/", json::parse(R"({"username":null,"password":1})")).body ==
          R"({"username":["This field may not be null."]})");
    // Form bodies too.
    CHECK(f.send(verb::post, "/auth/jwt/create/", "username=amy&password=" + strong_password,
                 {{"Content-Type", "application/x-www-form-urlencoded"}})
              .status == 200);
}

TEST_CASE("jwt/refresh and jwt/verify", "[http][auth][jwt]")
{
    HttpFixture f;
    f.make_user("ben");
    auto tokens = tokens_of(f, "ben");
    auto refreshed = f.post("/auth/jwt/refresh/", json::object{{"refresh", tokens.at("refresh")}});
    REQUIRE(refreshed.status == 200);
    CHECK(refreshed.json().as_object().size() == 1);
    const std::string access(refreshed.json().at("access").as_string());
    CHECK(f.send(verb::get, "/auth/users/me/", {}, {{"Authorization", "JWT " + access}}).status == 200);

    CHECK(f.post("/auth/jwt/refresh/", json::object{}).body == R"({"refresh":["This field is required."]})");
    CHECK(f.post("/auth/jwt/refresh/", json::object{{"refresh", "abc"}}).body ==
          R"({"detail":"Token is invalid or expired","code":"token_not_valid"})");
    CHECK(f.post("/auth/jwt/refresh/", json::object{{"refresh", tokens.at("access")}}).body ==
          R"({"detail":"Token has wrong type","code":"token_not_valid"})");

    CHECK(f.post("/auth/jwt/verify/", json::object{{"token", tokens.at("access")}}).body == "{}");
    CHECK(f.post("/auth/jwt/verify/", json::object{{"token", tokens.at("refresh")}}).status == 200);
    auto bad = f.post("/auth/jwt/verify/", json::object{{"token", "x"}});
    CHECK(bad.status == 401);
    CHECK(bad.body == R"({"detail":"Token is invalid or expired","code":"token_not_valid"})");
    CHECK(f.post("/auth/jwt/verify/", json::object{{"token", ""}}).body == R"({"token":["This field may not be blank."]})");
}

TEST_CASE("Refresh rotation - when configured - answers a new refresh token", "[http][auth][jwt]")
{
    HttpFixture f([](Config& c, http::HttpSettings&, http::ServerSettings&) { c.rotate_refresh_tokens = true; });
    f.make_user("cy");
    auto tokens = tokens_of(f, "cy");
    auto refreshed = f.post("/auth/jwt/refresh/", json::object{{"refresh", tokens.at("refresh")}});
    REQUIRE(refreshed.status == 200);
    CHECK(refreshed.json().as_object().contains("refresh"));
}

TEST_CASE("Rotation over HTTP: a replayed refresh token ends its session", "[http][auth][jwt]")
{
    HttpFixture f([](Config& c, http::HttpSettings&, http::ServerSettings&) {
        c.rotate_refresh_tokens = true;
        c.refresh_reuse_interval = std::chrono::seconds(0);
    });
    f.make_user("rex");
    auto tokens = tokens_of(f, "rex");
    auto renewed = f.post("/auth/jwt/refresh/", json::object{{"refresh", tokens.at("refresh")}});
    REQUIRE(renewed.status == 200);
    const std::string access(renewed.json().at("access").as_string());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the (zero) reuse interval
    auto replay = f.post("/auth/jwt/refresh/", json::object{{"refresh", tokens.at("refresh")}});
    CHECK(replay.status == 401);
    CHECK(replay.body == R"({"detail":"Token is invalid or expired","code":"token_not_valid"})");
    CHECK(f.send(verb::get, "/auth/users/me/", {}, {{"Authorization", "Bearer " + access}}).status == 401);
}

TEST_CASE("The Authorization header as simplejwt reads it", "[http][auth][jwt]")
{
    HttpFixture f;
    f.make_user("dee");
    auto tokens = tokens_of(f, "dee");
    const std::string access(tokens.at("access").as_string());
    const std::string refresh(tokens.at("refresh").as_string());
    const auto me = [&](const std::string& header) {
        return f.send(verb::get, "/auth/users/me/", {}, {{"Authorization", header}});
    };
    CHECK(me("Bearer " + access).status == 200);
    CHECK(me("JWT " + access).status == 200);
    CHECK(me("Bearer  " + access).status == 200);  // runs of spaces split like Python's split()
    CHECK(me("Token " + access).body == R"({"detail":"Authentication credentials were not provided."})");
    CHECK(me("bearer " + access).status == 401);
    const std::string two_values =
        R"({"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"})";
    CHECK(me("Bearer").body == two_values);
    CHECK(me("Bearer a b").body == two_values);
    CHECK(me("Bearer xyz").body ==
          R"({"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]})");
    CHECK(me("Bearer " + refresh).body ==
          R"({"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token has wrong type"}]})");
    // A bad token is refused even on open endpoints, as DRF authenticates first.
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "a@b.co"}}, {{"Authorization", "Bearer xyz"}}).status ==
          401);
    // But not on the jwt views, which authenticate nobody.
    CHECK(f.post("/auth/jwt/create/", json::object{}, {{"Authorization", "Bearer xyz"}}).status == 400);
}

TEST_CASE("A token of one session: set_password ends the others - reset ends all - delete kills all", "[http][auth][jwt]")
{
    HttpFixture f;
    f.make_user("eve");
    auto mine = tokens_of(f, "eve");
    auto other = tokens_of(f, "eve");
    const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + std::string(mine.at("access").as_string())}};
    const std::map<std::string, std::string> other_auth{
        {"Authorization", "Bearer " + std::string(other.at("access").as_string())}};
    const std::string next = "Another-Secret-Phrase-8";
    REQUIRE(f.post("/auth/users/set_password/",
                   json::object{{"new_password", next}, {"re_new_password", next}, {"current_password", strong_password}},
                   auth)
                .status == 204);
    CHECK(f.send(verb::get, "/auth/users/me/", {}, auth).status == 200);
    CHECK(f.send(verb::get, "/auth/users/me/", {}, other_auth).status == 401);
    CHECK(f.post("/auth/jwt/refresh/", json::object{{"refresh", other.at("refresh")}}).status == 401);

    REQUIRE(f.send(verb::delete_, "/auth/users/me/", json::serialize(json::object{{"current_password", next}}), auth)
                .status == 204);
    auto gone = f.send(verb::get, "/auth/users/me/", {}, auth);
    CHECK(gone.status == 401);
    CHECK(gone.body == R"({"detail":"User not found","code":"user_not_found"})");
    CHECK(f.post("/auth/jwt/verify/", json::object{{"token", mine.at("access")}}).status == 401);
    CHECK(f.post("/auth/jwt/refresh/", json::object{{"refresh", mine.at("refresh")}}).status == 401);
}

TEST_CASE("POST jwt/blacklist/: the login's session ends - its tokens stop working - errors as refresh", "[http][auth][tokens]")
{
    HttpFixture f;
    f.make_user("amy");
    auto pair = f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}}).json();
    const std::string refresh(pair.at("refresh").as_string());
    const std::string access(pair.at("access").as_string());
    auto other = f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}}).json();

    // An access token is the wrong type, and ends nothing.
    auto wrong = f.post("/auth/jwt/blacklist/", json::object{{"refresh", access}});
    CHECK(wrong.status == 401);
    CHECK(wrong.body == R"({"detail":"Token has wrong type","code":"token_not_valid"})");
    CHECK(f.send(bhttp::verb::get, "/auth/users/me/", {}, {{"Authorization", "Bearer " + access}}).status == 200);

    auto done = f.post("/auth/jwt/blacklist/", json::object{{"refresh", refresh}});
    CHECK(done.status == 200);
    CHECK(done.body == "{}");
    CHECK(f.post("/auth/jwt/refresh/", json::object{{"refresh", refresh}}).status == 401);
    CHECK(f.send(bhttp::verb::get, "/auth/users/me/", {}, {{"Authorization", "Bearer " + access}}).status == 401);
    // Once only; the other login goes on.
    CHECK(f.post("/auth/jwt/blacklist/", json::object{{"refresh", refresh}}).body ==
          R"({"detail":"Token is invalid or expired","code":"token_not_valid"})");
    CHECK(f.post("/auth/jwt/refresh/", json::object{{"refresh", other.at("refresh")}}).status == 200);

    CHECK(f.post("/auth/jwt/blacklist/", json::object{}).body == R"({"refresh":["This field is required."]})");
    CHECK(f.post("/auth/jwt/blacklist/", json::object{{"refresh", ""}}).body == R"({"refresh":["This field may not be blank."]})");
    CHECK(f.post("/auth/jwt/blacklist/", json::object{{"refresh", "not.a.token"}}).status == 401);
    CHECK(f.send(bhttp::verb::post, "/auth/jwt/blacklist/", "{", {{"Content-Type", "application/json"}}).status == 400);
    CHECK(f.send(bhttp::verb::get, "/auth/jwt/blacklist/").status == 405);
}
