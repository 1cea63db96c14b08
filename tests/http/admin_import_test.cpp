// Moving in: usermgmt-admin imports a real Django database (made by Debian's Django with each of
// its password hashers) and an Express service's mongoexport file (hashed by bcrypt.js when node
// is there), and every user logs in over HTTP with the password they had; the first login
// leaves an Argon2id hash behind.
#include "admin_tool.hpp"
#include "example_postgres.hpp"

#ifndef USERMGMT_IMPORT_SCRIPTS
#error "USERMGMT_IMPORT_SCRIPTS names tests/import"
#endif
#ifndef USERMGMT_NODE_MODULES
#error "USERMGMT_NODE_MODULES names where scripts/test.sh installs bcryptjs"
#endif

namespace usermgmt::test {
namespace {

struct Person {
    std::string username, email, password, hasher;
};

// Runs a script of tests/import with Debian's python3; its stdout as JSON lines.
std::vector<json::object> run_script(const TempDir& dir, const std::string& script, std::vector<std::string> words)
{
    std::vector<std::string> argv = {"/usr/bin/python3", std::string(USERMGMT_IMPORT_SCRIPTS) + "/" + script};
    argv.insert(argv.end(), words.begin(), words.end());
    ChildProcess process(argv, {}, (dir / (script + ".out")).string());
    const int code = process.wait();
    INFO(process.log());
    REQUIRE(code == 0);
    std::vector<json::object> lines;
    std::stringstream text(process.log());
    for (std::string line; std::getline(text, line);)
        if (!line.empty() && line.front() == '{') lines.push_back(json::parse(line).as_object());
    return lines;
}

// Whether Django's check_password takes `password` for `hash`.
bool django_accepts(const TempDir& dir, const std::string& hash, const std::string& password)
{
    ChildProcess process({"/usr/bin/python3", std::string(USERMGMT_IMPORT_SCRIPTS) + "/django_check_password.py", hash, password},
                         {}, (dir / "django_check.out").string());
    return process.wait() == 0;
}

std::vector<Person> make_django_database(const TempDir& dir, const std::string& where, bool custom = false)
{
    std::vector<std::string> words = {where};
    if (custom) words.push_back("--custom");
    std::vector<Person> people;
    for (const auto& line : run_script(dir, "make_django_db.py", words)) {
        const auto text = [&](const char* key) {
            return line.at(key).is_string() ? std::string(line.at(key).as_string()) : std::string();
        };
        people.push_back({text("username"), text("email"), text("password"), text("hasher")});
    }
    REQUIRE(people.size() == 8);
    return people;
}

std::string stored_hash(const TempDir& dir, const std::string& username)
{
    auto exported = admin(dir, {"export"});
    REQUIRE(exported.code == 0);
    std::stringstream lines(exported.out);
    for (std::string line; std::getline(lines, line);) {
        auto value = json::parse(line).as_object();
        if (value.at("kind") == "user" && value.at("username").as_string() == username)
            return std::string(value.at("password_hash").as_string());
    }
    FAIL("no user " << username);
    return {};
}

// Imports the Django database at `from` into `dir`'s and checks everyone as Django left them.
void import_and_log_in(const TempDir& dir, const std::string& from, const std::vector<Person>& people,
                       std::vector<std::string> extra = {})
{
    std::vector<std::string> words = {"import", "django", "--from", from};
    words.insert(words.end(), extra.begin(), extra.end());
    auto dry_words = words;
    dry_words.push_back("--dry-run");
    auto dry = admin(dir, dry_words);
    INFO(dry.err);
    CHECK(dry.code == 0);
    CHECK(dry.out == "dry run: 8 imported, 0 updated, 0 already present, 2 groups, 0 conflicts, 0 rejected\n"
                     "password hashes: django_argon2 1 django_bcrypt 1 django_bcrypt_sha256 1 none 1 pbkdf2_sha1 1 "
                     "pbkdf2_sha256 3\n");
    CHECK(admin(dir, {"users", "list", "--json"}).json().at("total") == 0);  // a dry run writes nothing

    auto run = admin(dir, words);
    INFO(run.err);
    REQUIRE(run.code == 0);
    CHECK(run.out.rfind("8 imported, 0 updated, 0 already present, 2 groups, 0 conflicts, 0 rejected\n", 0) == 0);

    // As Django had them: ids, flags, groups; Djoser's inactive-and-never-logged-in is waiting for
    // activation, inactive after a login is turned off by staff.
    auto pam = admin(dir, {"users", "show", "pam", "--json"}).json();
    CHECK(pam.at("id") == 1);
    CHECK(pam.at("email") == "pam@example.com");  // Django kept "pam@Example.COM": the domain is normalised
    CHECK(pam.at("first_name") == "Pam");
    CHECK(pam.at("is_staff") == true);
    CHECK(pam.at("groups") == json::array{"editors"});
    CHECK(admin(dir, {"users", "show", "ada", "--json"}).json().at("is_superuser") == true);
    auto ivy = admin(dir, {"users", "show", "ivy", "--json"}).json();
    CHECK(ivy.at("disabled") == false);  // may ask for the activation link again
    CHECK(ivy.at("is_active") == false);
    CHECK(admin(dir, {"purge"}).code == 0);  // and is not purged as never activated
    CHECK(admin(dir, {"users", "show", "ivy"}).code == 0);
    CHECK(admin(dir, {"users", "show", "oli", "--json"}).json().at("disabled") == true);
    CHECK(admin(dir, {"groups", "list", "--json"}).json() == json::array{"editors", "nobody-here"});

    ExampleServer server(dir, args(dir));
    Client client(server.port());
    for (const auto& p : people) {
        INFO(p.username << " (" << p.hasher << ")");
        const bool can_log_in = !p.password.empty() && p.username != "ivy" && p.username != "oli";
        if (!can_log_in) {
            CHECK(login_status(client, p.username, p.password.empty() ? "Django-pass-x-42" : p.password) == 401);
            continue;
        }
        CHECK(stored_hash(dir, p.username).rfind("imported:", 0) == 0);
        CHECK(login_status(client, p.username, p.password + "x") == 401);
        CHECK(login_status(client, p.username, p.password) == 200);
        const std::string rehashed = stored_hash(dir, p.username);
        CHECK(rehashed.rfind("$argon2id$", 0) == 0);                 // rehashed by that login
        CHECK(login_status(client, p.username, p.password) == 200);  // and still the same password
        // Back out: Django itself reads the new hash with "argon2" in front.
        if (p.username == "pam") {
            CHECK(django_accepts(dir, "argon2" + rehashed, p.password));
            CHECK_FALSE(django_accepts(dir, "argon2" + rehashed, p.password + "x"));
        }
    }
    CHECK(server.stop() == 0);

    // Again: nothing new, nothing changed.
    auto again = admin(dir, words);
    CHECK(again.code == 0);
    CHECK(again.out.rfind("0 imported, 0 updated, 8 already present, 2 groups, 0 conflicts, 0 rejected\n", 0) == 0);
}

}  // namespace

TEST_CASE("usermgmt-admin import django: a real Django database, every hasher, everyone logs in", "[example][import]")
{
    TempDir dir;
    const auto people = make_django_database(dir, (dir / "django.sqlite3").string());
    import_and_log_in(dir, (dir / "django.sqlite3").string(), people);
}

TEST_CASE("usermgmt-admin import django: a custom user model, its extra columns named and left behind",
          "[example][import]")
{
    TempDir dir;
    const auto people = make_django_database(dir, (dir / "django.sqlite3").string(), true);
    // The default table is not there: the message says how to name the model's.
    auto missing = admin(dir, {"import", "django", "--from", (dir / "django.sqlite3").string()});
    CHECK(missing.code == 1);
    CHECK(missing.err.find("no table auth_user (a custom user model? --user-table NAME)") != std::string::npos);
    auto bad = admin(dir, {"import", "django", "--from", (dir / "nothing.sqlite3").string()});
    CHECK(bad.code == 2);
    CHECK(admin(dir, {"import", "django"}).code == 2);

    import_and_log_in(dir, (dir / "django.sqlite3").string(), people, {"--user-table", "accounts_member"});
    auto notice = admin(dir, {"import", "django", "--from", (dir / "django.sqlite3").string(), "--user-table", "accounts_member", "--dry-run"});
    CHECK(notice.err.find("notice: column accounts_member.phone has no place here and is not imported") != std::string::npos);
    // The avatar's path under Django's MEDIA_ROOT is kept (the files are copied by hand).
    CHECK(admin(dir, {"users", "show", "pam", "--json"}).json().at("avatar") == "avatars/pam.png");
}

TEST_CASE("usermgmt-admin import django: from a Django database on PostgreSQL", "[example][import][postgres]")
{
    REQUIRE(on_postgres());
    TempDir dir;
    const std::string url = fresh_postgres_database(dir, "_django");
    const auto people = make_django_database(dir, url);
    import_and_log_in(dir, url, people);
}

TEST_CASE("usermgmt-admin import jsonl: an Express service's users log in over /users/login with their bcrypt password",
          "[example][import]")
{
    TempDir dir;
    // bcrypt.js itself when scripts/test.sh could install it (node and npm present), else python3-bcrypt.
    const bool node = std::system("node --version >/dev/null 2>&1") == 0 &&
                      std::filesystem::exists(std::filesystem::path(USERMGMT_NODE_MODULES) / "bcryptjs");
    if (!node) WARN("node or bcryptjs missing: the Express hashes come from python3-bcrypt only");
    const auto file = dir / "users.jsonl";
    const auto logins =
        run_script(dir, "make_mongo_export.py", {file.string(), node ? std::string(USERMGMT_NODE_MODULES) : ""});
    REQUIRE(logins.size() == 5);

    auto run = admin(dir, {"import", "jsonl", "--input", file.string(), "--id-map", (dir / "ids.jsonl").string()});
    INFO(run.err);
    CHECK(run.code == 1);  // some lines were not taken, and said so
    CHECK(run.out == "5 imported, 0 updated, 0 already present, 0 groups, 1 conflicts, 3 rejected\n"
                     "password hashes: bcrypt 5\n");
    CHECK(run.err.find("line 6: conflict: <PY@Example.com>: an earlier one has the same") != std::string::npos);
    CHECK(run.err.find("line 7: password hash: malformed") != std::string::npos);
    CHECK(run.err.find("line 8: missing or malformed: email") != std::string::npos);
    CHECK(run.err.find("line 9: not a JSON object") != std::string::npos);
    const std::string ids = read_file(dir / "ids.jsonl");
    CHECK(ids.find(R"({"old_id":"60be32ee49e947004e516201","id":1})") != std::string::npos);
    CHECK(ids.find(R"({"old_id":"60be32ee49e947004e51620b","id":5})") != std::string::npos);

    auto canonical = admin(dir, {"users", "show", "canonical@example.com", "--json"}).json();
    CHECK(canonical.at("birthdate") == "2000-01-01");
    CHECK(canonical.at("date_joined") == "2021-06-07T14:53:34.607000Z");
    CHECK(admin(dir, {"users", "show", "js1@example.com", "--json"}).json().at("groups") == json::array{"admins"});

    ExampleServer server(dir, args(dir));
    Client client(server.port());
    for (const auto& login : logins) {
        INFO(json::serialize(login));
        const std::string email(login.at("email").as_string());
        const std::string password(login.at("password").as_string());
        const auto attempt = [&](const std::string& pw) {
            return client.send(bhttp::verb::post, "/users/login",
                               json::serialize(json::object{{"email", email}, {"password", pw}}));
        };
        CHECK(attempt("wrong-" + password).status == 401);
        auto ok = attempt(password);
        CHECK(ok.status == 200);
        CHECK(stored_hash(dir, email).rfind("$argon2id$", 0) == 0);
        CHECK(attempt(password).status == 200);
    }
    CHECK(server.stop() == 0);

    // A second run finds everyone by the id map (whatever their email here became), and writes
    // the whole map again; a dry run leaves the map alone.
    auto dry = admin(dir, {"import", "jsonl", "--input", file.string(), "--id-map", (dir / "ids.jsonl").string(), "--dry-run"});
    CHECK(dry.out.rfind("dry run: 0 imported, 0 updated, 5 already present", 0) == 0);
    CHECK(read_file(dir / "ids.jsonl") == ids);
    CHECK(admin(dir, {"import", "jsonl", "--input", file.string(), "--update"}).code == 2);
    auto again = admin(dir, {"import", "jsonl", "--input", file.string(), "--id-map", (dir / "ids.jsonl").string()});
    CHECK(again.out.rfind("0 imported, 0 updated, 5 already present", 0) == 0);
    CHECK(read_file(dir / "ids.jsonl") == ids);
}

}  // namespace usermgmt::test
