// /auth's staff extension (users/{id}/access/, groups/): what the pages' staff views use and
// Djoser lacks. Who may do what is the core's rule; these tests hold the mapping to it.
#include "http_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

std::string access_path(std::int64_t id)
{
    return "/auth/users/" + std::to_string(id) + "/access/";
}

const std::map<std::string, std::string> as_json{{"Content-Type", "application/json"}};

std::map<std::string, std::string> with_json(std::map<std::string, std::string> headers)
{
    headers.insert(as_json.begin(), as_json.end());
    return headers;
}

}  // namespace

TEST_CASE("GET users/{id}/access/: oneself for anyone - others for staff only", "[http][auth][staff]")
{
    HttpFixture f;
    const auto amy = f.make_user("amy");
    const auto ben = f.make_user("ben");
    f.make_superuser("root");
    const auto a = f.bearer("amy");

    auto mine = f.send(verb::get, "/auth/users/me/access/", {}, a);
    REQUIRE(mine.status == 200);
    CHECK(mine.body == R"({"id":)" + std::to_string(amy) +
                           R"(,"is_active":true,"is_staff":false,"is_superuser":false,"groups":[]})");
    CHECK(f.send(verb::get, access_path(amy), {}, a).body == mine.body);
    // Someone else's: not found, as users/{id}/ answers non-staff.
    CHECK(f.send(verb::get, access_path(ben), {}, a).body == R"({"detail":"Not found."})");
    CHECK(f.send(verb::get, "/auth/users/abc/access/", {}, a).status == 404);
    CHECK(f.send(verb::get, "/auth/users/999/access/", {}, f.bearer("root")).status == 404);
    CHECK(f.send(verb::get, "/auth/users/me/access/").status == 401);

    auto root = f.send(verb::get, "/auth/users/me/access/", {}, f.bearer("root")).json().as_object();
    CHECK(root.at("is_staff") == true);
    CHECK(root.at("is_superuser") == true);
    CHECK(f.send(verb::get, access_path(ben), {}, f.bearer("root")).status == 200);
}

TEST_CASE("PATCH users/{id}/access/: staff deactivate and reactivate - the login follows", "[http][auth][staff]")
{
    HttpFixture f;
    const auto amy = f.make_user("amy");
    f.make_superuser("root");
    const auto staff = with_json(f.bearer("root"));
    const auto amy_token = f.bearer("amy");

    auto off = f.send(verb::patch, access_path(amy), R"({"is_active": false})", staff);
    REQUIRE(off.status == 200);
    CHECK(off.json().at("is_active") == false);
    // The account's token stops working at once and the login is refused.
    CHECK(f.send(verb::get, "/auth/users/me/", {}, amy_token).status == 401);
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}}).status == 401);
    // A disabled account cannot activate itself again by mail.
    CHECK(f.post("/auth/users/resend_activation/", json::object{{"email", "amy@example.com"}}).status == 204);

    // A form says it in words.
    auto on = f.send(verb::patch, access_path(amy), "is_active=true",
                     {{"Authorization", staff.at("Authorization")}, {"Content-Type", "application/x-www-form-urlencoded"}});
    REQUIRE(on.status == 200);
    CHECK(on.json().at("is_active") == true);
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}}).status == 200);
}

TEST_CASE("PATCH users/{id}/access/: groups replaced - listed at groups/", "[http][auth][staff]")
{
    HttpFixture f;
    const auto amy = f.make_user("amy");
    f.make_superuser("root");
    const auto staff = with_json(f.bearer("root"));

    CHECK(f.send(verb::get, "/auth/groups/", {}, staff).body == "[]");
    auto set = f.send(verb::patch, access_path(amy), R"({"groups": ["editors", "authors"]})", staff);
    REQUIRE(set.status == 200);
    CHECK(set.json().at("groups") == json::parse(R"(["authors","editors"])"));
    CHECK(f.send(verb::get, "/auth/groups/", {}, staff).body == R"(["authors","editors"])");
    auto replaced = f.send(verb::patch, access_path(amy), R"({"groups": ["authors"]})", staff);
    CHECK(replaced.json().at("groups") == json::parse(R"(["authors"])"));
    CHECK(f.send(verb::get, "/auth/users/me/access/", {}, f.bearer("amy")).json().at("groups") ==
          json::parse(R"(["authors"])"));
    // Fields it does not know are ignored, as DRF ignores them; an empty body changes nothing.
    CHECK(f.send(verb::patch, access_path(amy), R"({"email": "x@example.com"})", staff).body == replaced.body);
    CHECK(f.send(verb::patch, access_path(amy), "{}", staff).body == replaced.body);
}

TEST_CASE("PATCH users/{id}/access/ errors: non-staff - bad types - bad names - oneself", "[http][auth][staff]")
{
    HttpFixture f;
    const auto amy = f.make_user("amy");
    const auto ben = f.make_user("ben");
    f.make_superuser("root");
    const auto a = with_json(f.bearer("amy"));
    const auto staff = with_json(f.bearer("root"));

    // Users may not activate, group or promote themselves, and do not see others.
    const std::string forbidden = R"({"detail":"You do not have permission to perform this action."})";
    CHECK(f.send(verb::patch, "/auth/users/me/access/", R"({"is_active": true})", a).body == forbidden);
    CHECK(f.send(verb::patch, "/auth/users/me/access/", R"({"groups": ["admins"]})", a).body == forbidden);
    CHECK(f.send(verb::patch, "/auth/users/me/access/", R"({"is_staff": true})", a).body == forbidden);
    CHECK(f.send(verb::patch, access_path(ben), R"({"is_active": false})", a).body == R"({"detail":"Not found."})");
    CHECK(f.send(verb::get, "/auth/groups/", {}, a).body == forbidden);
    CHECK(f.send(verb::patch, access_path(ben), R"({"is_active": false})", as_json).status == 401);

    // Shapes: DRF's words.
    CHECK(f.send(verb::patch, access_path(amy), R"({"is_active": "maybe"})", staff).body ==
          R"({"is_active":["Must be a valid boolean."]})");
    CHECK(f.send(verb::patch, access_path(amy), R"({"is_active": null, "groups": "editors"})", staff).body ==
          R"({"is_active":["Must be a valid boolean."],"groups":["Expected a list of group names."]})");
    CHECK(f.send(verb::patch, access_path(amy), R"({"groups": ["ok", 3]})", staff).body ==
          R"({"groups":["Expected a list of group names."]})");
    CHECK(f.send(verb::patch, access_path(amy), R"({"groups": [""]})", staff).status == 400);
    CHECK(f.send(verb::patch, access_path(amy), R"({"groups": [")" + std::string(200, 'g') + R"("]})", staff).status == 400);
    CHECK(f.send(verb::patch, access_path(amy), R"([1])", staff).status == 400);
    CHECK(f.send(verb::patch, access_path(amy), "{", staff).status == 400);
    CHECK(f.send(verb::patch, access_path(amy), "x", {{"Authorization", staff.at("Authorization")},
                                                      {"Content-Type", "text/plain"}}).status == 415);
    CHECK(f.send(verb::patch, access_path(999), R"({"is_active": false})", staff).status == 404);
    // Staff may not lock themselves out.
    CHECK(f.send(verb::patch, "/auth/users/me/access/", R"({"is_active": false})", staff).body == forbidden);
    // Nothing above changed anyone.
    auto unchanged = f.send(verb::get, access_path(amy), {}, staff).json().as_object();
    CHECK(unchanged.at("is_active") == true);
    CHECK(unchanged.at("groups").as_array().empty());
    // Only GET and PATCH.
    auto put = f.send(verb::put, access_path(amy), "{}", staff);
    CHECK(put.status == 405);
    CHECK(put.header("allow") == "GET, PATCH, HEAD, OPTIONS");
}

TEST_CASE("users/{id}/access/ as staff that is not a superuser: no promotions - superusers untouched", "[http][auth][staff]")
{
    HttpFixture f;
    const auto amy = f.make_user("amy");
    const auto sam = f.make_user("sam");
    f.make_superuser("root");
    UserPatch promote;
    promote.is_staff = true;
    REQUIRE(f.service->update_user(operator_principal(), sam, promote));
    const auto staff = with_json(f.bearer("sam"));
    const std::string forbidden = R"({"detail":"You do not have permission to perform this action."})";

    CHECK(f.send(verb::get, "/auth/users/me/access/", {}, staff).json().at("is_staff") == true);
    CHECK(f.send(verb::patch, access_path(amy), R"({"is_staff": true})", staff).body == forbidden);
    auto root_id = f.send(verb::get, "/auth/users/me/", {}, f.bearer("root")).json().at("id").as_int64();
    CHECK(f.send(verb::patch, access_path(root_id), R"({"is_active": false})", staff).body == forbidden);
    CHECK(f.send(verb::get, "/auth/groups/", {}, staff).status == 200);
    auto grouped = f.send(verb::patch, access_path(amy), R"({"groups": ["readers"], "is_active": false})", staff);
    CHECK(grouped.status == 200);
    CHECK(grouped.json().at("is_active") == false);
    // A superuser may promote.
    auto promoted = f.send(verb::patch, access_path(amy), R"({"is_staff": true})", with_json(f.bearer("root")));
    CHECK(promoted.json().at("is_staff") == true);
}

TEST_CASE("users/me/access/ with an empty groups list from a user changes nothing", "[http][auth][staff]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto a = with_json(f.bearer("amy"));
    auto same = f.send(verb::patch, "/auth/users/me/access/", R"({"groups": []})", a);
    CHECK(same.status == 200);
    CHECK(same.json().at("groups").as_array().empty());
}
