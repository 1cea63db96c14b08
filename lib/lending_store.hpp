#pragma once
// A UserStore that lends a connection-bound store for each call. The pools of the SQLite and
// PostgreSQL stores derive from it and provide, besides `data_version`,
//     template <class Call> auto lend(Call call, bool writes) -> decltype(call(std::declval<UserStore&>()));
// which runs `call` on a store bound to a connection of theirs (`writes`: the call may write).

#include "usermgmt/user_store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usermgmt::detail {

template <class Pool>
class LendingStore : public UserStore {
public:
    Result<StoredUser> insert_user(const StoredUser& r) override { return write([&](UserStore& s) { return s.insert_user(r); }); }
    Result<StoredUser> find_user(UserId id) override { return read([&](UserStore& s) { return s.find_user(id); }); }
    Result<StoredUser> find_user_by_username(std::string_view n) override { return read([&](UserStore& s) { return s.find_user_by_username(n); }); }
    Result<StoredUser> find_user_by_email(std::string_view e) override { return read([&](UserStore& s) { return s.find_user_by_email(e); }); }
    Result<void> update_user(const StoredUser& r) override { return write([&](UserStore& s) { return s.update_user(r); }); }
    Result<void> erase_user(UserId id) override { return write([&](UserStore& s) { return s.erase_user(id); }); }
    Result<std::vector<User>> erase_unactivated(TimePoint before) override { return write([&](UserStore& s) { return s.erase_unactivated(before); }); }
    Result<UserPage> list_users(const ListQuery& q) override { return read([&](UserStore& s) { return s.list_users(q); }); }
    Result<void> create_group(std::string_view n) override { return write([&](UserStore& s) { return s.create_group(n); }); }
    Result<void> erase_group(std::string_view n) override { return write([&](UserStore& s) { return s.erase_group(n); }); }
    Result<std::vector<std::string>> list_groups() override { return read([&](UserStore& s) { return s.list_groups(); }); }
    Result<void> put_token(const TokenRecord& t) override { return write([&](UserStore& s) { return s.put_token(t); }); }
    Result<TokenRecord> find_token(TokenPurpose p, std::string_view d) override { return read([&](UserStore& s) { return s.find_token(p, d); }); }
    Result<TokenRecord> consume_token(TokenPurpose p, std::string_view d, TimePoint at) override { return write([&](UserStore& s) { return s.consume_token(p, d, at); }); }
    Result<void> erase_tokens(UserId u, TokenPurpose p) override { return write([&](UserStore& s) { return s.erase_tokens(u, p); }); }
    Result<void> create_session(const SessionRecord& r) override { return write([&](UserStore& s) { return s.create_session(r); }); }
    Result<void> record_login(UserId id, std::string_view h, TimePoint at, const SessionRecord& r) override { return write([&](UserStore& s) { return s.record_login(id, h, at, r); }); }
    Result<SessionRecord> find_session(std::string_view id) override { return read([&](UserStore& s) { return s.find_session(id); }); }
    Result<void> end_session(std::string_view id, TimePoint at) override { return write([&](UserStore& s) { return s.end_session(id, at); }); }
    Result<void> end_sessions_of(UserId u, std::string_view keep, TimePoint at) override { return write([&](UserStore& s) { return s.end_sessions_of(u, keep, at); }); }
    Result<std::optional<TimePoint>> record_refresh_use(std::string_view d, std::string_view sid, TimePoint at, TimePoint to) override { return write([&](UserStore& s) { return s.record_refresh_use(d, sid, at, to); }); }
    Result<void> purge_expired(TimePoint before) override { return write([&](UserStore& s) { return s.purge_expired(before); }); }
    Result<MailId> put_mail(const QueuedMail& m) override { return write([&](UserStore& s) { return s.put_mail(m); }); }
    Result<std::vector<QueuedMail>> claim_mail(TimePoint now, TimePoint until, std::size_t limit) override { return write([&](UserStore& s) { return s.claim_mail(now, until, limit); }); }
    Result<void> erase_mail(MailId id, std::optional<TimePoint> held) override { return write([&](UserStore& s) { return s.erase_mail(id, held); }); }
    Result<void> defer_mail(MailId id, TimePoint held, TimePoint next, std::string_view reason) override { return write([&](UserStore& s) { return s.defer_mail(id, held, next, reason); }); }
    Result<void> bury_mail(MailId id, std::optional<TimePoint> held, std::string_view reason) override { return write([&](UserStore& s) { return s.bury_mail(id, held, reason); }); }
    Result<MailQueueCounts> count_mail(TimePoint now) override { return read([&](UserStore& s) { return s.count_mail(now); }); }
    Result<std::vector<QueuedMail>> list_mail(MailState state, std::size_t limit) override { return read([&](UserStore& s) { return s.list_mail(state, limit); }); }
    Result<QueuedMail> find_mail(MailId id) override { return read([&](UserStore& s) { return s.find_mail(id); }); }
    Result<void> in_transaction(const std::function<Result<void>(UserStore&)>& work) override { return write([&](UserStore& s) { return s.in_transaction(work); }); }
    Result<void> ping() override { return read([&](UserStore& s) { return s.ping(); }); }

private:
    template <class Call>
    auto read(Call call) { return static_cast<Pool*>(this)->lend(call, false); }
    template <class Call>
    auto write(Call call) { return static_cast<Pool*>(this)->lend(call, true); }
};

}  // namespace usermgmt::detail
