#include "usermgmt/user_service.hpp"

#include "../support/service_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;

namespace {
const std::string& png = tiny_png;
}

TEST_CASE("Users see themselves - others are hidden unless staff", "[service][users]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    auto ben = f.make_user("ben");
    f.make_user("boss", true);
    const Principal a = f.principal_of("amy");
    const Principal boss = f.principal_of("boss");
    CHECK(f.service->me(a)->username == "amy");
    CHECK(f.service->get_user(a, amy.id)->email == "amy@example.com");
    CHECK(f.service->get_user(a, ben.id).error().code == Errc::not_found);
    CHECK(f.service->get_user(boss, ben.id)->username == "ben");
    CHECK(f.service->get_user(boss, 99999).error().code == Errc::not_found);

    ServiceFixture open([](Config& c) { c.hide_users = false; });
    open.make_user("cat");
    auto dan = open.make_user("dan");
    CHECK(open.service->get_user(open.principal_of("cat"), dan.id).error().code == Errc::forbidden);
}

TEST_CASE("Partial and full updates of one's own profile", "[service][users]")
{
    ServiceFixture f([](Config& c) { c.require_activation = false; });
    auto amy = f.make_user("amy");
    const Principal a = f.principal_of("amy");
    const auto before = f.service->me(a)->updated_at;
    f.clock->advance(std::chrono::seconds(5));

    UserPatch names;
    names.first_name = "Amy";
    names.last_name = "Pond";
    names.birthdate = std::optional<Date>(Date{1989, 3, 14});
    auto updated = f.service->update_user(a, amy.id, names);
    REQUIRE(updated);
    CHECK(updated->first_name == "Amy");
    CHECK(updated->email == "amy@example.com");  // untouched
    CHECK(updated->birthdate == Date{1989, 3, 14});
    CHECK(updated->updated_at > before);

    UserPatch clear;
    clear.birthdate = std::optional<Date>();
    CHECK_FALSE(f.service->update_user(a, amy.id, clear)->birthdate);

    UserPatch put;
    put.replace = true;
    put.first_name = "A";
    CHECK(problems(f.service->update_user(a, amy.id, put).error(), "email") ==
          std::vector<std::string>{"required"});
    put.email = "amy.pond@example.com";
    auto replaced = f.service->update_user(a, amy.id, put);
    REQUIRE(replaced);
    CHECK(replaced->email == "amy.pond@example.com");
    CHECK(replaced->is_active);  // no activation setting: stays active
}

TEST_CASE("Update errors leave the user unchanged", "[service][users]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    f.make_user("ben");
    const Principal a = f.principal_of("amy");
    UserPatch bad;
    bad.email = "BEN@example.com";
    bad.first_name = std::string(200, 'x');
    auto e = f.service->update_user(a, amy.id, bad);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == Errc::invalid_argument);
    CHECK(problems(e.error(), "email") == std::vector<std::string>{"taken"});
    CHECK(problems(e.error(), "first_name").size() == 1);
    UserPatch only_taken;
    only_taken.email = "ben@example.com";
    CHECK(f.service->update_user(a, amy.id, only_taken).error().code == Errc::already_exists);
    UserPatch weak;
    weak.password = "amy@example";
    CHECK(problems(f.service->update_user(a, amy.id, weak).error(), "password").front() ==
          "password_too_similar:email");
    auto now = f.service->me(a);
    CHECK(now->email == "amy@example.com");
    CHECK(now->first_name.empty());
}

TEST_CASE("Changing the email with activation on requires confirming the new address", "[service][users]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    auto tokens = f.service->login("amy", good_password);
    const Principal a = *f.service->authenticate(tokens->access);
    UserPatch same;
    same.first_name = "Amy";
    REQUIRE(f.service->update_user(a, amy.id, same));
    CHECK(f.notifier->sent().empty());  // unchanged email: nothing is sent

    UserPatch moved;
    moved.email = "amy@new.example";
    auto updated = f.service->update_user(a, amy.id, moved);
    REQUIRE(updated);
    CHECK_FALSE(updated->is_active);
    CHECK(f.service->authenticate(tokens->access).error().code == Errc::inactive_account);
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
    REQUIRE(f.service->activate(f.last_code(NotificationKind::activation, "amy@new.example")));
    CHECK(f.service->login("amy", good_password));
}

TEST_CASE("Permissions on updates: others - groups - flags - superusers", "[service][users][groups]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    auto ben = f.make_user("ben");
    auto boss = f.make_user("boss", true);
    const Principal a = f.principal_of("amy");
    const Principal b = f.principal_of("boss");
    UserPatch patch;
    patch.first_name = "Hacked";
    CHECK(f.service->update_user(a, ben.id, patch).error().code == Errc::forbidden);
    CHECK(f.service->update_user(a, 99999, patch).error().code == Errc::forbidden);  // reveals nothing
    CHECK(f.service->get_user(b, ben.id)->first_name.empty());

    UserPatch groups;
    groups.groups = std::vector<std::string>{"editors"};
    CHECK(f.service->update_user(a, amy.id, groups).error().code == Errc::forbidden);
    UserPatch no_groups;
    no_groups.groups = std::vector<std::string>{};
    CHECK(f.service->update_user(a, amy.id, no_groups));  // an empty list is accepted and ignored
    groups.groups = std::vector<std::string>{"writers", "editors", "editors"};
    CHECK(f.service->update_user(b, amy.id, groups)->groups == std::vector<std::string>{"editors", "writers"});

    UserPatch promote;
    promote.is_staff = true;
    CHECK(f.service->update_user(b, amy.id, promote).error().code == Errc::forbidden);  // staff, not superuser
    UserPatch deactivate;
    deactivate.is_active = false;
    CHECK(f.service->update_user(a, amy.id, deactivate).error().code == Errc::forbidden);

    auto root = f.service->login("root-boss", good_password);
    const Principal r = *f.service->authenticate(root->access);
    CHECK(f.service->update_user(b, r.user_id, patch).error().code == Errc::forbidden);  // staff vs superuser
    CHECK(f.service->update_user(r, boss.id, patch));
}

TEST_CASE("A password set through an update ends the user's other sessions", "[service][users]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    auto mine = f.service->login("amy", good_password);
    auto elsewhere = f.service->login("amy", good_password);
    const Principal a = *f.service->authenticate(mine->access);
    UserPatch patch;
    patch.password = "Brand-new-Secret-42";
    REQUIRE(f.service->update_user(a, amy.id, patch));
    CHECK(f.service->authenticate(mine->access));
    CHECK(f.service->authenticate(elsewhere->access).error().code == Errc::token_invalid);
    CHECK(f.service->login("amy", "Brand-new-Secret-42"));
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
}

TEST_CASE("Avatars are stored as media files and replaced cleanly", "[service][avatar]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    f.make_user("ben");
    const Principal a = f.principal_of("amy");
    auto first = f.service->set_avatar(a, amy.id, png);
    REQUIRE(first);
    CHECK(first->avatar_is_media);
    CHECK(first->avatar.rfind("avatars/", 0) == 0);
    const auto first_file = f.dir / "media" / first->avatar;
    CHECK(std::filesystem::exists(first_file));

    auto second = f.service->set_avatar(a, amy.id, png);
    REQUIRE(second);
    CHECK_FALSE(std::filesystem::exists(first_file));
    const auto second_file = f.dir / "media" / second->avatar;
    CHECK(std::filesystem::exists(second_file));

    CHECK(problems(f.service->set_avatar(a, amy.id, "plain text").error(), "avatar") ==
          std::vector<std::string>{
              "not_an_image"});
    CHECK(problems(f.service->set_avatar(a, amy.id, "").error(), "avatar") == std::vector<std::string>{"empty_file"});
    CHECK(problems(f.service->set_avatar(a, amy.id, png + std::string(6u * 1024u * 1024u, 'x')).error(), "avatar")
              .size() == 1);
    CHECK(f.service->set_avatar(f.principal_of("ben"), amy.id, png).error().code == Errc::forbidden);

    // A free string replaces the file, which is removed.
    UserPatch text;
    text.avatar = "https://cdn.example/amy.png";
    auto texted = f.service->update_user(a, amy.id, text);
    REQUIRE(texted);
    CHECK_FALSE(texted->avatar_is_media);
    CHECK_FALSE(std::filesystem::exists(second_file));

    auto third = f.service->set_avatar(a, amy.id, png);
    REQUIRE(third);
    REQUIRE(f.service->delete_user(a, amy.id, good_password));
    CHECK_FALSE(std::filesystem::exists(f.dir / "media" / third->avatar));
}

TEST_CASE("Registration and updates take an uploaded image as the avatar", "[service][avatar]")
{
    ServiceFixture f([](Config& c) { c.require_activation = false; });
    NewUser in;
    in.username = "pic";
    in.email = "pic@example.com";
    in.password = good_password;
    in.avatar_image = "not an image";
    CHECK(problems(f.service->register_user(in).error(), "avatar").size() == 1);
    CHECK((!std::filesystem::exists(f.dir / "media" / "avatars") || std::filesystem::is_empty(f.dir / "media" / "avatars")));
    in.avatar_image = png;
    auto made = f.service->register_user(in);
    REQUIRE(made);
    CHECK(made->user.avatar_is_media);
    CHECK(std::filesystem::exists(f.dir / "media" / made->user.avatar));

    // A clash after the file was stored leaves no file behind.
    NewUser clash = in;
    clash.username = "pic2";
    clash.email = "PIC@example.com";
    CHECK_FALSE(f.service->register_user(clash));
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(f.dir / "media" / "avatars")) ++files;
    CHECK(files == 1);

    UserPatch patch;
    patch.avatar_image = png;
    patch.first_name = "Pic";
    auto updated = f.service->update_user(f.principal_of("pic"), made->user.id, patch);
    REQUIRE(updated);
    CHECK(updated->first_name == "Pic");
    CHECK_FALSE(std::filesystem::exists(f.dir / "media" / made->user.avatar));
    CHECK(std::filesystem::exists(f.dir / "media" / updated->avatar));
}

TEST_CASE("Deleting: self with the password - others only as staff", "[service][delete]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    auto ben = f.make_user("ben");
    f.make_user("boss", true);
    const Principal a = f.principal_of("amy");
    const Principal b = f.principal_of("boss");

    CHECK(problems(f.service->delete_user(a, amy.id, std::string()).error(), "current_password") ==
          std::vector<std::string>{"blank"});
    CHECK(problems(f.service->delete_user(a, amy.id, std::string("wrong-one-9")).error(), "current_password") ==
          std::vector<std::string>{"wrong_password"});
    CHECK(f.service->delete_user(a, ben.id, good_password).error().code == Errc::forbidden);
    CHECK(f.service->get_user(b, ben.id));

    // Staff give their own password.
    REQUIRE(f.service->delete_user(b, ben.id, good_password));
    CHECK(f.service->get_user(b, ben.id).error().code == Errc::not_found);
    CHECK(f.service->delete_user(b, ben.id, good_password).error().code == Errc::not_found);

    REQUIRE(f.service->delete_user(a, amy.id, good_password));
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
    // The name is free again.
    CHECK(f.make_user("amy").id != amy.id);
}

TEST_CASE("Lists: staff see everyone - others only themselves", "[service][list]")
{
    ServiceFixture f;
    for (const char* name : {"amy", "ann", "ben"}) f.make_user(name);
    f.make_user("boss", true);  // adds root-boss and boss
    const Principal a = f.principal_of("amy");
    const Principal b = f.principal_of("boss");

    auto all = f.service->list_users(b, ListQuery{});
    REQUIRE(all);
    CHECK(all->total == 5);
    CHECK(all->users.front().username == "amy");
    auto page = f.service->list_users(b, ListQuery{2, 1, "", ""});
    CHECK(page->users.size() == 2);
    CHECK(page->users[0].username == "ann");
    CHECK(page->total == 5);
    CHECK(f.service->list_users(b, ListQuery{10, 0, "", "an"})->total == 1);
    CHECK(f.service->list_users(b, ListQuery{10, 0, "b", ""})->total == 2);

    auto mine = f.service->list_users(a, ListQuery{});
    REQUIRE(mine);
    CHECK(mine->total == 1);
    REQUIRE(mine->users.size() == 1);
    CHECK(mine->users[0].username == "amy");
    CHECK(f.service->list_users(a, ListQuery{10, 1, "", ""})->users.empty());
    CHECK(f.service->list_users(a, ListQuery{10, 0, "", "ben"})->total == 0);

    CHECK(problems(f.service->list_users(b, ListQuery{0, 0, "", ""}).error(), "limit").size() == 1);
    CHECK(problems(f.service->list_users(b, ListQuery{10, -1, "", ""}).error(), "offset").size() == 1);
}

TEST_CASE("Page size is clamped to the setting - hide_users off lists everyone", "[service][list]")
{
    ServiceFixture f([](Config& c) {
        c.max_page_size = 2;
        c.hide_users = false;
    });
    for (const char* name : {"amy", "ann", "ben"}) f.make_user(name);
    auto page = f.service->list_users(f.principal_of("amy"), ListQuery{100, 0, "", ""});
    REQUIRE(page);
    CHECK(page->users.size() == 2);
    CHECK(page->total == 3);
}

TEST_CASE("Groups are managed by staff only", "[service][groups]")
{
    ServiceFixture f;
    f.make_user("amy");
    f.make_user("boss", true);
    const Principal a = f.principal_of("amy");
    const Principal b = f.principal_of("boss");
    CHECK(f.service->create_group(a, "editors").error().code == Errc::forbidden);
    CHECK(f.service->list_groups(a).error().code == Errc::forbidden);
    REQUIRE(f.service->create_group(b, "editors"));
    CHECK(f.service->create_group(b, "Editors").error().code == Errc::already_exists);
    CHECK(f.service->create_group(b, "").error().code == Errc::invalid_argument);
    CHECK(*f.service->list_groups(b) == std::vector<std::string>{"editors"});
    CHECK(f.service->delete_group(a, "editors").error().code == Errc::forbidden);
    REQUIRE(f.service->delete_group(b, "editors"));
    CHECK(f.service->delete_group(b, "editors").error().code == Errc::not_found);
    CHECK(f.service->list_groups(b)->empty());
}

TEST_CASE("Expired sessions and tokens are purged - health answers", "[service]")
{
    ServiceFixture f;
    f.make_user("amy");
    auto tokens = f.service->login("amy", good_password);
    CHECK(f.service->health());
    f.clock->advance(std::chrono::hours(25));
    REQUIRE(f.service->purge_expired());
    f.clock->advance(-std::chrono::hours(25));
    // The session row is gone, so even the still-valid access token is refused.
    CHECK(f.service->authenticate(tokens->access).error().code == Errc::token_invalid);
}

TEST_CASE("Staff find a user by username or email, and end anyone's sessions (users their own)", "[service][users]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    auto ben = f.make_user("ben");
    f.make_user("boss", true);
    const Principal a = f.principal_of("amy");
    const Principal boss = f.principal_of("boss");
    CHECK(f.service->find_user(boss, "AMY")->id == amy.id);
    CHECK(f.service->find_user(boss, "ben@EXAMPLE.com")->id == ben.id);
    CHECK(f.service->find_user(boss, "nobody").error().code == Errc::not_found);
    CHECK(f.service->find_user(a, "ben").error().code == Errc::not_found);  // hidden, as get_user
    CHECK(f.service->find_user(operator_principal(), "amy")->id == amy.id);

    // Two sessions of ben's end at once; amy may not end them, but her own.
    auto first = f.service->login("ben", good_password);
    auto second = f.service->login("ben", good_password);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(f.service->end_sessions(a, ben.id).error().code == Errc::forbidden);
    CHECK(f.service->authenticate(first->access));
    REQUIRE(f.service->end_sessions(boss, ben.id));
    CHECK(f.service->authenticate(first->access).error().code == Errc::token_invalid);
    CHECK(f.service->refresh(second->refresh).error().code == Errc::token_invalid);
    CHECK(f.service->end_sessions(a, amy.id));
    CHECK(f.service->end_sessions(boss, 99999).error().code == Errc::not_found);
    // Staff who is not superuser may not manage a superuser; the operator may.
    auto root = f.service->create_superuser("root", "root@example.com", good_password);
    REQUIRE(root);
    CHECK(f.service->end_sessions(boss, root->id).error().code == Errc::forbidden);
    CHECK(f.service->end_sessions(operator_principal(), root->id));
}
