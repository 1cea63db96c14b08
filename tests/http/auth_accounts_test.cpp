// /auth: registration, activation, resend, and the request-level rules (bodies, methods, paths).
#include "usermgmt/http/handler.hpp"

#include "http_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {
json::object registration(const std::string& name)
{
    return {{"username", name}, {"email", name + "@example.com"}, {"password", strong_password}, {"re_password", strong_password}};
}
}  // namespace

TEST_CASE("POST /auth/users/ registers an inactive account and mails the activation link", "[http][auth]")
{
    HttpFixture f;
    auto reply = f.post("/auth/users/", registration("alice"));
    REQUIRE(reply.status == 201);
    CHECK(reply.header("content-type") == "application/json");
    CHECK(reply.header("allow") == "GET, POST, HEAD, OPTIONS");
    auto body = reply.json().as_object();
    CHECK(body.at("username") == "alice");
    CHECK(body.at("is_active") == false);
    CHECK(body.at("avatar").is_null());
    CHECK(body.size() == 7);  // id, username, email, first_name, last_name, avatar, is_active
    CHECK_FALSE(body.contains("password"));
    const auto mail = f.last_mail();
    CHECK(mail.find("To: alice@example.com") != std::string::npos);
    CHECK(mail.find("http://frontend.example/#/activate/") != std::string::npos);
    // Inactive: login is refused with the generic message.
    auto login = f.post("/auth/jwt/create/", json::object{{"username", "alice"}, {"password", strong_password}});
    CHECK(login.status == 401);
}

TEST_CASE("Registration errors are DRF's field errors" , "[http][auth]")
{
    HttpFixture f;
    CHECK(f.post("/auth/users/", json::object{}).body ==
          R"({"username":["This field is required."],"email":["This field is required."],"password":["This field is required."],"re_password":["This field is required."]})");
    CHECK(f.post("/auth/users/", json::object{{"username", ""}, {"email", ""}, {"password", ""}, {"re_password", ""}}).body ==
          R"({"username":["This field may not be blank."],"email":["This field may not be blank."],"password":["This field may not be blank."],"re_password":["This field may not be blank."]})");
    CHECK(f.post("/auth/users/", json::parse(R"({"username":123,"email":["a"],"password":null,"re_password":{"a":1}})")).body ==
          R"({"email":["Enter a valid email address."],"password":["This field may not be null."],"re_password":["Not a valid string."]})");
    CHECK(f.post("/auth/users/", json::object{{"username", "bad name!"}, {"password", "x"}}).body ==
          R"({"username":["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],"email":["This field is required."],"re_password":["This field is required."]})");
    auto weak = registration("bob");
    weak["password"] = "123";
    weak["re_password"] = "456";
    CHECK(f.post("/auth/users/", weak).body ==
          R"({"password":["This password is too short. It must contain at least 8 characters.","This password is too common.","This password is entirely numeric."]})");
    auto mismatch = registration("bob");
    mismatch["re_password"] = "x";
    CHECK(f.post("/auth/users/", mismatch).body == R"({"non_field_errors":["The two password fields didn't match."]})");
    auto null_name = registration("bob");
    null_name["first_name"] = nullptr;
    CHECK(f.post("/auth/users/", null_name).body == R"({"first_name":["This field may not be null."]})");

    REQUIRE(f.post("/auth/users/", registration("bob")).status == 201);
    auto taken = registration("BOB");
    taken["email"] = "Bob@Example.com";
    auto clash = f.post("/auth/users/", taken);
    CHECK(clash.status == 400);
    CHECK(clash.body ==
          R"({"username":["A user with that username already exists."],"email":["user with this email already exists."]})");
    CHECK(f.mail_count() == 1);  // only bob's activation
}

TEST_CASE("Bodies: form-urlencoded and multipart work - bad bodies get DRF's answers", "[http][auth][body]")
{
    HttpFixture f;
    auto form = f.send(verb::post, "/auth/users/",
                       "username=formu&email=f%40example.com&password=" + strong_password + "&re_password=" + strong_password,
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
    CHECK(form.status == 201);
    const std::string multipart =
        "--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nmpu\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nm@example.com\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" + strong_password + "\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"re_password\"\r\n\r\n" + strong_password + "\r\n--XyZ--\r\n";
    CHECK(f.send(verb::post, "/auth/users/", multipart, {{"Content-Type", "multipart/form-data; boundary=XyZ"}}).status == 201);

    auto parse = f.send(verb::post, "/auth/users/", "{bad", {{"Content-Type", "application/json"}});
    CHECK(parse.status == 400);
    CHECK(parse.json().at("detail").as_string().starts_with("JSON parse error - "));
    CHECK(f.send(verb::post, "/auth/users/", "[1,2]").body ==
          R"({"non_field_errors":["Invalid data. Expected a dictionary, but got list."]})");
    CHECK(f.send(verb::post, "/auth/users/", "\"s\"").body ==
          R"({"non_field_errors":["Invalid data. Expected a dictionary, but got str."]})");
    CHECK(f.send(verb::post, "/auth/users/", "null").body == R"({"non_field_errors":["No data provided"]})");
    auto text = f.send(verb::post, "/auth/users/", "hello", {{"Content-Type", "text/plain"}});
    CHECK(text.status == 415);
    CHECK(text.body == R"({"detail":"Unsupported media type \"text/plain\" in request."})");
    auto no_boundary = f.send(verb::post, "/auth/users/", "x", {{"Content-Type", "multipart/form-data"}});
    CHECK(no_boundary.status == 400);
    CHECK(no_boundary.json().at("detail").as_string().starts_with("Multipart form parse error - "));
    // Deeply nested JSON is refused, not recursed into.
    CHECK(f.send(verb::post, "/auth/users/", std::string(5000, '[') + std::string(5000, ']')).status == 400);
}

TEST_CASE("Activation: 204 once - then 403 stale - bad uid and token are field errors", "[http][auth]")
{
    HttpFixture f;
    REQUIRE(f.post("/auth/users/", registration("carol")).status == 201);
    auto [uid, token] = f.link_parts("#/activate/");
    CHECK(f.post("/auth/users/activation/", json::object{}).body ==
          R"({"uid":["This field is required."],"token":["This field is required."]})");
    CHECK(f.post("/auth/users/activation/", json::object{{"uid", ""}, {"token", ""}}).body ==
          R"({"uid":["This field may not be blank."],"token":["This field may not be blank."]})");
    CHECK(f.post("/auth/users/activation/", json::object{{"uid", "xx"}, {"token", token}}).body ==
          R"({"uid":["Invalid user id or user doesn't exist."]})");
    CHECK(f.post("/auth/users/activation/", json::object{{"uid", uid}, {"token", "nope"}}).body ==
          R"({"token":["Invalid token for given user."]})");
    auto ok = f.post("/auth/users/activation/", json::object{{"uid", uid}, {"token", token}});
    CHECK(ok.status == 204);
    CHECK(ok.body.empty());
    CHECK(ok.header("content-type").empty());
    auto again = f.post("/auth/users/activation/", json::object{{"uid", uid}, {"token", token}});
    CHECK(again.status == 403);
    CHECK(again.body == R"({"detail":"Stale token for given user."})");
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "carol"}, {"password", strong_password}}).status == 200);
}

TEST_CASE("Resend activation: 204 for every address - mail only for inactive accounts", "[http][auth]")
{
    HttpFixture f;
    REQUIRE(f.post("/auth/users/", registration("dan")).status == 201);
    CHECK(f.post("/auth/users/resend_activation/", json::object{{"email", "dan@example.com"}}).status == 204);
    CHECK(f.mail_count() == 2);
    CHECK(f.post("/auth/users/resend_activation/", json::object{{"email", "nobody@example.com"}}).status == 204);
    CHECK(f.mail_count() == 2);
    CHECK(f.post("/auth/users/resend_activation/", json::object{}).body == R"({"email":["This field is required."]})");
    CHECK(f.post("/auth/users/resend_activation/", json::object{{"email", "bad"}}).body ==
          R"({"email":["Enter a valid email address."]})");
}

TEST_CASE("Paths and methods: 404 JSON - 301 to the slashed path - 405 after authentication", "[http][auth]")
{
    HttpFixture f;
    f.make_user("erin");
    auto missing = f.send(verb::get, "/auth/nope/");
    CHECK(missing.status == 404);
    CHECK(missing.body == R"({"detail":"Not found."})");
    auto redirect = f.send(verb::get, "/auth/users/me?x=1");
    CHECK(redirect.status == 301);
    CHECK(redirect.header("location") == "/auth/users/me/?x=1");
    // As Django's redirect: the security middleware's headers, none of the inner middleware.
    CHECK(redirect.header("content-type") == "text/html; charset=utf-8");
    CHECK(redirect.header("x-content-type-options") == "nosniff");
    CHECK(redirect.header("referrer-policy") == "same-origin");
    CHECK(redirect.header("x-frame-options").empty());
    CHECK(redirect.body.empty());
    CHECK(f.send(verb::get, "/auth").header("location") == "/auth/");
    CHECK(f.send(verb::get, "/elsewhere").status == 404);

    auto unauthenticated = f.send(verb::get, "/auth/users/activation/");
    CHECK(unauthenticated.status == 401);
    CHECK(unauthenticated.header("www-authenticate") == "Bearer realm=\"api\"");
    auto not_allowed = f.send(verb::get, "/auth/users/activation/", {}, f.bearer("erin"));
    CHECK(not_allowed.status == 405);
    CHECK(not_allowed.body == R"({"detail":"Method \"GET\" not allowed."})");
    CHECK(not_allowed.header("allow") == "POST, OPTIONS");
    // The jwt views are open to all: 405 at once. Every answer of a DRF view carries its Allow.
    auto jwt_get = f.send(verb::get, "/auth/jwt/create/");
    CHECK(jwt_get.status == 405);
    CHECK(jwt_get.header("allow") == "POST, OPTIONS");
    for (const char* jwt : {"/auth/jwt/create/", "/auth/jwt/refresh/", "/auth/jwt/verify/", "/auth/jwt/blacklist/"}) {
        INFO(jwt);
        CHECK(f.post(jwt, json::object{}).header("allow") == "POST, OPTIONS");
    }
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "erin"}, {"password", strong_password}}).header("allow") ==
          "POST, OPTIONS");
    // simplejwt's routes are prefixes.
    CHECK(f.post("/auth/jwt/create", json::object{}).status == 400);

    auto root = f.send(verb::get, "/auth/");
    CHECK(root.status == 200);
    CHECK(root.body == R"({"users":"http://127.0.0.1/auth/users/"})");
    CHECK(root.header("allow") == "GET, HEAD, OPTIONS");
    CHECK(f.send(verb::options, "/auth/").header("allow") == "GET, HEAD, OPTIONS");
    CHECK(f.send(verb::get, "/auth/", {}, f.bearer("erin")).status == 200);
    // The root is a DRF view: a bad token is refused there too, before the method is looked at.
    for (verb method : {verb::get, verb::options, verb::post}) {
        auto refused = f.send(method, "/auth/", {}, {{"Authorization", "Bearer garbage"}});
        CHECK(refused.status == 401);
        CHECK(refused.header("www-authenticate") == "Bearer realm=\"api\"");
        CHECK(refused.header("allow") == "GET, HEAD, OPTIONS");
        CHECK(refused.body.find("Given token not valid for any token type") != std::string::npos);
    }
    auto head = f.send(verb::head, "/auth/users/me/", {}, f.bearer("erin"));
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(std::stoi(head.header("content-length")) > 0);
}
