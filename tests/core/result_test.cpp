#include "usermgmt/result.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace usermgmt;

TEST_CASE("Result holds a value or an error", "[result]")
{
    Result<int> ok = 42;
    REQUIRE(ok.has_value());
    REQUIRE(static_cast<bool>(ok));
    CHECK(*ok == 42);
    CHECK(ok.value_or(7) == 42);

    Result<int> bad = fail(Errc::not_found, "nope");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::not_found);
    CHECK(bad.error().message == "nope");
    CHECK(bad.value_or(7) == 7);
}

TEST_CASE("Result works with move-only and string values", "[result]")
{
    Result<std::unique_ptr<int>> owned = std::make_unique<int>(5);
    REQUIRE(owned);
    auto taken = std::move(owned).value();
    CHECK(*taken == 5);

    Result<std::string> text = "abc";
    CHECK(text->size() == 3);
}

TEST_CASE("Result<void> reports success or failure", "[result]")
{
    Result<void> ok;
    CHECK(ok.has_value());
    Result<void> bad = field_error("email", Reason::invalid_email);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::invalid_argument);
    REQUIRE(bad.error().fields.find("email"));
    CHECK(bad.error().fields.find("email")->front().reason == Reason::invalid_email);
    CHECK(bad.error().fields.has("email", Reason::invalid_email));
    CHECK_FALSE(bad.error().fields.has("email", Reason::blank));
}

TEST_CASE("FieldErrors keep insertion order and group messages per field", "[error]")
{
    FieldErrors f;
    f.add("username", Reason::blank);
    f.add("email", Reason::invalid_email);
    f.add("username", Reason::too_long, 150);
    REQUIRE(f.entries().size() == 2);
    CHECK(f.entries()[0].field == "username");
    CHECK(f.entries()[0].problems == std::vector<Problem>{{Reason::blank, 0, {}}, {Reason::too_long, 150, {}}});
    CHECK(f.entries()[1].field == "email");
    FieldErrors g;
    g.add("x", Reason::required);
    f.merge(g);
    CHECK(f.entries().size() == 3);
}

TEST_CASE("Every Errc has a stable snake_case name", "[error]")
{
    CHECK(to_string(Errc::invalid_argument) == "invalid_argument");
    CHECK(to_string(Errc::token_expired) == "token_expired");
    CHECK(to_string(Errc::storage_failure) == "storage_failure");
    for (int c = 1; c <= static_cast<int>(Errc::internal); ++c) CHECK_FALSE(to_string(static_cast<Errc>(c)).empty());
}

TEST_CASE("Every Reason has a stable snake_case name", "[error]")
{
    CHECK(to_string(Reason::too_long) == "too_long");
    CHECK(to_string(Reason::password_too_similar) == "password_too_similar");
    for (int r = 0; r <= static_cast<int>(Reason::not_an_image); ++r)
        CHECK(to_string(static_cast<Reason>(r)) != "unknown");
}
