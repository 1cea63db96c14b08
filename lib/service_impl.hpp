#pragma once
// The private state of UserService: its ports, and the small components its use cases compose.
// Each component has one job (see docs/architecture.md); the use cases in user_service.cpp,
// service_users.cpp and service_credentials.cpp read as validate -> apply -> after commit.

#include "usermgmt/user_service.hpp"

#include "attempt_limiter.hpp"
#include "avatars.hpp"
#include "caching_user_store.hpp"
#include "mail_queue.hpp"
#include "one_time_tokens.hpp"
#include "passwords.hpp"
#include "profile_rules.hpp"
#include "sessions.hpp"

#include <functional>
#include <memory>

namespace usermgmt {

struct UserService::Impl {
    /// Takes checked settings and complete ports (every port present).
    Impl(Config settings, Ports ports, std::shared_ptr<const detail::PasswordValidator> validator);

    // The ports. `store` is the read cache around the given store (CachingUserStore).
    const Config config;
    const std::unique_ptr<detail::CachingUserStore> store;
    const std::unique_ptr<PasswordHasher> hasher;
    const std::unique_ptr<Notifier> notifier;
    const std::unique_ptr<MediaStore> media;
    const std::unique_ptr<Clock> clock;
    /// Null unless mail goes through the queue. Before the components that use it, after the
    /// store its senders use (so they stop first).
    const std::unique_ptr<detail::MailQueue> mail;

    // The components (declared after the ports they refer to).
    detail::AttemptLimiter limiter;
    detail::Passwords passwords;
    detail::ProfileRules rules;
    detail::Sessions sessions;
    detail::OneTimeTokens tokens;
    detail::Avatars avatars;

    TimePoint now() const { return clock->now(); }
    /// A user by id (from the cache when it holds a fresh copy).
    Result<StoredUser> load(UserId id) const { return store->find_user(id); }
    /// The username of an account known by email only: the address itself where its characters
    /// allow, '_' for the others; with "-2", "-3", ... when another account has that name in
    /// `in` (the store, or the transaction that will insert it).
    Result<std::string> username_for(UserStore& in, std::string_view email) const;
    /// Re-reads a user inside a write transaction, applies `change` and writes it back, so a
    /// concurrent update of other fields is never lost; `also` runs in the same transaction.
    /// Returns the row as written.
    Result<StoredUser> modify_user(UserId id, const std::function<Result<void>(StoredUser&)>& change,
                                   const std::function<Result<void>(UserStore&, const StoredUser&)>& also = {}) const;
};

}  // namespace usermgmt
