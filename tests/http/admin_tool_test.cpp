// usermgmt-admin, the real binary, on the database a real usermgmt-server serves: what the tool
// changes, the running server sees at once (another process on the same database), and every
// command's exit code and messages are what a script relies on.
#include "admin_tool.hpp"
#include "example_postgres.hpp"
#include "../support/smtp_test_server.hpp"

#include <pty.h>
#include <poll.h>
#include <sys/wait.h>

namespace usermgmt::test {
namespace {

// A user registered over HTTP, activated by the operator.
void register_user(Client& client, const TempDir& dir, const std::string& name)
{
    auto made = client.send(bhttp::verb::post, "/auth/users/",
                            json::serialize(json::object{{"username", name},
                                                         {"email", name + "@example.com"},
                                                         {"password", strong_password},
                                                         {"re_password", strong_password}}));
    REQUIRE(made.status == 201);
    REQUIRE(admin(dir, {"users", "activate", name}).code == 0);
}

}  // namespace

TEST_CASE("usermgmt-admin: createsuperuser, users and groups, seen at once by a running server", "[example][admin]")
{
    TempDir dir;
    // --noinput from the environment, as Django's; a second time the name is taken.
    auto made = admin(dir, {"createsuperuser", "--noinput"}, make_root);
    REQUIRE(made.code == 0);
    CHECK(made.out == "superuser created: root (id 1)\n");
    auto again = admin(dir, {"createsuperuser", "--noinput"}, make_root);
    CHECK(again.code == 1);
    CHECK(again.err.find("username: taken") != std::string::npos);
    CHECK(admin(dir, {"createsuperuser", "--noinput"}).code == 2);  // nothing to take it from
    CHECK(admin(dir, {"createsuperuser"}).code == 2);  // no terminal to ask at

    ExampleServer server(dir, args(dir, {"--mail-outbox", (dir / "outbox").string()}));
    Client client(server.port());
    CHECK(login_status(client, "root", strong_password) == 200);
    register_user(client, dir, "amy");
    register_user(client, dir, "bob");

    SECTION("list and show, as text and JSON")
    {
        auto list = admin(dir, {"users", "list", "--json"});
        REQUIRE(list.code == 0);
        CHECK(list.json().at("total") == 3);
        CHECK(list.json().at("users").as_array().at(1).at("username") == "amy");
        CHECK(list.out.find("password") == std::string::npos);
        auto page = admin(dir, {"users", "list", "--username-prefix", "B", "--limit", "1"});
        CHECK(page.code == 0);
        CHECK(page.out == "3\tbob\tbob@example.com\tactive\n");
        for (const std::string ref : {"amy", "AMY@example.com", "2"}) {
            auto shown = admin(dir, {"users", "show", ref, "--json"});
            REQUIRE(shown.code == 0);
            CHECK(shown.json().at("username") == "amy");
            CHECK(shown.json().at("is_active") == true);
        }
        auto missing = admin(dir, {"users", "show", "nobody"});
        CHECK(missing.code == 1);
        CHECK(missing.err == "usermgmt-admin: no user named nobody\n");
        CHECK(admin(dir, {"users", "show", "99"}).code == 1);
    }

    SECTION("set-password: the policy applies, the new one logs in, every session ends at once")
    {
        const std::string token = access_token(client, "amy", strong_password);
        auto weak = admin(dir, {"users", "set-password", "amy", "--stdin"}, {}, "password\n");
        CHECK(weak.code == 1);
        CHECK(weak.err.find("password: password too common") != std::string::npos);
        auto set = admin(dir, {"users", "set-password", "amy", "--stdin"}, {}, "another-Strong-pass-7\n");
        REQUIRE(set.code == 0);
        CHECK(set.out == "password set, sessions ended: amy (id 2)\n");
        CHECK(login_status(client, "amy", strong_password) == 401);
        CHECK(login_status(client, "amy", "another-Strong-pass-7") == 200);
        CHECK(client.send(bhttp::verb::get, "/auth/users/me/", {}, {{"Authorization", "JWT " + token}}).status == 401);
        CHECK(admin(dir, {"users", "set-password", "amy"}).code == 2);  // no terminal, no --stdin
        // The operator is not held to the limit on password checks (10 a minute per user).
        for (int i = 0; i < 12; ++i)
            CHECK(admin(dir, {"users", "set-password", "bob", "--stdin"}, {}, "another-Strong-pass-7\n").code == 0);
    }

    SECTION("deactivate, activate, revoke-sessions, set-staff")
    {
        const std::string token = access_token(client, "bob", strong_password);
        CHECK(admin(dir, {"users", "revoke-sessions", "bob"}).out == "sessions ended: bob (id 3)\n");
        CHECK(client.send(bhttp::verb::get, "/auth/users/me/", {}, {{"Authorization", "JWT " + token}}).status == 401);

        CHECK(admin(dir, {"users", "deactivate", "bob"}).code == 0);
        CHECK(login_status(client, "bob", strong_password) == 401);
        CHECK(admin(dir, {"users", "activate", "bob"}).code == 0);
        CHECK(login_status(client, "bob", strong_password) == 200);

        CHECK(admin(dir, {"users", "set-staff", "bob"}).out == "staff: bob (id 3)\n");
        const std::string staff = access_token(client, "bob", strong_password);
        CHECK(client.send(bhttp::verb::get, "/auth/users/2/", {}, {{"Authorization", "JWT " + staff}}).status == 200);
        CHECK(admin(dir, {"users", "set-staff", "bob", "--off"}).code == 0);
        CHECK(admin(dir, {"users", "show", "bob", "--json"}).json().at("is_staff") == false);
    }

    SECTION("groups")
    {
        CHECK(admin(dir, {"groups", "create", "editors"}).out == "created: editors\n");
        CHECK(admin(dir, {"groups", "create", "editors"}).code == 1);
        CHECK(admin(dir, {"groups", "add", "amy", "editors"}).out == "added: amy to editors\n");
        auto typo = admin(dir, {"groups", "add", "amy", "editor"});
    CHECK(typo.code == 1);
    CHECK(typo.err == "usermgmt-admin: no group named editor (groups create editor makes one)\n");
        CHECK(admin(dir, {"users", "show", "amy", "--json"}).json().at("groups") == json::array{"editors"});
        CHECK(admin(dir, {"groups", "list", "--json"}).json() == json::array{"editors"});
        CHECK(admin(dir, {"groups", "remove", "amy", "editors"}).code == 0);
        CHECK(admin(dir, {"groups", "remove", "amy", "editors"}).code == 1);
        CHECK(admin(dir, {"groups", "delete", "editors"}).code == 0);
        CHECK(admin(dir, {"groups", "list"}).out.empty());
    }

    SECTION("delete needs --yes without a terminal")
    {
        CHECK(admin(dir, {"users", "delete", "bob"}).code == 2);
        CHECK(admin(dir, {"users", "show", "bob"}).code == 0);
        CHECK(admin(dir, {"users", "delete", "bob", "--yes"}).out == "deleted: bob (id 3)\n");
        CHECK(admin(dir, {"users", "show", "bob"}).code == 1);
        CHECK(login_status(client, "bob", strong_password) == 401);
    }

    SECTION("purge and migrate")
    {
        CHECK(admin(dir, {"purge"}).code == 0);
        auto migrated = admin(dir, {"migrate"});
        CHECK(migrated.code == 0);
        CHECK(migrated.out.find("schema at version " + std::to_string(sqlite_schema_version())) != std::string::npos);
    }

    SECTION("bad command lines exit 2 with a message")
    {
        for (const auto& words : std::vector<std::vector<std::string>>{
                 {"frobnicate"}, {"users"}, {"users", "show"}, {"users", "list", "--limit", "many"},
                 {"users", "show", "amy", "--colour"}, {"groups", "add", "amy"}, {"mail", "retry", "x"},
                 {"--database", "mysql://x", "users", "list"}, {"purge", "now"}}) {
            auto run = admin(dir, words);
            CHECK(run.code == 2);
            CHECK(run.err.rfind("usermgmt-admin: ", 0) == 0);
            CHECK(run.out.empty());
        }
        CHECK(admin(dir, {}).code == 2);
        auto help = admin(dir, {"help"});
        CHECK(help.code == 0);
        CHECK(help.out.find("users set-password USER") != std::string::npos);
    }
    CHECK(server.stop() == 0);
}

TEST_CASE("usermgmt-admin createsuperuser asks at a terminal, without echoing the password", "[example][admin]")
{
    TempDir dir;
    std::vector<std::string> argv = {USERMGMT_ADMIN_BINARY, "--data-dir", (dir / "data").string()};
    argv.insert(argv.end(), cheap.begin(), cheap.end());
    argv.emplace_back("createsuperuser");
    int terminal = -1;
    const pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::vector<char*> raw;
        for (auto& a : argv) raw.push_back(a.data());
        raw.push_back(nullptr);
        execv(raw[0], raw.data());
        _exit(127);
    }
    std::string screen;
    std::size_t seen = 0;  // what earlier waits matched
    // Reads what the terminal shows until `text` appears after what was seen (10 s at most).
    const auto wait_for = [&](const std::string& text) {
        for (int i = 0; i < 100 && screen.find(text, seen) == std::string::npos; ++i) {
            pollfd p{terminal, POLLIN, 0};
            if (poll(&p, 1, 100) > 0) {
                char buffer[256];
                const auto n = read(terminal, buffer, sizeof buffer);
                if (n > 0) screen.append(buffer, static_cast<std::size_t>(n));
            }
        }
        const auto at = screen.find(text, seen);
        if (at == std::string::npos) return false;
        seen = at + text.size();
        return true;
    };
    const auto type = [&](const std::string& line) { REQUIRE(write(terminal, line.data(), line.size()) == static_cast<ssize_t>(line.size())); };
    REQUIRE(wait_for("Username: "));
    type("root\n");
    REQUIRE(wait_for("Email address: "));
    type("root@example.com\n");
    REQUIRE(wait_for("Password: "));
    type("password\n");  // too common: asked again
    REQUIRE(wait_for("Password (again): "));
    type("password\n");
    REQUIRE(wait_for("password too common"));
    REQUIRE(wait_for("Password: "));
    type(strong_password + "\n");
    REQUIRE(wait_for("Password (again): "));
    type(strong_password + "\n");
    REQUIRE(wait_for("superuser created: root (id 1)"));
    int status = 0;
    waitpid(pid, &status, 0);
    close(terminal);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(screen.find(strong_password) == std::string::npos);  // typed, never shown

    ExampleServer server(dir, args(dir));
    Client client(server.port());
    CHECK(login_status(client, "root", strong_password) == 200);
    CHECK(server.stop() == 0);
}

TEST_CASE("usermgmt-admin mail: list the dead mails and send one again", "[example][admin]")
{
    TempDir dir;
    SmtpTestServer refusing(dir.path(), SmtpBehaviour{.reject = "550"});
    ExampleServer server(dir, args(dir, {"--smtp-url", refusing.url(), "--smtp-starttls", "off"}));
    Client client(server.port());
    auto made = client.send(bhttp::verb::post, "/auth/users/",
                            json::serialize(json::object{{"username", "amy"}, {"email", "amy@example.com"},
                                                         {"password", strong_password}, {"re_password", strong_password}}));
    REQUIRE(made.status == 201);
    json::value dead;
    for (int i = 0; i < 200; ++i) {
        auto list = admin(dir, {"mail", "list", "--json"});
        REQUIRE(list.code == 0);
        if (!list.out.empty()) {
            dead = json::parse(list.out);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(dead.is_object());
    CHECK(dead.at("kind") == "activation");
    CHECK(dead.at("to") == "amy@example.com");
    CHECK(dead.at("last_error").as_string().find("550") != json::string::npos);
    CHECK(admin(dir, {"mail", "counts", "--json"}).json().at("dead") == 1);

    // The server takes mail again; the retried mail (a fresh token) arrives and activates amy.
    SmtpTestServer accepting(dir.path(), SmtpBehaviour{});
    server.stop();
    ExampleServer second(dir, args(dir, {"--smtp-url", accepting.url(), "--smtp-starttls", "off"}));
    Client again(second.port());
    auto retried = admin(dir, {"mail", "retry", std::to_string(dead.at("id").as_int64())});
    REQUIRE(retried.code == 0);
    CHECK(retried.out.rfind("queued again as mail ", 0) == 0);
    CHECK(admin(dir, {"mail", "retry", std::to_string(dead.at("id").as_int64())}).code == 1);  // gone now
    CHECK(admin(dir, {"mail", "retry", "12345"}).code == 1);
    const auto mails = accepting.wait_for(1);
    REQUIRE(mails.size() == 1);
    std::smatch link;
    REQUIRE(std::regex_search(mails[0], link, std::regex("#/activate/([A-Za-z0-9_-]+)/([A-Za-z0-9_-]+)")));
    CHECK(again.send(bhttp::verb::post, "/auth/users/activation/",
                     json::serialize(json::object{{"uid", link[1].str()}, {"token", link[2].str()}}))
              .status == 204);
    CHECK(login_status(again, "amy", strong_password) == 200);
    CHECK(admin(dir, {"mail", "list", "--state", "wrong"}).code == 2);
    CHECK(second.stop() == 0);
}

namespace {

// Export from `dir`'s database, import into `target` (a --database URL): everyone logs in there
// with their own password, a second import changes nothing.
void move_users(const TempDir& dir, const std::string& target)
{
    REQUIRE(admin(dir, {"createsuperuser", "--noinput"}, make_root).code == 0);
    {
        ExampleServer server(dir, args(dir, {"--mail-outbox", (dir / "outbox").string()}));
        Client client(server.port());
        register_user(client, dir, "amy");
        register_user(client, dir, "bob");
        REQUIRE(admin(dir, {"users", "delete", "bob", "--yes"}).code == 0);  // a gap in the ids
        register_user(client, dir, "cy");
        REQUIRE(admin(dir, {"groups", "create", "editors"}).code == 0);
        REQUIRE(admin(dir, {"groups", "create", "empty"}).code == 0);
        REQUIRE(admin(dir, {"groups", "add", "cy", "editors"}).code == 0);
        CHECK(server.stop() == 0);
    }
    const auto file = dir / "users.jsonl";
    write_file(file, "an older file, open to all\n");
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                           std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    auto exported = admin(dir, {"export", "--output", file.string()});
    REQUIRE(exported.code == 0);
    CHECK(exported.err == "exported 3 users and 2 groups\n");
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::others_all) == std::filesystem::perms::none);

    auto dry = admin(dir, with_database(target, {"import", "--input", file.string(), "--dry-run"}));
    CHECK(dry.code == 0);
    CHECK(dry.out == "dry run: 3 imported, 0 updated, 0 already present, 2 groups, 0 conflicts, 0 rejected\n"
                     "password hashes: argon2id 3\n");
    CHECK(admin(dir, with_database(target, {"users", "list", "--json"})).json().at("total") == 0);

    auto imported = admin(dir, with_database(target, {"import", "--input", file.string()}));
    CHECK(imported.code == 0);
    CHECK(imported.out == "3 imported, 0 updated, 0 already present, 2 groups, 0 conflicts, 0 rejected\n"
                          "password hashes: argon2id 3\n");
    auto twice = admin(dir, with_database(target, {"import", "--input", file.string()}));
    CHECK(twice.code == 0);
    CHECK(twice.out == "0 imported, 0 updated, 3 already present, 2 groups, 0 conflicts, 0 rejected\n"
                       "password hashes: argon2id 3\n");

    // The same ids, groups and flags; a new user gets an id after every imported one.
    auto cy = admin(dir, with_database(target, {"users", "show", "cy", "--json"})).json();
    CHECK(cy.at("id") == 4);
    CHECK(cy.at("groups") == json::array{"editors"});
    CHECK(admin(dir, with_database(target, {"groups", "list", "--json"})).json() == json::array{"editors", "empty"});
    CHECK(admin(dir, with_database(target, {"users", "show", "root", "--json"})).json().at("is_superuser") == true);

    TempDir other;
    ExampleServer moved(other, args(other, {"--database", target, "--mail-outbox", (other / "outbox").string()}));
    Client client(moved.port());
    for (const std::string name : {"root", "amy", "cy"}) CHECK(login_status(client, name, strong_password) == 200);
    auto fresh = client.send(bhttp::verb::post, "/auth/users/",
                             json::serialize(json::object{{"username", "dan"}, {"email", "dan@example.com"},
                                                          {"password", strong_password}, {"re_password", strong_password}}));
    REQUIRE(fresh.status == 201);
    CHECK(admin(dir, with_database(target, {"users", "show", "dan@example.com", "--json"})).json().at("id").as_int64() > 4);
    CHECK(moved.stop() == 0);
}

}  // namespace

TEST_CASE("usermgmt-admin export and import: SQLite to SQLite, passwords, ids and groups kept", "[example][admin]")
{
    TempDir dir;
    move_users(dir, "sqlite:" + (dir / "moved.db").string());
}

TEST_CASE("usermgmt-admin export and import: SQLite to PostgreSQL", "[example][admin][postgres]")
{
    REQUIRE(on_postgres());
    TempDir dir;
    move_users(dir, fresh_postgres_database(dir, "_import"));
}

TEST_CASE("usermgmt-admin import reports conflicts and bad lines, and imports the rest", "[example][admin]")
{
    TempDir dir;
    REQUIRE(admin(dir, {"createsuperuser", "--noinput"}, make_root).code == 0);
    const auto file = dir / "users.jsonl";
    REQUIRE(admin(dir, {"export", "--output", file.string()}).code == 0);
    std::string root_line;
    {
        std::stringstream lines(read_file(file));
        for (std::string line; std::getline(lines, line);)
            if (line.find("\"kind\":\"user\"") != std::string::npos) root_line = line;
    }
    REQUIRE(!root_line.empty());
    const auto replace = [](std::string text, const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    const std::string ann = replace(replace(replace(root_line, "\"id\":1", "\"id\":7"), "\"root\"", "\"ann\""),
                                    "root@example.com", "ann@example.com");
    const std::string ann_shouting = replace(replace(ann, "\"id\":7", "\"id\":8"), "\"ann\"", "\"ANN\"");
    const std::string weak_hash = replace(replace(replace(replace(ann, "\"id\":7", "\"id\":9"), "\"ann\"", "\"weak\""),
                                                  "ann@example.com", "weak@example.com"),
                                          "$argon2id$", "$2b$");
    const std::string root_elsewhere = replace(root_line, "\"id\":1", "\"id\":5");
    const std::string header = R"({"kind":"header","format":"usermgmt-users","version":1})";
    const std::string costly = replace(replace(replace(replace(ann, "\"id\":7", "\"id\":11"), "\"ann\"", "\"costly\""),
                                               "ann@example.com", "costly@example.com"),
                                       "m=8,", "m=4194304,");
    write_file(dir / "mixed.jsonl", header + "\n" + ann + "\nnot json\n" + ann_shouting + "\n" + weak_hash + "\n" +
                                        root_elsewhere + "\n{\"kind\":\"user\",\"id\":10}\n" + costly +
                                        "\n{\"kind\":\"end\",\"users\":6}\n");

    TempDir target;
    REQUIRE(admin(target, {"createsuperuser", "--noinput"}, make_root).code == 0);
    auto run = admin(target, {"import", "--input", (dir / "mixed.jsonl").string()});
    CHECK(run.code == 1);
    CHECK(run.out == "1 imported, 0 updated, 0 already present, 0 groups, 2 conflicts, 4 rejected\n"
                     "password hashes: argon2id 1\n");
    CHECK(run.err.find("line 3: not a JSON object") != std::string::npos);
    CHECK(run.err.find("line 4: conflict: user ANN <ann@example.com>: an earlier one") != std::string::npos);
    CHECK(run.err.find("line 5: password hash: malformed") != std::string::npos);
    CHECK(run.err.find("line 6: conflict: username root belongs to user 1 here") != std::string::npos);
    CHECK(run.err.find("line 7: missing or malformed: ") != std::string::npos);
    CHECK(run.err.find("line 8: password hash: malformed") != std::string::npos);  // too costly
    CHECK(admin(target, {"users", "list", "--json"}).json().at("total") == 2);

    // Without its header nothing is read; without its end line the file is reported cut short.
    auto headless = admin(target, {"import", "--input", (dir / "users.jsonl").string() + ".none"});
    CHECK(headless.code == 2);
    write_file(dir / "headless.jsonl", ann + "\n");
    auto no_header = admin(target, {"import", "--input", (dir / "headless.jsonl").string()});
    CHECK(no_header.code == 1);
    CHECK(no_header.err.find("line 1: not the header of a usermgmt-users export") != std::string::npos);
    write_file(dir / "cut.jsonl", header + "\n" + replace(replace(ann, "\"id\":7", "\"id\":12"), "\"ann\"", "\"cut\"") + "\n");
    auto cut = admin(target, {"import", "--input", (dir / "cut.jsonl").string()});
    CHECK(cut.code == 1);
    CHECK(cut.err.find("the file ends without its end line") != std::string::npos);

    // --update overwrites the user already there with the file's record.
    write_file(dir / "renamed.jsonl", header + "\n" + replace(ann, "\"first_name\":\"\"", "\"first_name\":\"Ann\"") +
                                          "\n{\"kind\":\"end\",\"users\":1}\n");
    auto updated = admin(target, {"import", "--input", (dir / "renamed.jsonl").string(), "--update"});
    CHECK(updated.code == 0);
    CHECK(updated.out.rfind("0 imported, 1 updated", 0) == 0);
    CHECK(admin(target, {"users", "show", "ann", "--json"}).json().at("first_name") == "Ann");

    // A command other than createsuperuser, migrate or import makes no database.
    TempDir nothing;
    auto missing = admin(nothing, {"export"});
    CHECK(missing.code == 2);
    CHECK(missing.err.find("usermgmt-admin: no database at ") == 0);
    CHECK(missing.out.empty());
    CHECK_FALSE(std::filesystem::exists(nothing / "data" / "users.db"));
}

}  // namespace usermgmt::test
