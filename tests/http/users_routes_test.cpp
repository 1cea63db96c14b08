// The Express-style /users routes over loopback, each with its error cases.
#include "http_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

json::object signup(const std::string& email)
{
    return {{"email", email},  {"firstname", "First"}, {"lastname", "Last"}, {"password", strong_password},
            {"birthdate", "01-01-2000"}, {"groups", json::array{}}, {"avatar", "avatar"}};
}

// Registers through /users; returns {id, access token}.
std::pair<std::string, std::string> register_user(HttpFixture& f, const std::string& email)
{
    auto reply = f.post("/users", signup(email));
    REQUIRE(reply.status == 201);
    auto body = reply.json().as_object();
    return {std::string(body.at("user").at("id").as_string()), std::string(body.at("accessToken").as_string())};
}

std::map<std::string, std::string> bearer(const std::string& token)
{
    return {{"Authorization", "Bearer " + token}};
}

}  // namespace

TEST_CASE("POST /users registers an active account and answers a token", "[http][users]")
{
    HttpFixture f;
    auto reply = f.post("/users", signup("test@gmail.com"));
    REQUIRE(reply.status == 201);
    auto body = reply.json().as_object();
    CHECK(body.at("message") == "User test@gmail.com created");
    CHECK(body.at("user").at("email") == "test@gmail.com");
    CHECK(body.at("user").at("id").is_string());
    CHECK(body.begin()->key() == "accessToken");  // the document's order
    const std::string token(body.at("accessToken").as_string());
    // One day by default for this style.
    auto claims = f.service->verify_token(token);
    REQUIRE(claims);
    CHECK(claims->expires_at - claims->issued_at == 86400);
    // The same account works in the /auth style, under a username derived from the email.
    auto me = f.send(verb::get, "/auth/users/me/", {}, bearer(token));
    CHECK(me.status == 200);
    CHECK(me.json().at("username") == "test@gmail.com");
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "test@gmail.com"}, {"password", strong_password}}).status == 200);
}

TEST_CASE("POST /users errors: fields, weak password, taken email, groups, types", "[http][users]")
{
    HttpFixture f;
    auto empty = f.post("/users", json::object{});
    CHECK(empty.status == 400);
    CHECK(empty.json().at("errors").as_object().contains("email"));
    CHECK(empty.json().at("errors").as_object().contains("password"));
    CHECK(empty.json().at("message").is_string());

    auto weak = signup("weak@example.com");
    weak["password"] = "azerty";
    auto weak_reply = f.post("/users", weak);
    CHECK(weak_reply.status == 400);
    CHECK(weak_reply.json().at("errors").at("password") ==
          "This password is too short. It must contain at least 8 characters. This password is too common.");

    auto bad_date = signup("date@example.com");
    bad_date["birthdate"] = "31-02-2000";
    CHECK(f.post("/users", bad_date).json().at("errors").as_object().contains("birthdate"));
    auto future = signup("future@example.com");
    future["birthdate"] = "2999-01-01";
    CHECK(f.post("/users", future).json().at("errors").at("birthdate") == "Birthdate cannot be in the future.");
    auto iso = signup("iso@example.com");
    iso["birthdate"] = "1999-12-31";
    auto iso_reply = f.post("/users", iso);
    REQUIRE(iso_reply.status == 201);
    const auto iso_token = std::string(iso_reply.json().at("accessToken").as_string());
    CHECK(f.send(verb::get, "/users/" + std::string(iso_reply.json().at("user").at("id").as_string()), {}, bearer(iso_token))
              .json()
              .at("birthdate") == "1999-12-31T00:00:00.000Z");

    auto wrong_types = signup("types@example.com");
    wrong_types["firstname"] = 5;
    wrong_types["groups"] = "admins";
    auto types = f.post("/users", wrong_types);
    CHECK(types.status == 400);
    CHECK(types.json().at("errors").at("firstname") == "must be a string");
    CHECK(types.json().at("errors").at("groups") == "must be an array of strings");

    REQUIRE(f.post("/users", signup("taken@example.com")).status == 201);
    auto taken = f.post("/users", signup("TAKEN@example.com"));
    CHECK(taken.status == 409);
    CHECK(taken.json().at("errors").as_object().contains("email"));

    auto grouped = signup("grouped@example.com");
    grouped["groups"] = json::array{"admins"};
    auto forbidden = f.post("/users", grouped);
    CHECK(forbidden.status == 403);
    CHECK(forbidden.json().as_object().contains("message"));

    CHECK(f.send(verb::post, "/users", "not json", {{"Content-Type", "application/json"}}).status == 400);
    CHECK(f.send(verb::post, "/users", "[]").json().at("message") == "The body must be a JSON object.");
    CHECK(f.send(verb::post, "/users", "x", {{"Content-Type", "text/plain"}}).status == 415);
}

TEST_CASE("With activation required, POST /users sends a link and no token", "[http][users]")
{
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.users_require_activation = true; });
    auto reply = f.post("/users", signup("late@example.com"));
    REQUIRE(reply.status == 201);
    CHECK_FALSE(reply.json().as_object().contains("accessToken"));
    CHECK(f.last_mail().find("#/activate/") != std::string::npos);
    CHECK(f.post("/users/login", json::object{{"email", "late@example.com"}, {"password", strong_password}}).status == 401);
}

TEST_CASE("POST /users/login answers the user with a token" , "[http][users]")
{
    HttpFixture f;
    register_user(f, "amy@example.com");
    auto reply = f.post("/users/login", json::object{{"email", "AMY@example.com"}, {"password", strong_password}});
    REQUIRE(reply.status == 200);
    auto user = reply.json().at("user").as_object();
    CHECK(user.at("email") == "amy@example.com");
    CHECK(user.at("id").is_string());
    CHECK(f.send(verb::get, "/users", {}, {{"x-access-token", std::string(user.at("accessToken").as_string())}}).status == 200);

    auto wrong = f.post("/users/login", json::object{{"email", "amy@example.com"}, {"password", "nope-nope-1"}});
    CHECK(wrong.status == 401);
    CHECK(wrong.body == R"({"message":"Invalid email or password."})");
    CHECK(f.post("/users/login", json::object{{"email", "ghost@example.com"}, {"password", strong_password}}).body == wrong.body);
    auto missing = f.post("/users/login", json::object{});
    CHECK(missing.status == 400);
    CHECK(missing.json().at("errors").as_object().contains("email"));
    // Express routes ignore the case of the path.
    CHECK(f.post("/USERS/Login", json::object{{"email", "amy@example.com"}, {"password", strong_password}}).status == 200);
}

TEST_CASE("POST /users/logout: the token stops working at once", "[http][users]")
{
    HttpFixture f;
    auto [id, token] = register_user(f, "amy@example.com");
    auto reply = f.send(verb::post, "/users/logout", {}, bearer(token));
    REQUIRE(reply.status == 200);
    CHECK(reply.body == R"({"success":true,"message":"User Logged out"})");
    auto after = f.send(verb::get, "/users/" + id, {}, bearer(token));
    CHECK(after.status == 401);
    CHECK(after.body == R"({"message":"Invalid or expired token."})");
    CHECK(f.send(verb::get, "/auth/users/me/", {}, bearer(token)).status == 401);
    CHECK(f.send(verb::post, "/users/logout").body == R"({"message":"No token provided."})");
}

TEST_CASE("Tokens work across the two styles" , "[http][users]")
{
    HttpFixture f;
    f.make_user("authuser");
    const auto auth_header = f.bearer("authuser");
    // An /auth account and its /auth token on /users.
    auto list = f.send(verb::get, "/users", {}, auth_header);
    REQUIRE(list.status == 200);
    const std::string id(list.json().as_array()[0].at("_id").as_string());
    CHECK(f.send(verb::get, "/users/" + id, {}, auth_header).json().at("email") == "authuser@example.com");
    // And the reverse.
    auto [other_id, token] = register_user(f, "users@example.com");
    CHECK(f.send(verb::get, "/auth/users/" + other_id + "/", {}, bearer(token)).status == 200);
    CHECK(f.send(verb::get, "/auth/users/" + other_id + "/", {}, {{"Authorization", "JWT " + token}}).status == 200);
}

TEST_CASE("Reset password: same answer for any address - the token works once", "[http][users][reset]")
{
    HttpFixture f;
    auto [id, session] = register_user(f, "amy@example.com");
    const auto mails = f.mail_count();
    auto unknown = f.post("/users/reset-password", json::object{{"email", "ghost@example.com"}});
    CHECK(unknown.status == 200);
    CHECK(unknown.body == R"({"message":"Reset Password successfully. An email sent you on ghost@example.com"})");
    CHECK(f.mail_count() == mails);
    auto known = f.post("/users/reset-password", json::object{{"email", "amy@example.com"}});
    CHECK(known.body == R"({"message":"Reset Password successfully. An email sent you on amy@example.com"})");
    CHECK(f.mail_count() == mails + 1);
    CHECK(f.post("/users/reset-password", json::object{{"email", "bad"}}).status == 400);

    // The link carries the token alone; 64 hex characters.
    const std::string mail = f.last_mail();
    const auto at = mail.find("#/reset-password/");
    REQUIRE(at != std::string::npos);
    const std::string token = mail.substr(at + 17, 64);
    CHECK(token.find_first_not_of("0123456789abcdef") == std::string::npos);

    CHECK(f.post("/users/valid-password-token", json::object{{"resettoken", token}}).body ==
          R"({"message":"Token verified successfully."})");
    auto bad = f.post("/users/valid-password-token", json::object{{"resettoken", std::string(64, '0')}});
    CHECK(bad.status == 400);
    CHECK(bad.json().at("errors").as_object().contains("resettoken"));

    auto weak = f.post("/users/ResetPassword", json::object{{"resettoken", token}, {"newPassword", "123"}});
    CHECK(weak.status == 400);
    CHECK(weak.json().at("errors").as_object().contains("newPassword"));
    auto done = f.post("/users/ResetPassword", json::object{{"resettoken", token}, {"newPassword", "Another-Secret-Phrase-8"}});
    CHECK(done.body == R"({"message":"Password reset successfully"})");
    auto twice = f.post("/users/ResetPassword", json::object{{"resettoken", token}, {"newPassword", "Third-Secret-Phrase-9"}});
    CHECK(twice.status == 400);
    CHECK(f.post("/users/login", json::object{{"email", "amy@example.com"}, {"password", "Another-Secret-Phrase-8"}}).status ==
          200);
    CHECK(f.send(verb::get, "/users/" + id, {}, bearer(session)).status == 401);  // every session ended
}

TEST_CASE("GET /users: staff see everyone - others themselves - paginated with X-Total-Count", "[http][users]")
{
    HttpFixture f;
    auto [amy, amy_token] = register_user(f, "amy@example.com");
    register_user(f, "ben@example.com");
    register_user(f, "cat@example.com");
    f.make_superuser("root");
    auto mine = f.send(verb::get, "/users", {}, bearer(amy_token));
    CHECK(mine.json().as_array().size() == 1);
    CHECK(mine.header("x-total-count") == "1");
    const auto root = f.bearer("root");
    auto all = f.send(verb::get, "/users", {}, root);
    CHECK(all.json().as_array().size() == 4);
    auto page = f.send(verb::get, "/users?limit=2&offset=1", {}, root);
    CHECK(page.json().as_array().size() == 2);
    CHECK(page.header("x-total-count") == "4");
    CHECK(page.json().as_array()[0].at("email") == "ben@example.com");
    CHECK(f.send(verb::get, "/users?limit=abc", {}, root).status == 400);
    CHECK(f.send(verb::get, "/users?limit=0", {}, root).status == 400);
    CHECK(f.send(verb::get, "/users").status == 401);
    auto user = all.json().as_array()[1].as_object();
    for (const char* key : {"_id", "email", "firstname", "lastname", "birthdate", "avatar", "groups", "created_at", "updated_at"})
        CHECK(user.contains(key));
    CHECK(user.size() == 9);
    const std::string created(user.at("created_at").as_string());
    CHECK(created.size() == 24);  // 2000-01-01T00:00:00.000Z
    CHECK(created.back() == 'Z');
}

TEST_CASE("GET /users/:id: self and staff - others and unknown ids are not found", "[http][users]")
{
    HttpFixture f;
    auto [amy, token] = register_user(f, "amy@example.com");
    auto [ben, ben_token] = register_user(f, "ben@example.com");
    CHECK(f.send(verb::get, "/users/" + amy, {}, bearer(token)).json().at("_id") == json::value(amy));
    CHECK(f.send(verb::get, "/users/" + ben, {}, bearer(token)).status == 404);
    CHECK(f.send(verb::get, "/users/abc", {}, bearer(token)).body == R"({"message":"User not found"})");
    CHECK(f.send(verb::get, "/users/" + amy + "/", {}, bearer(token)).status == 200);  // trailing slash
    CHECK(f.send(verb::get, "/users/" + amy).status == 401);
}

TEST_CASE("PUT /users/:id: own fields and password - others are forbidden and unchanged", "[http][users]")
{
    HttpFixture f;
    auto [amy, token] = register_user(f, "amy@example.com");
    auto [ben, ben_token] = register_user(f, "ben@example.com");
    auto other_session = f.post("/users/login", json::object{{"email", "amy@example.com"}, {"password", strong_password}});
    const std::string other_token(other_session.json().at("user").at("accessToken").as_string());

    auto updated = f.send(verb::put, "/users/" + amy,
                          R"({"email":"testupdate@gmail.com","lastname":"test updating lastname","avatar":"updating avatar"})",
                          bearer(token));
    REQUIRE(updated.status == 200);
    CHECK(updated.json().at("message") == "User testupdate@gmail.com updated");
    CHECK(updated.json().at("user").at("lastname") == "test updating lastname");
    CHECK(updated.json().at("user").at("avatar") == "updating avatar");

    auto password = f.send(verb::put, "/users/" + amy, R"({"password":"Another-Secret-Phrase-8"})", bearer(token));
    CHECK(password.status == 200);
    CHECK(f.send(verb::get, "/users/" + amy, {}, bearer(token)).status == 200);       // this session lives
    CHECK(f.send(verb::get, "/users/" + amy, {}, bearer(other_token)).status == 401); // the other ended
    CHECK(f.send(verb::put, "/users/" + amy, R"({"password":"123"})", bearer(token)).status == 400);
    CHECK(f.send(verb::put, "/users/" + amy, R"({"email":"ben@example.com"})", bearer(token)).status == 409);
    CHECK(f.send(verb::put, "/users/" + amy, R"({"groups":["admins"]})", bearer(token)).status == 403);
    CHECK(f.send(verb::put, "/users/" + amy, R"({"groups":[]})", bearer(token)).status == 200);
    CHECK(f.send(verb::put, "/users/" + amy, R"({"birthdate":"2000-13-01"})", bearer(token)).status == 400);

    auto denied = f.send(verb::put, "/users/" + ben, R"({"lastname":"hacked"})", bearer(token));
    CHECK(denied.status == 403);
    CHECK(denied.json().as_object().contains("message"));
    CHECK(f.send(verb::get, "/users/" + ben, {}, bearer(ben_token)).json().at("lastname") == "Last");

    f.make_superuser("root");
    auto staff = f.send(verb::put, "/users/" + ben, R"({"groups":["editors"]})", f.bearer("root"));
    CHECK(staff.json().at("user").at("groups") == json::array{"editors"});
}

TEST_CASE("DELETE /users/:id: self or staff - others forbidden and kept", "[http][users]")
{
    HttpFixture f;
    auto [amy, token] = register_user(f, "amy@example.com");
    auto [ben, ben_token] = register_user(f, "ben@example.com");
    auto denied = f.send(verb::delete_, "/users/" + ben, {}, bearer(token));
    CHECK(denied.status == 403);
    CHECK(f.send(verb::get, "/users/" + ben, {}, bearer(ben_token)).status == 200);
    auto gone = f.send(verb::delete_, "/users/" + amy, {}, bearer(token));
    CHECK(gone.status == 200);
    CHECK(gone.body == R"({"message":"user )" + amy + R"( deleted"})");
    CHECK(f.send(verb::get, "/users/" + amy, {}, bearer(token)).status == 401);
    f.make_superuser("root");
    CHECK(f.send(verb::delete_, "/users/" + ben, {}, f.bearer("root")).status == 200);
    CHECK(f.send(verb::delete_, "/users/" + ben, {}, f.bearer("root")).status == 404);
}

TEST_CASE("Unknown paths and methods in the /users style" , "[http][users]")
{
    HttpFixture f;
    auto [amy, token] = register_user(f, "amy@example.com");
    auto patch = f.send(verb::patch, "/users/" + amy, "{}", bearer(token));
    CHECK(patch.status == 405);
    CHECK(patch.header("allow") == "GET, PUT, DELETE, HEAD, OPTIONS");
    CHECK(f.send(verb::get, "/users/a/b", {}, bearer(token)).body == R"({"message":"Not found"})");
    CHECK(f.send(verb::post, "/users", std::string(70 * 1024, ' ')).body == R"({"message":"Request body too large."})");
}
