// /auth: users/, users/me/, users/{id}/ and avatars.
#include "http_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0", 29);

std::string avatar_upload(const std::string& bytes, const std::string& extra_fields = {})
{
    return extra_fields + "--B0und\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"me.png\"\r\n"
                          "Content-Type: image/png\r\n\r\n" +
           bytes + "\r\n--B0und--\r\n";
}

const std::map<std::string, std::string> multipart{{"Content-Type", "multipart/form-data; boundary=B0und"}};

std::map<std::string, std::string> with(std::map<std::string, std::string> a, const std::map<std::string, std::string>& b)
{
    a.insert(b.begin(), b.end());
    return a;
}

}  // namespace

TEST_CASE("GET users/me/ and users/{id}/: self - hidden others - staff", "[http][auth][users]")
{
    HttpFixture f;
    const auto amy = f.make_user("amy");
    const auto ben = f.make_user("ben");
    f.make_superuser("root");
    const auto a = f.bearer("amy");
    auto me = f.send(verb::get, "/auth/users/me/", {}, a);
    REQUIRE(me.status == 200);
    auto body = me.json().as_object();
    CHECK(body.size() == 8);
    CHECK(body.at("id") == amy);
    CHECK(body.at("is_active") == true);
    const std::string joined(body.at("date_joined").as_string());
    CHECK(joined.back() == 'Z');
    CHECK(joined.find('T') == 10);
    CHECK(f.send(verb::get, "/auth/users/" + std::to_string(amy) + "/", {}, a).body == me.body);
    CHECK(f.send(verb::get, "/auth/users/" + std::to_string(ben) + "/", {}, a).body == R"({"detail":"Not found."})");
    CHECK(f.send(verb::get, "/auth/users/abc/", {}, a).status == 404);
    CHECK(f.send(verb::get, "/auth/users/999/", {}, a).status == 404);
    CHECK(f.send(verb::get, "/auth/users/" + std::to_string(ben) + "/", {}, f.bearer("root")).status == 200);
    CHECK(f.send(verb::get, "/auth/users/me/").status == 401);
}

TEST_CASE("GET users/: only oneself for users - everyone for staff - DRF pagination with ?limit", "[http][auth][users]")
{
    HttpFixture f;
    f.make_user("amy");
    f.make_user("ben");
    f.make_user("cat");
    f.make_superuser("root");
    auto mine = f.send(verb::get, "/auth/users/", {}, f.bearer("amy")).json().as_array();
    REQUIRE(mine.size() == 1);
    CHECK(mine[0].at("username") == "amy");

    const auto root = f.bearer("root");
    CHECK(f.send(verb::get, "/auth/users/", {}, root).json().as_array().size() == 4);
    auto page = f.send(verb::get, "/auth/users/?limit=2&offset=1", {}, root).json().as_object();
    CHECK(page.at("count") == 4);
    CHECK(page.at("results").as_array().size() == 2);
    CHECK(page.at("results").as_array()[0].at("username") == "ben");
    CHECK(page.at("next") == "http://127.0.0.1/auth/users/?limit=2&offset=3");
    CHECK(page.at("previous") == "http://127.0.0.1/auth/users/?limit=2");
    auto filtered = f.send(verb::get, "/auth/users/?limit=10&username__startswith=c", {}, root).json().as_object();
    CHECK(filtered.at("count") == 1);
    CHECK(filtered.at("next").is_null());
    // A limit that is not a positive integer is ignored, as DRF does.
    CHECK(f.send(verb::get, "/auth/users/?limit=abc", {}, root).json().is_array());
}

TEST_CASE("GET users/ with the largest offset: an empty page - no overflow (UBSan run)", "[http][auth][users]")
{
    HttpFixture f;
    f.make_user("amy");
    f.make_superuser("root");
    for (const auto& who : {f.bearer("root"), f.bearer("amy")}) {
        auto reply = f.send(verb::get, "/auth/users/?limit=1&offset=9223372036854775807", {}, who);
        REQUIRE(reply.status == 200);
        auto page = reply.json().as_object();
        CHECK(page.at("results").as_array().empty());
        CHECK(page.at("next").is_null());
        CHECK(page.at("previous") == "http://127.0.0.1/auth/users/?limit=1&offset=9223372036854775806");
    }
    auto huge_limit = f.send(verb::get, "/auth/users/?limit=9223372036854775807&offset=9223372036854775807", {},
                             f.bearer("root"));
    REQUIRE(huge_limit.status == 200);
    CHECK(huge_limit.json().at("next").is_null());
    // The /users style: an empty array, the total in its header.
    auto users = f.send(verb::get, "/users?limit=9223372036854775807&offset=9223372036854775807", {}, f.bearer("root"));
    REQUIRE(users.status == 200);
    CHECK(users.json().as_array().empty());
    CHECK(users.header("x-total-count") == "2");
}

TEST_CASE("PATCH and PUT users/me/: fields - read-only fields ignored - errors", "[http][auth][users]")
{
    HttpFixture f;
    f.make_user("amy");
    f.make_user("ben");
    const auto a = f.bearer("amy");
    auto patched = f.send(verb::patch, "/auth/users/me/",
                          R"({"first_name":"Amy","username":"zzz","is_active":false,"id":99})", a);
    REQUIRE(patched.status == 200);
    CHECK(patched.json().at("first_name") == "Amy");
    CHECK(patched.json().at("username") == "amy");
    CHECK(patched.json().at("is_active") == true);
    CHECK(f.send(verb::patch, "/auth/users/me/", "last_name=Pond", with(a, {{"Content-Type", "application/x-www-form-urlencoded"}}))
              .json()
              .at("last_name") == "Pond");

    CHECK(f.send(verb::patch, "/auth/users/me/", R"({"first_name":null})", a).body ==
          R"({"first_name":["This field may not be null."]})");
    CHECK(f.send(verb::patch, "/auth/users/me/", R"({"first_name":true})", a).body ==
          R"({"first_name":["Not a valid string."]})");
    CHECK(f.send(verb::patch, "/auth/users/me/", R"({"email":""})", a).body == R"({"email":["This field may not be blank."]})");
    CHECK(f.send(verb::patch, "/auth/users/me/", R"({"email":"ben@example.com"})", a).body ==
          R"({"email":["user with this email already exists."]})");
    CHECK(f.send(verb::patch, "/auth/users/me/", R"({"avatar":"str"})", a).body ==
          R"({"avatar":["The submitted data was not a file. Check the encoding type on the form."]})");
    CHECK(f.send(verb::put, "/auth/users/me/", "{}", a).body == R"({"email":["This field is required."]})");
    auto put = f.send(verb::put, "/auth/users/me/", R"({"email":"amy@example.com","first_name":"A"})", a);
    CHECK(put.status == 200);
    CHECK(put.json().at("first_name") == "A");
    CHECK(f.mail_count() == 2);  // the two activation mails: an unchanged email sends nothing
}

TEST_CASE("Changing the email deactivates until the new address is confirmed", "[http][auth][users]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto a = f.bearer("amy");
    auto moved = f.send(verb::patch, "/auth/users/me/", R"({"email":"amy@new.example"})", a);
    REQUIRE(moved.status == 200);
    CHECK(moved.json().at("is_active") == false);
    CHECK(f.send(verb::get, "/auth/users/me/", {}, a).body == R"({"detail":"User is inactive","code":"user_inactive"})");
    CHECK(f.last_mail().find("To: amy@new.example") != std::string::npos);
    auto [uid, token] = f.link_parts("#/activate/");
    CHECK(f.post("/auth/users/activation/", json::object{{"uid", uid}, {"token", token}}).status == 204);
    CHECK(f.send(verb::get, "/auth/users/me/", {}, f.bearer("amy")).status == 200);
}

TEST_CASE("Other users: 404 to read or change - 403 to delete - staff may", "[http][auth][users]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto ben = std::to_string(f.make_user("ben"));
    f.make_superuser("root");
    const auto a = f.bearer("amy");
    CHECK(f.send(verb::patch, "/auth/users/" + ben + "/", R"({"first_name":"X"})", a).status == 404);
    // As DRF, the user is looked up before the body is read: a body that cannot be read changes
    // nothing about a 404 (for someone hidden, or no one, staff included).
    const std::map<std::string, std::string> text{{"Content-Type", "text/plain"}};
    for (const auto& [method, body, who] : {std::tuple{verb::patch, std::string("{"), a}, std::tuple{verb::put, std::string("[]"), a},
                                            std::tuple{verb::patch, std::string("{"), f.bearer("root")}}) {
        const std::string target = who == a ? "/auth/users/" + ben + "/" : std::string("/auth/users/999/");
        auto hidden = f.send(method, target, body, who);
        CHECK(hidden.status == 404);
        CHECK(hidden.body == R"({"detail":"Not found."})");
    }
    auto as_text = a;
    as_text.insert(text.begin(), text.end());
    CHECK(f.send(verb::patch, "/auth/users/" + ben + "/", "first_name=X", as_text).status == 404);
    // One's own id still reads the body first.
    CHECK(f.send(verb::patch, "/auth/users/me/", "{", a).status == 400);
    auto denied = f.send(verb::delete_, "/auth/users/" + ben + "/", R"({"current_password":")" + strong_password + "\"}", a);
    CHECK(denied.status == 403);
    CHECK(denied.body == R"({"detail":"You do not have permission to perform this action."})");
    const auto root = f.bearer("root");
    CHECK(f.send(verb::patch, "/auth/users/" + ben + "/", R"({"first_name":"Ben"})", root).json().at("first_name") == "Ben");
    CHECK(f.send(verb::delete_, "/auth/users/" + ben + "/", R"({"current_password":"wrong-pass-1"})", root).body ==
          R"({"current_password":["Invalid password."]})");
    CHECK(f.send(verb::delete_, "/auth/users/" + ben + "/", R"({"current_password":")" + strong_password + "\"}", root)
              .status == 204);
    CHECK(f.send(verb::get, "/auth/users/" + ben + "/", {}, root).status == 404);
}

TEST_CASE("DELETE users/me/ needs the current password", "[http][auth][users]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto a = f.bearer("amy");
    CHECK(f.send(verb::delete_, "/auth/users/me/", "{}", a).body == R"({"current_password":["This field is required."]})");
    CHECK(f.send(verb::delete_, "/auth/users/me/", R"({"current_password":""})", a).body ==
          R"({"current_password":["This field may not be blank."]})");
    CHECK(f.send(verb::delete_, "/auth/users/me/", R"({"current_password":"nope"})", a).body ==
          R"({"current_password":["Invalid password."]})");
    auto gone = f.send(verb::delete_, "/auth/users/me/", R"({"current_password":")" + strong_password + "\"}", a);
    CHECK(gone.status == 204);
    CHECK(gone.body.empty());
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}}).status == 401);
}

TEST_CASE("Avatars: multipart upload - served under /media/ - replaced and deleted with the user", "[http][auth][avatar]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto a = f.bearer("amy");
    auto uploaded = f.send(verb::patch, "/auth/users/me/", avatar_upload(png), with(a, multipart));
    REQUIRE(uploaded.status == 200);
    const std::string url(uploaded.json().at("avatar").as_string());
    CHECK(url.rfind("/media/avatars/", 0) == 0);
    CHECK(url.size() == std::string("/media/avatars/").size() + 32 + 4);
    auto served = f.send(verb::get, url);
    CHECK(served.status == 200);
    CHECK(served.header("content-type") == "image/png");
    CHECK(served.body == png);
    CHECK(f.send(verb::post, url, "x").status == 405);
    CHECK(f.send(verb::get, "/media/../users.db").status == 404);
    CHECK(f.send(verb::get, "/media/avatars/none.png").status == 404);

    auto replaced = f.send(verb::patch, "/auth/users/me/", avatar_upload(png), with(a, multipart));
    REQUIRE(replaced.status == 200);
    CHECK(f.send(verb::get, url).status == 404);  // the old file is gone
    const std::string second(replaced.json().at("avatar").as_string());

    auto not_image = f.send(verb::patch, "/auth/users/me/", avatar_upload("plain text"), with(a, multipart));
    CHECK(not_image.body ==
          R"({"avatar":["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]})");
    auto empty_file = f.send(verb::patch, "/auth/users/me/", avatar_upload(""), with(a, multipart));
    CHECK(empty_file.status == 400);
    CHECK(empty_file.body == R"({"avatar":["The submitted file is empty."]})");
    // A file input left empty (filename="") is no file at all, as Django's parser skips it: the
    // other fields are taken and the avatar stays.
    const std::string untouched = "--B0und\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nAmy\r\n"
                                  "--B0und\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"\"\r\n"
                                  "Content-Type: application/octet-stream\r\n\r\n\r\n--B0und--\r\n";
    auto no_file = f.send(verb::patch, "/auth/users/me/", untouched, with(a, multipart));
    CHECK(no_file.status == 200);
    CHECK(no_file.json().at("first_name") == "Amy");
    CHECK(no_file.json().at("avatar") == json::value(second));
    auto cleared = f.send(verb::patch, "/auth/users/me/", R"({"avatar":null})", a);
    CHECK(cleared.json().at("avatar").is_null());
    CHECK(f.send(verb::get, second).status == 404);

    auto third = f.send(verb::patch, "/auth/users/me/", avatar_upload(png), with(a, multipart));
    const std::string third_url(third.json().at("avatar").as_string());
    REQUIRE(f.send(verb::delete_, "/auth/users/me/", R"({"current_password":")" + strong_password + "\"}", a).status == 204);
    CHECK(f.send(verb::get, third_url).status == 404);
}

TEST_CASE("Registration with an avatar file in multipart", "[http][auth][avatar]")
{
    HttpFixture f;
    const std::string fields =
        "--B0und\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\npic\r\n"
        "--B0und\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\npic@example.com\r\n"
        "--B0und\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" + strong_password + "\r\n"
        "--B0und\r\nContent-Disposition: form-data; name=\"re_password\"\r\n\r\n" + strong_password + "\r\n";
    auto reply = f.send(verb::post, "/auth/users/", avatar_upload(png, fields), multipart);
    REQUIRE(reply.status == 201);
    const std::string url(reply.json().at("avatar").as_string());
    CHECK(f.send(verb::get, url).body == png);
}
