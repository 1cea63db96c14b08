#include "read_cache.hpp"

#include <catch2/catch.hpp>

using namespace usermgmt;
using namespace usermgmt::detail;

namespace {
StoredUser user(UserId id, const std::string& name)
{
    StoredUser u;
    u.user.id = id;
    u.user.username = name;
    return u;
}
SessionRecord session(const std::string& id, UserId user_id)
{
    SessionRecord s;
    s.id = id;
    s.user_id = user_id;
    return s;
}
}  // namespace

TEST_CASE("The read cache keeps what was read and forgets what was written", "[cache]")
{
    ReadCache cache(10);
    cache.put_user(user(1, "a"), cache.epoch());
    REQUIRE(cache.user(1));
    CHECK(cache.user(1)->user.username == "a");
    cache.put_session(session("s1", 1), cache.epoch());
    cache.put_session(session("s2", 2), cache.epoch());
    cache.invalidate_user(1);
    CHECK_FALSE(cache.user(1));
    CHECK_FALSE(cache.session("s1"));  // the user's sessions go with it
    CHECK(cache.session("s2"));
    cache.invalidate_session("s2");
    CHECK_FALSE(cache.session("s2"));
}

TEST_CASE("A read that raced with a write is not cached", "[cache]")
{
    ReadCache cache(10);
    const auto before = cache.epoch();  // a reader starts reading the old row ...
    cache.invalidate_user(7);            // ... a writer commits and invalidates ...
    cache.put_user(user(7, "old"), before);  // ... the reader's old row must not stay
    CHECK_FALSE(cache.user(7));
    cache.put_user(user(7, "new"), cache.epoch());
    CHECK(cache.user(7)->user.username == "new");
}

TEST_CASE("The read cache is bounded and can be turned off", "[cache]")
{
    ReadCache cache(3);
    for (UserId id = 1; id <= 10; ++id) cache.put_user(user(id, "u"), cache.epoch());
    int held = 0;
    for (UserId id = 1; id <= 10; ++id) held += cache.user(id) ? 1 : 0;
    CHECK(held == 3);
    CHECK(cache.user(10));  // the newest is there
    cache.clear();
    CHECK_FALSE(cache.user(10));

    ReadCache off(0);
    off.put_user(user(1, "a"), off.epoch());
    off.put_session(session("s", 1), off.epoch());
    CHECK_FALSE(off.user(1));
    CHECK_FALSE(off.session("s"));
}
