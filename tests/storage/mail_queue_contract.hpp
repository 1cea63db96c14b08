#pragma once
// The mail queue's part of the store contract (see user_store_contract.hpp for how a backend's
// test file runs it): queued mails are claimed under a lease by one caller at a time, deferred,
// buried with their bodies wiped, counted, and go with their user.

#include "usermgmt/user_store.hpp"

#include "user_store_contract_user.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace usermgmt::test {

inline QueuedMail contract_mail(UserId user, TimePoint at, const std::string& subject)
{
    QueuedMail m;
    m.kind = NotificationKind::password_reset;
    m.user_id = user;
    m.origin = "users";
    m.message = MailMessage{"from@example.com", "to@example.com", subject, "text with a token", "<p>html</p>",
                            "reply@example.com"};
    m.created_at = m.next_attempt_at = at;
    m.expires_at = at + std::chrono::hours(1);
    return m;
}

}  // namespace usermgmt::test

TEMPLATE_TEST_CASE("contract: queued mails are claimed oldest first, under a lease, and erased once sent",
                   "[contract][mail]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    using std::chrono::minutes;
    auto store = TestType::make();
    const UserId user = store->insert_user(test::contract_user("amy"))->user.id;
    const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
    std::vector<MailId> ids;
    for (const char* subject : {"one", "two", "three"}) {
        auto id = store->put_mail(test::contract_mail(user, t0, subject));
        REQUIRE(id);
        ids.push_back(*id);
    }
    CHECK(ids[0] < ids[1]);
    auto first = store->claim_mail(t0, t0 + minutes(5), 2);
    REQUIRE(first);
    REQUIRE(first->size() == 2);
    const QueuedMail& m = (*first)[0];
    CHECK(m.id == ids[0]);
    CHECK(m.state == MailState::queued);
    CHECK(m.kind == NotificationKind::password_reset);
    CHECK(m.user_id == user);
    CHECK(m.origin == "users");
    CHECK(m.message.from == "from@example.com");
    CHECK(m.message.to == "to@example.com");
    CHECK(m.message.reply_to == "reply@example.com");
    CHECK(m.message.subject == "one");
    CHECK(m.message.body == "text with a token");
    CHECK(m.message.html == "<p>html</p>");
    CHECK(m.attempts == 0);
    CHECK(m.created_at == t0);
    CHECK(m.expires_at == t0 + std::chrono::hours(1));
    CHECK(m.leased_until == t0 + minutes(5));
    CHECK((*first)[1].id == ids[1]);

    // Held by the lease: a second claimer gets only the third.
    auto second = store->claim_mail(t0 + minutes(1), t0 + minutes(6), 10);
    REQUIRE(second);
    REQUIRE(second->size() == 1);
    CHECK((*second)[0].id == ids[2]);
    CHECK(store->claim_mail(t0 + minutes(2), t0 + minutes(7), 10)->empty());
    auto counts = store->count_mail(t0 + minutes(2));
    REQUIRE(counts);
    CHECK(counts->queued == 3);
    CHECK(counts->sending == 3);
    CHECK(counts->dead == 0);

    // Sent: gone. A lease that ran out (its sender died) frees the mail for the next claimer.
    REQUIRE(store->erase_mail(ids[0], (*first)[0].leased_until));
    CHECK(store->erase_mail(ids[0], std::nullopt).error().code == Errc::not_found);
    CHECK(store->find_mail(ids[0]).error().code == Errc::not_found);
    auto after_lease = store->claim_mail(t0 + minutes(5), t0 + minutes(10), 10);
    REQUIRE(after_lease);
    REQUIRE(after_lease->size() == 1);
    CHECK((*after_lease)[0].id == ids[1]);
}

TEMPLATE_TEST_CASE("contract: a deferred mail waits for its time - a buried one is wiped and listed as dead",
                   "[contract][mail]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    using std::chrono::minutes;
    auto store = TestType::make();
    const UserId user = store->insert_user(test::contract_user("bob"))->user.id;
    const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
    const MailId later = *store->put_mail(test::contract_mail(user, t0, "later"));
    const MailId doomed = *store->put_mail(test::contract_mail(user, t0, "doomed"));
    REQUIRE(store->claim_mail(t0, t0 + minutes(5), 10)->size() == 2);
    const TimePoint held = t0 + minutes(5);

    REQUIRE(store->defer_mail(later, held, t0 + minutes(10), "451 try again"));
    REQUIRE(store->bury_mail(doomed, held, "550 no such user"));
    CHECK(store->defer_mail(doomed, held, t0, "x").error().code == Errc::not_found);  // the dead stay dead
    CHECK(store->bury_mail(4242, std::nullopt, "x").error().code == Errc::not_found);

    CHECK(store->claim_mail(t0 + minutes(9), t0 + minutes(20), 10)->empty());  // not yet due
    auto due = store->claim_mail(t0 + minutes(10), t0 + minutes(20), 10);
    REQUIRE(due);
    REQUIRE(due->size() == 1);
    CHECK((*due)[0].id == later);
    CHECK((*due)[0].attempts == 1);
    CHECK((*due)[0].last_error == "451 try again");
    CHECK((*due)[0].message.body == "text with a token");

    auto dead = store->list_mail(MailState::dead, 10);
    REQUIRE(dead);
    REQUIRE(dead->size() == 1);
    CHECK((*dead)[0].id == doomed);
    CHECK((*dead)[0].state == MailState::dead);
    CHECK((*dead)[0].last_error == "550 no such user");
    CHECK((*dead)[0].attempts == 1);
    CHECK((*dead)[0].message.subject == "doomed");
    CHECK((*dead)[0].message.body.empty());  // lists never carry bodies
    auto found = store->find_mail(doomed);
    REQUIRE(found);
    CHECK(found->state == MailState::dead);
    // The wiped bodies: a dead mail is never claimed, and its token is gone from the row.
    REQUIRE(store->in_transaction([&](UserStore& s) -> Result<void> {
        CHECK(s.list_mail(MailState::queued, 10)->size() == 1);
        return {};
    }));
    auto counts = store->count_mail(t0 + minutes(30));
    REQUIRE(counts);
    CHECK(counts->queued == 1);
    CHECK(counts->sending == 0);
    CHECK(counts->dead == 1);
}

TEMPLATE_TEST_CASE("contract: a sender whose lease ran out changes nothing - the new holder decides",
                   "[contract][mail]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    using std::chrono::minutes;
    auto store = TestType::make();
    const UserId user = store->insert_user(test::contract_user("amy"))->user.id;
    const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
    const MailId id = *store->put_mail(test::contract_mail(user, t0, "slow"));
    const TimePoint first = t0 + minutes(5);
    REQUIRE(store->claim_mail(t0, first, 1)->size() == 1);
    const TimePoint second = t0 + minutes(11);
    REQUIRE(store->claim_mail(t0 + minutes(6), second, 1)->size() == 1);  // the first lease ran out
    CHECK(store->defer_mail(id, first, t0, "late").error().code == Errc::not_found);
    CHECK(store->bury_mail(id, first, "late").error().code == Errc::not_found);
    CHECK(store->erase_mail(id, first).error().code == Errc::not_found);
    auto still = store->find_mail(id);
    REQUIRE(still);
    CHECK(still->state == MailState::queued);
    CHECK(still->leased_until == second);
    CHECK(still->attempts == 0);
    REQUIRE(store->erase_mail(id, second));
}

TEMPLATE_TEST_CASE("contract: mail goes with its user - and with a failed transaction", "[contract][mail]",
                   USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    const UserId amy = store->insert_user(test::contract_user("amy"))->user.id;
    const UserId bob = store->insert_user(test::contract_user("bob"))->user.id;
    const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
    REQUIRE(store->put_mail(test::contract_mail(amy, t0, "a")));
    const MailId kept = *store->put_mail(test::contract_mail(bob, t0, "b"));
    auto rolled_back = store->in_transaction([&](UserStore& s) -> Result<void> {
        REQUIRE(s.put_mail(test::contract_mail(bob, t0, "c")));
        return fail(Errc::internal, "the token could not be stored");
    });
    CHECK_FALSE(rolled_back);
    REQUIRE(store->erase_user(amy));
    auto left = store->list_mail(MailState::queued, 10);
    REQUIRE(left);
    REQUIRE(left->size() == 1);
    CHECK((*left)[0].id == kept);
}

TEMPLATE_TEST_CASE("contract: concurrent claimers never get the same mail", "[contract][mail]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    const UserId user = store->insert_user(test::contract_user("amy"))->user.id;
    const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
    constexpr int mails = 60;
    for (int i = 0; i < mails; ++i) REQUIRE(store->put_mail(test::contract_mail(user, t0, std::to_string(i))));
    std::mutex mutex;
    std::multiset<MailId> claimed;
    std::atomic<int> failures{0};
    std::vector<std::thread> claimers;
    for (int t = 0; t < 4; ++t) {
        claimers.emplace_back([&] {
            for (int round = 0; round < 200; ++round) {  // bounded: 4 x 200 claims at most
                auto got = store->claim_mail(t0, t0 + std::chrono::minutes(5), 3);
                if (!got) {
                    ++failures;
                    continue;
                }
                if (got->empty()) return;
                std::lock_guard lock(mutex);
                for (const auto& m : *got) claimed.insert(m.id);
            }
        });
    }
    for (auto& t : claimers) t.join();
    CHECK(failures == 0);
    CHECK(claimed.size() == static_cast<std::size_t>(mails));
    CHECK(std::set<MailId>(claimed.begin(), claimed.end()).size() == static_cast<std::size_t>(mails));
}

TEMPLATE_TEST_CASE("contract: purge_expired removes dead mails 30 days past their link - never a queued one",
                   "[contract][mail]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    const UserId user = store->insert_user(test::contract_user("amy"))->user.id;
    const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
    const MailId dead = *store->put_mail(test::contract_mail(user, t0, "dead"));
    const MailId queued = *store->put_mail(test::contract_mail(user, t0, "queued"));
    REQUIRE(store->bury_mail(dead, std::nullopt, "550"));
    const TimePoint expiry = t0 + std::chrono::hours(1);
    REQUIRE(store->purge_expired(expiry + std::chrono::hours(24 * 29)));
    CHECK(store->find_mail(dead));
    REQUIRE(store->purge_expired(expiry + std::chrono::hours(24 * 31)));
    CHECK(store->find_mail(dead).error().code == Errc::not_found);
    CHECK(store->find_mail(queued));
}
