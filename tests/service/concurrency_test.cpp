#include "usermgmt/user_service.hpp"

#include "../support/service_fixture.hpp"

#include <atomic>
#include <thread>

using namespace usermgmt;
using namespace usermgmt::test;

TEST_CASE("Many threads registering the same and different names", "[service][concurrency]")
{
    ServiceFixture f([](Config& c) { c.require_activation = false; });
    constexpr int threads = 8;
    constexpr int rounds = 10;
    std::atomic<int> shared_ok{0};
    std::atomic<int> shared_refused{0};
    std::atomic<int> unexpected{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < rounds; ++i) {
                NewUser same;
                same.username = "shared" + std::to_string(i);
                same.email = "shared" + std::to_string(i) + "@example.com";
                same.password = good_password;
                auto r = f.service->register_user(same);
                if (r) ++shared_ok;
                else if (r.error().code == Errc::invalid_argument || r.error().code == Errc::already_exists) {
                    // Either the pre-check or the database caught it; the field says which.
                    if (r.error().fields.find("username") || r.error().fields.find("email")) ++shared_refused;
                    else ++unexpected;
                } else {
                    UNSCOPED_INFO(to_string(r.error().code) << ": " << r.error().message);
                    ++unexpected;
                }
                NewUser own;
                own.username = "t" + std::to_string(t) + "r" + std::to_string(i);
                own.email = own.username + "@example.com";
                own.password = good_password;
                if (!f.service->register_user(own)) ++unexpected;
            }
        });
    }
    for (auto& th : pool) th.join();
    CHECK(shared_ok == rounds);
    CHECK(shared_refused == rounds * (threads - 1));
    CHECK(unexpected == 0);
    f.make_user("boss", true);
    CHECK(f.service->list_users(f.principal_of("boss"), ListQuery{})->total == rounds + threads * rounds + 2);
}

TEST_CASE("Concurrent logins and profile updates lose no field", "[service][concurrency]")
{
    // More logins of one account than its default limit allows in a minute.
    ServiceFixture f([](Config& c) { c.throttle.login_per_account.requests = 100; });
    auto amy = f.make_user("amy");
    const Principal a = f.principal_of("amy");
    std::atomic<int> failures{0};
    std::thread logins([&] {
        for (int i = 0; i < 20; ++i)
            if (!f.service->login("amy", good_password)) ++failures;
    });
    std::thread updates([&] {
        for (int i = 0; i < 20; ++i) {
            UserPatch p;
            p.first_name = "name" + std::to_string(i);
            if (!f.service->update_user(a, amy.id, p)) ++failures;
        }
    });
    logins.join();
    updates.join();
    CHECK(failures == 0);
    CHECK(f.service->me(a)->first_name == "name19");
}
