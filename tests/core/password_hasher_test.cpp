#include "usermgmt/password_hasher.hpp"

#include <catch2/catch.hpp>

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

TEST_CASE("Parameters outside libsodium's limits are a configuration error", "[hasher]")
{
    CHECK(make_argon2id_hasher(Argon2Params{0, 8192}).error().code == Errc::bad_config);
    CHECK(make_argon2id_hasher(Argon2Params{1, 1024}).error().code == Errc::bad_config);
    const Argon2Params defaults;
    CHECK(defaults.ops_limit >= 2);
    CHECK(defaults.mem_limit_bytes >= 19u * 1024u * 1024u);
}
