// Hashes of other systems that imported accounts keep until their first login: each format read
// and verified as its own library does, everything else refused without a crash.
#include "foreign_hashes.hpp"

#include "support/foreign_samples.hpp"

#include <catch2/catch.hpp>

using namespace usermgmt;
using namespace usermgmt::detail;
using usermgmt::test::foreign_samples;

TEST_CASE("Hashes made by Django, bcrypt and argon2-cffi verify with their password only", "[hash][import]")
{
    for (const auto& sample : foreign_samples()) {
        INFO(sample.hash);
        CHECK(foreign_hash_format(sample.hash) == sample.format);
        CHECK(verify_foreign_hash(sample.hash, sample.password));
        CHECK_FALSE(verify_foreign_hash(sample.hash, "x" + sample.password));
        CHECK_FALSE(verify_foreign_hash(sample.hash, "M" + sample.password.substr(1)));
        CHECK_FALSE(verify_foreign_hash(sample.hash, ""));
        // As stored for an imported account.
        const std::string stored = std::string(imported_hash_marker) + sample.hash;
        CHECK(stored_hash_format(stored, Argon2Params{}) == sample.format);
        CHECK(unmark_imported(stored) == sample.hash);
    }
}

TEST_CASE("bcrypt counts 72 bytes of a password, Django's bcrypt_sha256 all of it", "[hash][import]")
{
    for (const auto& sample : foreign_samples()) {
        if (sample.password.size() <= 72) continue;
        INFO(sample.hash);
        const std::string same_start = sample.password.substr(0, 72) + "something else";
        const bool truncates = sample.format == "bcrypt" || sample.format == "django_bcrypt";
        CHECK(verify_foreign_hash(sample.hash, same_start) == truncates);
    }
}

TEST_CASE("Truncated, altered and unknown hashes are refused, never a crash", "[hash][import]")
{
    for (const auto& sample : foreign_samples()) {
        INFO(sample.hash);
        for (std::size_t n = 0; n < sample.hash.size(); ++n)
            CHECK_FALSE(verify_foreign_hash(sample.hash.substr(0, n), sample.password));
        // One character of the digest changed.
        std::string altered = sample.hash;
        char& last = altered[altered.size() - 3];
        last = last == 'A' ? 'B' : 'A';
        CHECK_FALSE(verify_foreign_hash(altered, sample.password));
        CHECK_FALSE(verify_foreign_hash(sample.hash + "$", sample.password));
        CHECK_FALSE(verify_foreign_hash(" " + sample.hash, sample.password));
    }
    // Django's weak or unsalted hashers, crypt, and what is not a hash at all.
    for (const char* hash : {"", "md5$salt$0123456789abcdef0123456789abcdef", "sha1$salt$0123456789abcdef0123456789abcdef01234567",
                             "unsalted_md5$0123456789abcdef0123456789abcdef", "unsalted_sha1$0123456789abcdef0123456789abcdef01234567",
                             "crypt$$abN0XyZq1Tq3A", "!unusable", "imported:", "$1$salt$hash", "$5$rounds=1000$salt$hash",
                             "pbkdf2_sha512$1000$salt$abc=", "pbkdf2_sha256$$salt$abc=", "pbkdf2_sha256$01000$s$abc=",
                             "pbkdf2_sha256$-5$s$abc=", "argon2$", "bcrypt$$", "bcrypt_sha256$"}) {
        INFO(hash);
        CHECK_FALSE(foreign_hash_format(hash));
        CHECK_FALSE(verify_foreign_hash(hash, "password"));
    }
    CHECK_FALSE(stored_hash_format("pbkdf2_sha256$1000$salt$abc=", Argon2Params{}));  // foreign but not marked
    CHECK(stored_hash_format("", Argon2Params{}) == "none");
}

TEST_CASE("A foreign hash costlier than the bound is refused unread", "[hash][import]")
{
    for (const auto& sample : foreign_samples()) {
        std::string costly = sample.hash;
        const auto replace = [&](const std::string& from, const std::string& to) {
            const auto at = costly.find(from);
            REQUIRE(at != std::string::npos);
            costly.replace(at, from.size(), to);
        };
        if (sample.format == "pbkdf2_sha256" || sample.format == "pbkdf2_sha1") replace("$1000$", "$10000001$");
        else if (sample.format.find("bcrypt") != std::string::npos) replace("$04$", "$17$");
        else if (sample.format.find("argon2") != std::string::npos) {
            // Passes and lanes have their bounds too.
            for (const auto& [from, to] : {std::pair{"t=1,", "t=17,"}, std::pair{",p=", ",p=17"}}) {
                std::string other = sample.hash;
                other.replace(other.find(from), std::string(from).size(), to);
                CHECK_FALSE(foreign_hash_format(other));
            }
            replace("m=64,", "m=262145,");
        }
        INFO(costly);
        CHECK_FALSE(foreign_hash_format(costly));
        CHECK_FALSE(verify_foreign_hash(costly, sample.password));
    }
    // At the bound, still read.
    CHECK(foreign_hash_format("pbkdf2_sha256$10000000$salt$" + std::string("5T/98Bb4HF9/lmnaDyDbbi9YDxRXhkaQUCzt4aHgF6A=")) ==
          "pbkdf2_sha256");
}
