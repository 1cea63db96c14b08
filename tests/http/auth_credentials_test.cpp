// /auth: set_password, set_username, reset_password(_confirm), reset_username(_confirm).
#include "http_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {
const std::string next_password = "Another-Secret-Phrase-8";
}

TEST_CASE("set_password: 204 - DRF's field errors in the serializer's order", "[http][auth][password]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto a = f.bearer("amy");
    CHECK(f.post("/auth/users/set_password/", json::object{}, a).body ==
          R"({"new_password":["This field is required."],"re_new_password":["This field is required."],"current_password":["This field is required."]})");
    CHECK(f.post("/auth/users/set_password/", json::object{{"current_password", "wrong"}}, a).body ==
          R"({"new_password":["This field is required."],"re_new_password":["This field is required."],"current_password":["Invalid password."]})");
    CHECK(f.post("/auth/users/set_password/",
                 json::object{{"current_password", strong_password}, {"new_password", "123"}, {"re_new_password", "123"}}, a)
              .body ==
          R"({"new_password":["This password is too short. It must contain at least 8 characters.","This password is too common.","This password is entirely numeric."]})");
    CHECK(f.post("/auth/users/set_password/",
                 json::object{{"current_password", strong_password}, {"new_password", next_password}, {"re_new_password", "x"}}, a)
              .body == R"({"non_field_errors":["The two password fields didn't match."]})");
    CHECK(f.post("/auth/users/set_password/", json::object{}).status == 401);
    auto ok = f.post("/auth/users/set_password/",
                     json::object{{"current_password", strong_password}, {"new_password", next_password},
                                  {"re_new_password", next_password}},
                     a);
    CHECK(ok.status == 204);
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", next_password}}).status == 200);
}

TEST_CASE("set_username: 204 - taken and wrong password together", "[http][auth][username]")
{
    HttpFixture f;
    f.make_user("amy");
    f.make_user("ben");
    const auto a = f.bearer("amy");
    CHECK(f.post("/auth/users/set_username/", json::object{}, a).body ==
          R"({"current_password":["This field is required."],"new_username":["This field is required."]})");
    CHECK(f.post("/auth/users/set_username/", json::object{{"current_password", "wrong"}, {"new_username", "ben"}}, a).body ==
          R"({"current_password":["Invalid password."],"new_username":["A user with that username already exists."]})");
    CHECK(f.post("/auth/users/set_username/", json::object{{"current_password", strong_password}, {"new_username", "amelia"}}, a)
              .status == 204);
    CHECK(f.bearer("amelia").size() == 1);
}

TEST_CASE("reset_password: 204 for any address - confirm with the mailed uid and token", "[http][auth][reset]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto session = f.bearer("amy");
    const auto mails = f.mail_count();
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "nobody@example.com"}}).status == 204);
    CHECK(f.mail_count() == mails);
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "bad"}}).body ==
          R"({"email":["Enter a valid email address."]})");
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "amy@example.com"}}).status == 204);
    CHECK(f.mail_count() == mails + 1);
    auto [uid, token] = f.link_parts("#/password/reset/confirm/");

    CHECK(f.post("/auth/users/reset_password_confirm/", json::object{}).body ==
          R"({"uid":["This field is required."],"token":["This field is required."],"new_password":["This field is required."],"re_new_password":["This field is required."]})");
    CHECK(f.post("/auth/users/reset_password_confirm/",
                 json::object{{"uid", ""}, {"token", ""}, {"new_password", "x"}, {"re_new_password", "y"}})
              .body == R"({"uid":["This field may not be blank."],"token":["This field may not be blank."]})");
    CHECK(f.post("/auth/users/reset_password_confirm/",
                 json::object{{"uid", "bad"}, {"token", token}, {"new_password", "123"}, {"re_new_password", "123"}})
              .body.find("new_password") != std::string::npos);
    CHECK(f.post("/auth/users/reset_password_confirm/",
                 json::object{{"uid", "bad"}, {"token", token}, {"new_password", next_password}, {"re_new_password", next_password}})
              .body == R"({"uid":["Invalid user id or user doesn't exist."]})");
    CHECK(f.post("/auth/users/reset_password_confirm/",
                 json::object{{"uid", uid}, {"token", "nope"}, {"new_password", next_password}, {"re_new_password", next_password}})
              .body == R"({"token":["Invalid token for given user."]})");
    const json::object good{{"uid", uid}, {"token", token}, {"new_password", next_password}, {"re_new_password", next_password}};
    CHECK(f.post("/auth/users/reset_password_confirm/", good).status == 204);
    CHECK(f.post("/auth/users/reset_password_confirm/", good).body == R"({"token":["Invalid token for given user."]})");
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", next_password}}).status == 200);
    // Every session ended with the reset.
    CHECK(f.send(verb::get, "/auth/users/me/", {}, session).status == 401);
}

TEST_CASE("reset_username: 204 for any address - confirm with the new username", "[http][auth][reset]")
{
    HttpFixture f;
    f.make_user("amy");
    f.make_user("ben");
    CHECK(f.post("/auth/users/reset_username/", json::object{{"email", "nobody@example.com"}}).status == 204);
    CHECK(f.post("/auth/users/reset_username/", json::object{}).body == R"({"email":["This field is required."]})");
    CHECK(f.post("/auth/users/reset_username/", json::object{{"email", "amy@example.com"}}).status == 204);
    CHECK(f.last_mail().find("Your current username is: amy") != std::string::npos);
    auto [uid, token] = f.link_parts("#/username/reset/confirm/");
    CHECK(f.post("/auth/users/reset_username_confirm/", json::object{}).body == R"({"new_username":["This field is required."]})");
    CHECK(f.post("/auth/users/reset_username_confirm/", json::object{{"new_username", "xyz"}}).body ==
          R"({"uid":["Invalid user id or user doesn't exist."]})");
    CHECK(f.post("/auth/users/reset_username_confirm/", json::object{{"new_username", "ben"}, {"uid", uid}, {"token", token}})
              .body == R"({"new_username":["A user with that username already exists."]})");
    CHECK(f.post("/auth/users/reset_username_confirm/", json::object{{"new_username", "amelia"}, {"uid", uid}, {"token", token}})
              .status == 204);
    CHECK(f.bearer("amelia").size() == 1);
    CHECK(f.post("/auth/users/reset_username_confirm/", json::object{{"new_username", "amelia2"}, {"uid", uid}, {"token", token}})
              .body == R"({"token":["Invalid token for given user."]})");
}
