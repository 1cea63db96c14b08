// UserService::import_users: accounts from elsewhere, with their hashes; the first login replaces
// a foreign hash with Argon2id; no other path lets a foreign hash in.
#include "usermgmt/user_service.hpp"

#include "../support/foreign_samples.hpp"
#include "../support/service_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;

namespace {

ImportedUser imported(const std::string& name, std::string hash, UserId id = 0)
{
    ImportedUser in;
    in.user.id = id;
    in.user.username = name;
    in.user.email = name + "@Example.COM";
    in.user.is_active = true;
    in.user.date_joined = in.user.updated_at = std::chrono::system_clock::now() - std::chrono::hours(24 * 400);
    in.user.activated_at = in.user.date_joined;
    in.password_hash = std::move(hash);
    return in;
}

// The stored hash of `name`, read through a second store on the same database.
std::string stored_hash(ServiceFixture& f, const std::string& name)
{
    auto store = open_test_store(f.dir.path());
    REQUIRE(store);
    auto row = (*store)->find_user_by_username(name);
    REQUIRE(row);
    return row->password_hash;
}

}  // namespace

TEST_CASE("Imported users log in with their old password, and the first login rehashes it to Argon2id",
          "[service][import]")
{
    ServiceFixture f;
    std::vector<ImportedUser> users;
    const auto& samples = foreign_samples();
    for (std::size_t i = 0; i < samples.size(); ++i) users.push_back(imported("user" + std::to_string(i), samples[i].hash));
    auto results = f.service->import_users(operator_principal(), users);
    REQUIRE(results);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const std::string name = "user" + std::to_string(i);
        INFO(samples[i].hash);
        CHECK((*results)[i].outcome == ImportOutcome::imported);
        CHECK((*results)[i].hash_format == samples[i].format);
        CHECK(stored_hash(f, name).rfind("imported:", 0) == 0);
        CHECK(f.service->login(name, "wrong-" + samples[i].password).error().code == Errc::invalid_credentials);
        CHECK(stored_hash(f, name).rfind("imported:", 0) == 0);  // a failed login changes nothing
        REQUIRE(f.service->login(name, samples[i].password));
        CHECK(stored_hash(f, name).rfind("$argon2id$", 0) == 0);
        // The same password, now against Argon2id, which counts every byte (bcrypt counted 72).
        CHECK(f.service->login(name, samples[i].password));
        CHECK(f.service->login(name, samples[i].password + "-wrong").error().code == Errc::invalid_credentials);
    }
}

TEST_CASE("A foreign hash counts only for an imported account", "[service][import]")
{
    ServiceFixture f;
    const ForeignSample& sample = foreign_samples().front();
    // Planted in the store without the import's mark (as a backup edited by hand, or another
    // tool writing the table): no login with it.
    auto store = open_test_store(f.dir.path());
    REQUIRE(store);
    StoredUser planted;
    planted.user = imported("planted", "").user;
    planted.user.email = "planted@example.com";
    planted.password_hash = sample.hash;
    REQUIRE((*store)->insert_user(planted));
    CHECK(f.service->login("planted", sample.password).error().code == Errc::invalid_credentials);
    // Marked, but not a hash the library reads: refused as well (the log says so).
    planted.user.username = "garbled";
    planted.user.email = "garbled@example.com";
    planted.user.id = 0;
    planted.password_hash = "imported:md5$salt$0123456789abcdef0123456789abcdef";
    REQUIRE((*store)->insert_user(planted));
    CHECK(f.service->login("garbled", "anything").error().code == Errc::invalid_credentials);
    // Unmarked Argon2i (argon2-cffi's older default) does not log in either; unmarked Argon2id of
    // another cost or lane count does (it is this library's algorithm, and the login rehashes it).
    int n = 0;
    for (const auto& other : foreign_samples()) {
        if (other.format != "argon2") continue;
        planted.user.id = 0;
        planted.user.username = "argon" + std::to_string(++n);
        planted.user.email = planted.user.username + "@example.com";
        planted.password_hash = other.hash;
        REQUIRE((*store)->insert_user(planted));
        const bool argon2id = other.hash.rfind("$argon2id$", 0) == 0;
        INFO(other.hash);
        CHECK(f.service->login(planted.user.username, other.password).has_value() == argon2id);
    }
    CHECK(n == 4);
    // Registration writes Argon2id.
    f.make_user("native");
    CHECK(stored_hash(f, "native").rfind("$argon2id$", 0) == 0);
}

TEST_CASE("An import never takes an id this batch gave to another user", "[service][import]")
{
    ServiceFixture f;
    const std::string hash = foreign_samples().front().hash;
    ImportedUser first = imported("first", hash);
    ImportedUser second = imported("", hash, 1);  // the id the store gives `first`
    second.user.email = "second@example.com";
    auto results = f.service->import_users(operator_principal(), {first, second});
    REQUIRE(results);
    CHECK((*results)[0].outcome == ImportOutcome::imported);
    CHECK((*results)[0].id == 1);
    CHECK((*results)[1].outcome == ImportOutcome::conflict);
    CHECK((*results)[1].detail == "id 1 was given to an earlier user of this batch");
}

TEST_CASE("import_users checks fields and hashes, reports conflicts, and is for operators only",
          "[service][import]")
{
    ServiceFixture f;
    const std::string hash = foreign_samples().front().hash;
    f.make_user("taken");
    const User staff = f.make_user("boss", true);
    const Principal boss = f.principal_of("boss");
    CHECK(f.service->import_users(boss, {imported("x", hash)}).error().code == Errc::forbidden);

    ImportedUser no_email = imported("noemail", hash);
    no_email.user.email = "";
    ImportedUser bad_name = imported("bad name", hash);
    ImportedUser derived = imported("", hash);
    derived.user.email = "Derived.Person+tag@Example.com";
    ImportedUser shouting = imported("TAKEN", hash);
    shouting.user.email = "other@example.com";
    const std::vector<ImportedUser> batch = {
        imported("fresh", hash),
        shouting,                                                                // a username here, in another case
        imported("twin", hash), imported("Twin", hash),                          // twice in the batch
        imported("weak", "md5$salt$0123456789abcdef0123456789abcdef"),           // unsupported hasher
        imported("cut", hash.substr(0, hash.size() - 5)),                        // truncated
        no_email, bad_name,
        imported("kept", hash, 500),                                             // its id kept
        imported("none", "!unusablepassword"),                                   // Django's unusable password
        derived,
    };
    // A dry run says the same and writes nothing.
    auto dry = f.service->import_users(operator_principal(), batch, {true, false});
    REQUIRE(dry);
    auto results = f.service->import_users(operator_principal(), batch);
    REQUIRE(results);
    REQUIRE(results->size() == batch.size());
    const std::vector<ImportOutcome> expected = {
        ImportOutcome::imported, ImportOutcome::conflict, ImportOutcome::imported, ImportOutcome::conflict,
        ImportOutcome::rejected, ImportOutcome::rejected, ImportOutcome::rejected, ImportOutcome::rejected,
        ImportOutcome::imported, ImportOutcome::imported, ImportOutcome::imported};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO(i << ": " << (*results)[i].detail);
        CHECK((*results)[i].outcome == expected[i]);
        CHECK((*dry)[i].outcome == expected[i]);
    }
    CHECK((*results)[1].detail.find("username TAKEN belongs to user") == 0);
    CHECK((*results)[4].hash_format == "unsupported");
    CHECK((*results)[6].detail.find("email") != std::string::npos);
    CHECK((*results)[7].detail.find("username") != std::string::npos);
    CHECK((*results)[8].id == 500);
    CHECK((*results)[9].hash_format == "none");
    CHECK(f.service->login("none", "anything-at-all").error().code == Errc::invalid_credentials);
    auto person = f.service->find_user(boss, "derived.person+tag@example.com");
    REQUIRE(person);
    CHECK(person->username == "Derived.Person+tag@example.com");
    CHECK(person->id == (*results)[10].id);

    // Again: everyone is present (matched by id, or by email when the source has no id).
    auto again = f.service->import_users(operator_principal(), {imported("fresh", hash), imported("kept", hash, 500), derived});
    REQUIRE(again);
    for (const auto& r : *again) CHECK(r.outcome == ImportOutcome::present);
    CHECK((*again)[1].id == 500);
    CHECK((*again)[2].id == (*results)[10].id);
}

TEST_CASE("import_users with update: a restored hash ends the sessions, a foreign one never replaces a password set here",
          "[service][import]")
{
    ServiceFixture f;
    const ForeignSample& sample = foreign_samples().front();
    REQUIRE(f.service->import_users(operator_principal(), {imported("ann", sample.hash, 7)}));
    auto tokens = f.service->login("ann", sample.password);  // replaces the imported hash
    REQUIRE(tokens);
    const std::string argon = stored_hash(f, "ann");
    REQUIRE(argon.rfind("$argon2id$", 0) == 0);

    // The old system's hash again (a re-run with --update): no old password comes back.
    auto again = f.service->import_users(operator_principal(), {imported("ann", foreign_samples().back().hash, 7)},
                                         {false, true});
    REQUIRE(again);
    CHECK((*again)[0].outcome == ImportOutcome::updated);
    CHECK((*again)[0].detail == "kept the password set here");
    CHECK(stored_hash(f, "ann") == argon);
    CHECK(f.service->authenticate(tokens->access));
    CHECK(f.service->login("ann", foreign_samples().back().password).error().code == Errc::invalid_credentials);

    // A backup's Argon2id hash puts that password back, and ends the sessions (a restore after
    // a compromise must not leave the intruder logged in).
    f.make_user("donor");
    ImportedUser restored = imported("ann", stored_hash(f, "donor"), 7);
    restored.user.first_name = "Ann";
    auto updated = f.service->import_users(operator_principal(), {restored}, {false, true});
    REQUIRE(updated);
    CHECK((*updated)[0].outcome == ImportOutcome::updated);
    CHECK((*updated)[0].detail.empty());
    CHECK(f.service->authenticate(tokens->access).error().code == Errc::token_invalid);
    auto ann = f.service->me(f.principal_of("ann", good_password));
    REQUIRE(ann);
    CHECK(ann->first_name == "Ann");
    CHECK(ann->id == 7);
}
