#include "usermgmt/password_hasher.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using namespace usermgmt;

TEST_CASE("Argon2id hashes are self-describing and verify", "[hasher]")
{
    auto hasher = make_argon2id_hasher(Argon2Params::cheapest_for_tests());
    REQUIRE(hasher);
    auto hash = (*hasher)->hash("s3cret pass");
    REQUIRE(hash);
    CHECK(hash->rfind("$argon2id$v=19$m=8,t=1,p=1$", 0) == 0);
    CHECK((*hasher)->verify(*hash, "s3cret pass"));
    CHECK_FALSE((*hasher)->verify(*hash, "s3cret pasS"));
    CHECK_FALSE((*hasher)->verify("not a hash", "s3cret pass"));
    CHECK_FALSE((*hasher)->verify(std::string(500, '$'), "x"));
    CHECK_FALSE((*hasher)->needs_rehash(*hash));
    // Two hashes of one password differ (random salt).
    CHECK(*(*hasher)->hash("s3cret pass") != *hash);
}

TEST_CASE("A hash made with other parameters needs rehashing", "[hasher]")
{
    auto cheap = make_argon2id_hasher(Argon2Params::cheapest_for_tests());
    auto stronger = make_argon2id_hasher(Argon2Params{2, 16384});
    REQUIRE(cheap);
    REQUIRE(stronger);
    auto hash = (*cheap)->hash("pw");
    REQUIRE(hash);
    CHECK((*stronger)->needs_rehash(*hash));
    CHECK((*stronger)->verify(*hash, "pw"));  // old hashes still verify
    CHECK((*stronger)->needs_rehash("garbage"));
}

TEST_CASE("Lowering the parameters locks nobody out: a costlier old hash still verifies", "[hasher]")
{
    // Far above four times the new cost: still this library's Argon2id, so it logs in (and the
    // login rehashes it at the new cost).
    auto costly = make_argon2id_hasher(Argon2Params{12, 64u * 1024u * 1024u});
    auto cheap = make_argon2id_hasher(Argon2Params::cheapest_for_tests());
    REQUIRE(costly);
    REQUIRE(cheap);
    auto hash = (*costly)->hash("pw");
    REQUIRE(hash);
    CHECK((*cheap)->verify(*hash, "pw"));
    CHECK_FALSE((*cheap)->verify(*hash, "pW"));
    CHECK((*cheap)->needs_rehash(*hash));
    // Argon2i, or a hash of another system without the import's mark, does not.
    std::string argon2i = *hash;
    argon2i.replace(0, 10, "$argon2i$");
    CHECK_FALSE((*cheap)->verify(argon2i, "pw"));
}

TEST_CASE("Parameters outside libsodium's limits are a configuration error", "[hasher]")
{
    CHECK(make_argon2id_hasher(Argon2Params{0, 8192}).error().code == Errc::bad_config);
    CHECK(make_argon2id_hasher(Argon2Params{1, 1024}).error().code == Errc::bad_config);
    const Argon2Params defaults;
    CHECK(defaults.ops_limit >= 2);
    CHECK(defaults.mem_limit_bytes >= 19u * 1024u * 1024u);
}

TEST_CASE("Many callers share the hasher's hashing threads - each gets its own result", "[hasher][concurrency]")
{
    Argon2Params params = Argon2Params::cheapest_for_tests();
    params.threads = 2;  // fewer than the callers: they queue for the two
    auto hasher = make_argon2id_hasher(params);
    REQUIRE(hasher);
    std::vector<std::string> hashes(8);
    std::vector<int> verified(8, 0);
    std::vector<std::thread> callers;
    for (int t = 0; t < 8; ++t) {
        callers.emplace_back([&, t] {
            const std::string password = "password of caller " + std::to_string(t);
            for (int i = 0; i < 5; ++i) {
                auto hash = (*hasher)->hash(password);
                if (!hash) return;
                hashes[static_cast<std::size_t>(t)] = *hash;
                if ((*hasher)->verify(*hash, password) && !(*hasher)->verify(*hash, password + "x"))
                    ++verified[static_cast<std::size_t>(t)];
            }
        });
    }
    for (auto& c : callers) c.join();
    for (int t = 0; t < 8; ++t) {
        CHECK(verified[static_cast<std::size_t>(t)] == 5);
        // A caller's hash is of its own password, not a neighbour's.
        CHECK((*hasher)->verify(hashes[static_cast<std::size_t>(t)], "password of caller " + std::to_string(t)));
        CHECK_FALSE((*hasher)->verify(hashes[static_cast<std::size_t>(t)], "password of caller " + std::to_string((t + 1) % 8)));
    }
}
