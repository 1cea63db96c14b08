// UserService: construction, accounts (register, activate) and tokens (login, refresh, verify).
#include "service_impl.hpp"

#include "crypto.hpp"
#include "foreign_hashes.hpp"


namespace usermgmt {

UserService::UserService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UserService::~UserService() = default;

const Config& UserService::config() const noexcept
{
    return impl_->config;
}

const MediaStore* UserService::media() const noexcept
{
    return impl_->media.get();
}

Result<std::unique_ptr<UserService>> UserService::create(Config config, Ports ports)
{
    if (!detail::sodium_ready()) return fail(Errc::crypto_failure, "libsodium could not be initialised");
    if (config.jwt_secret.size() < 32) return fail(Errc::bad_config, "jwt_secret must be at least 32 bytes");
    if (config.access_token_lifetime.count() <= 0 || config.refresh_token_lifetime.count() <= 0 ||
        config.activation_token_lifetime.count() <= 0 || config.password_reset_token_lifetime.count() <= 0 ||
        config.username_reset_token_lifetime.count() <= 0)
        return fail(Errc::bad_config, "token lifetimes must be positive");
    if (config.max_page_size < 1) return fail(Errc::bad_config, "max_page_size must be at least 1");
    // Bounds the hashing work of one request; its byte bound (4 per character) must not wrap.
    if (config.password_policy.max_length < 1 || config.password_policy.max_length > 1'000'000)
        return fail(Errc::bad_config, "password_policy.max_length must be between 1 and 1,000,000");
    if (!ports.store) return fail(Errc::bad_config, "a UserStore is required");

    if (!ports.hasher) {
        auto hasher = make_argon2id_hasher(config.argon2);
        if (!hasher) return std::move(hasher).error();
        ports.hasher = std::move(*hasher);
    }
    auto validator = detail::PasswordValidator::create(config.password_policy);
    if (!validator) return std::move(validator).error();
    if (ports.mail && ports.notifier)
        return fail(Errc::bad_config, "mail goes through the queue (Ports::mail) or a notifier, not both");
    if (ports.mail) {
        const auto& m = *ports.mail;
        using std::chrono::hours;
        if (!m.transport) return fail(Errc::bad_config, "the mail queue needs a transport");
        // A lease of nothing would let two senders send one mail at once; no wait would spin.
        if (m.lease.count() <= 0 || m.poll_interval.count() <= 0 || m.first_retry.count() <= 0 ||
            m.max_retry < m.first_retry || m.max_retry > hours(24 * 30) || m.lease > hours(24) || m.max_attempts < 1)
            return fail(Errc::bad_config, "mail queue: lease, poll interval and retry waits must be positive (a lease "
                                          "of at most a day, retries of at most 30 days), attempts at least 1");
    }
    if (!ports.notifier) ports.notifier = std::make_unique<NullNotifier>();
    if (!ports.clock) ports.clock = std::make_unique<SystemClock>();
    if (!ports.throttle) ports.throttle = make_memory_throttle_store();
    auto impl = std::make_unique<Impl>(std::move(config), std::move(ports), std::move(*validator));
    return std::unique_ptr<UserService>(new UserService(std::move(impl)));
}

// ---- accounts -----------------------------------------------------------------------------

namespace {

struct AccountFlags {
    bool superuser = false;
};

// The first phase of creating an account: every rule, and the record to insert. Field rules
// first, all reported together (as DRF does), then the password, then the retype.
Result<StoredUser> check_new_account(const UserService::Impl& m, const NewUser& in,
                                     const std::optional<Principal>& actor, AccountFlags flags)
{
    if (!in.groups.empty() && !(actor && actor->is_staff))
        return fail(Errc::forbidden, "only staff may assign groups");

    FieldErrors errors;
    std::string username = in.username;
    if (!in.username_from_email) detail::check_username("username", username, errors);
    m.rules.check_profile(&in.email, &in.first_name, &in.last_name, &in.birthdate, &in.avatar, &in.groups, errors);
    if (in.avatar_image) m.avatars.check(*in.avatar_image, errors);
    if (in.password.empty()) errors.add("password", Reason::blank);
    if (in.password_retype && in.password_retype->empty()) errors.add("password_retype", Reason::blank);
    const std::string email = detail::normalize_email(in.email);
    FieldErrors taken;
    const std::string* unique_name = in.username_from_email ? nullptr : &username;
    if (auto ok = m.rules.check_unique(unique_name, &email, 0, errors, taken); !ok) return std::move(ok).error();
    if (!errors.empty() || !taken.empty()) return detail::ProfileRules::field_failure(std::move(errors), taken);
    if (in.username_from_email) {
        auto derived = m.username_for(*m.store, email);
        if (!derived) return std::move(derived).error();
        username = std::move(*derived);
    }

    const detail::PasswordContext context{username, in.first_name, in.last_name, email};
    m.rules.check_new_password("password", in.password, &context, errors);
    if (!errors.empty()) return fail(Errc::invalid_argument, "password rejected", std::move(errors));
    if (in.password_retype && *in.password_retype != in.password) return field_error("", Reason::passwords_mismatch);

    const bool activate_now = flags.superuser || !in.require_activation.value_or(m.config.require_activation);
    auto hash = m.passwords.hash(in.password);
    if (!hash) return std::move(hash).error();
    StoredUser record;
    User& u = record.user;
    u.username = username;
    u.email = email;
    u.first_name = in.first_name;
    u.last_name = in.last_name;
    u.birthdate = in.birthdate;
    u.avatar = in.avatar;
    u.is_active = activate_now;
    if (activate_now) u.activated_at = m.now();
    u.is_staff = u.is_superuser = flags.superuser;
    u.groups = in.groups;
    u.date_joined = u.updated_at = m.now();
    record.password_hash = std::move(*hash);
    return record;
}

// What creating an account wrote besides the row: its activation token (raw, to mail after the
// commit) or its first session.
struct AccountExtras {
    std::pair<TokenRecord, std::string> activation;
    std::optional<TokenPair> tokens;
};

// The second phase: the avatar file, then the row with its activation token or first session in
// one transaction (one commit).
Result<StoredUser> insert_account(const UserService::Impl& m, const NewUser& in, StoredUser record,
                                  AccountExtras& extras)
{
    User& u = record.user;
    if (in.avatar_image) {
        auto key = m.avatars.store(*in.avatar_image);
        if (!key) return std::move(key).error();
        u.avatar = std::move(*key);
        u.avatar_is_media = true;
    }
    std::optional<StoredUser> stored;
    auto done = m.store->in_transaction([&](UserStore& s) -> Result<void> {
        auto inserted = s.insert_user(record);
        if (!inserted) return std::move(inserted).error();
        stored = std::move(*inserted);
        if (!u.is_active) {
            extras.activation =
                m.tokens.make(stored->user.id, TokenPurpose::activation, m.config.activation_token_lifetime);
            if (auto ok = s.put_token(extras.activation.first); !ok) return ok;
            return m.tokens.queue(s, NotificationKind::activation, stored->user, extras.activation.second,
                                  extras.activation.first.expires_at);
        }
        if (in.issue_tokens) {
            auto [session, pair] = m.sessions.start(stored->user.id, in.access_token_lifetime);
            extras.tokens = std::move(pair);
            return s.create_session(session);
        }
        return {};
    });
    if (!done) {
        m.avatars.drop(u, User{});  // the row did not take the file: do not leave an orphan
        return std::move(done).error();  // a race past check_unique arrives as the store's `taken`
    }
    return std::move(*stored);
}

// Registration and superuser creation: check, insert, then mail the activation link.
Result<Registration> create_account(const UserService::Impl& m, const NewUser& in,
                                    const std::optional<Principal>& actor, AccountFlags flags)
{
    auto record = check_new_account(m, in, actor, flags);
    if (!record) return std::move(record).error();
    AccountExtras extras;
    auto stored = insert_account(m, in, std::move(*record), extras);
    if (!stored) return std::move(stored).error();
    if (!stored->user.is_active)
        m.tokens.deliver(NotificationKind::activation, stored->user, extras.activation.second,
                         extras.activation.first.expires_at);
    return Registration{std::move(stored->user), std::move(extras.tokens)};
}

}  // namespace

Result<Registration> UserService::register_user(const NewUser& input, const std::optional<Principal>& actor) const
{
    return create_account(*impl_, input, actor, AccountFlags{});
}

Result<User> UserService::create_superuser(std::string_view username, std::string_view email,
                                           std::string_view password) const
{
    NewUser in;
    in.username = username;
    in.email = email;
    in.password = password;
    auto made = create_account(*impl_, in, std::nullopt, AccountFlags{true});
    if (!made) return std::move(made).error();
    return std::move(made->user);
}

Result<void> UserService::activate(const OneTimeCode& code) const
{
    const Impl& m = *impl_;
    FieldErrors blanks;
    detail::OneTimeTokens::check_blanks(code, blanks);
    if (!blanks.empty()) return fail(Errc::invalid_argument, "blank uid or token", std::move(blanks));
    // A used activation link of an active account is "stale" (403), as in Djoser.
    auto found = m.tokens.resolve(code, TokenPurpose::activation, true);
    if (!found) return std::move(found).error();
    const TokenRecord& token = found->first;
    StoredUser& stored = found->second;
    if (stored.user.is_active) return fail(Errc::stale_token, "account already active");
    // A deactivation by staff is lifted by staff only, never by a mailed link.
    if (token.used || stored.user.disabled) return field_error("token", Reason::invalid_token);

    auto done = m.store->in_transaction([&](UserStore& s) -> Result<void> {
        // Consuming first makes the token single-use even when two requests race.
        if (auto consumed = s.consume_token(TokenPurpose::activation, token.digest, m.now()); !consumed)
            return consumed.error().code == Errc::not_found ? field_error("token", Reason::invalid_token)
                                                            : std::move(consumed).error();
        auto row = s.find_user(stored.user.id);
        if (!row) return std::move(row).error();
        if (row->user.disabled) return field_error("token", Reason::invalid_token);
        row->user.is_active = true;
        if (!row->user.activated_at) row->user.activated_at = m.now();
        row->user.updated_at = m.now();
        if (auto ok = s.update_user(*row); !ok) return ok;
        // The used token stays (marked used), so that a second click is answered "stale".
        stored = std::move(*row);
        return {};
    });
    if (!done) return done;
    if (m.config.send_activation_confirmation) m.tokens.notify(NotificationKind::activation_confirmed, stored.user);
    return {};
}

Result<void> UserService::resend_activation(std::string_view email) const
{
    // Only inactive accounts get a new link; for active ones the answer is the same.
    return impl_->tokens.send_by_email(email, false, TokenPurpose::activation, NotificationKind::activation,
                                         impl_->config.activation_token_lifetime);
}

// ---- tokens -------------------------------------------------------------------------------

Result<TokenPair> UserService::login(std::string_view login, std::string_view password,
                                     const LoginOptions& options) const
{
    const Impl& m = *impl_;
    const LoginField field = options.match.value_or(m.config.login_field);
    FieldErrors errors;
    if (login.empty()) errors.add("login", Reason::blank);
    if (password.empty()) errors.add("password", Reason::blank);
    if (!errors.empty()) return fail(Errc::invalid_argument, "missing credentials", std::move(errors));

    Result<StoredUser> found = fail(Errc::not_found);
    // An oversized identifier or password cannot match an account; skip the lookup, not the hash.
    const bool plausible = login.size() <= detail::max_email_length &&
                           password.size() <= detail::max_password_bytes(m.config.password_policy.max_length);
    if (plausible && field != LoginField::email) found = m.store->find_user_by_username(login);
    if (plausible && field != LoginField::username && !found && found.error().code == Errc::not_found)
        found = m.store->find_user_by_email(login);
    if (!found && found.error().code != Errc::not_found) return std::move(found).error();

    const StoredUser* user = found ? &*found : nullptr;
    // One limit per account, however it was spelled (username on /auth, email on /users): a
    // known account is counted by its id, an unknown name by itself. Past it, the attempt is
    // answered as a wrong password, after the same hashing work: a distinct answer would tell
    // which other names (an email, say) lead to the locked account.
    bool locked = false;
    if (plausible) {
        const std::string subject = user ? detail::Passwords::account_subject(user->user.id) : std::string(login);
        auto counted = m.limiter.count("login|resolved", subject, m.limiter.config().login_per_account, m.now());
        if (!counted && counted.error().code != Errc::rate_limited) return std::move(counted).error();
        locked = !counted;
    }
    const bool password_ok = m.passwords.verify(locked ? nullptr : user, plausible ? password : std::string_view("x"));
    // Unknown, wrong and inactive are one answer, after the same hashing work.
    if (!user || !password_ok || !user->user.is_active) return fail(Errc::invalid_credentials, "invalid credentials");

    std::optional<std::string> rehashed;
    if (m.passwords.needs_rehash(user->password_hash)) {
        // Parameters changed since this hash was made: upgrade it while the password is at hand.
        auto fresh = m.passwords.hash(password);
        if (fresh) rehashed = std::move(*fresh);
        // An imported account's hash from another system is not kept past a login that could
        // replace it: no login without the new hash.
        else if (detail::unmark_imported(user->password_hash)) return std::move(fresh).error();
    }
    // last_login and the new session in one transaction (one commit, one fsync), written only
    // while the account is active with the hash the password was checked against: a password
    // changed or an account deactivated since that check ends this login as a wrong password.
    const std::string& verified_hash = user->password_hash;
    auto opened = m.sessions.start(user->user.id, options.access_token_lifetime);
    const SessionRecord& session = opened.first;
    const TimePoint at = m.now();
    const auto record = [&](UserStore& s) { return s.record_login(user->user.id, verified_hash, at, session); };
    // The new hash goes in with the login, once the login has found the account unchanged.
    auto recorded = !rehashed ? record(*m.store) : m.store->in_transaction([&](UserStore& s) -> Result<void> {
        if (auto ok = record(s); !ok) return ok;
        auto row = s.find_user(user->user.id);
        if (!row) return std::move(row).error();
        row->password_hash = *rehashed;
        return s.update_user(*row);
    });
    if (!recorded && recorded.error().code == Errc::not_found)
        return fail(Errc::invalid_credentials, "invalid credentials");
    if (!recorded) return std::move(recorded).error();
    return std::move(opened.second);
}

namespace {

// A token presented by itself (to refresh, verify or revoke), not as a caller's credentials: a
// gone or inactive user's token is simply invalid (simplejwt has no "user" errors on those views).
Result<TokenClaims> check_presented(const detail::Sessions& sessions, std::string_view token,
                                   std::optional<TokenType> expected)
{
    auto checked = sessions.check(token, expected);
    if (checked) return std::move(checked->first);
    const Errc code = checked.error().code;
    if (code == Errc::not_found || code == Errc::inactive_account) return fail(Errc::token_invalid, "user gone");
    return std::move(checked).error();
}

}  // namespace

Result<TokenPair> UserService::refresh(std::string_view refresh_token) const
{
    auto claims = check_presented(impl_->sessions, refresh_token, TokenType::refresh);
    if (!claims) return std::move(claims).error();
    return impl_->sessions.renew(*claims);
}

Result<TokenClaims> UserService::verify_token(std::string_view token) const
{
    return check_presented(impl_->sessions, token, std::nullopt);
}

Result<Principal> UserService::authenticate(std::string_view access_token) const
{
    const auto scope = read_scope();  // the user and the session, as of one look
    auto checked = impl_->sessions.check(access_token, TokenType::access);
    if (!checked) return std::move(checked).error();
    const User& u = checked->second.user;
    return Principal{u.id, checked->first.session_id, u.is_staff, u.is_superuser, {}};
}

Result<void> UserService::logout(const Principal& who) const
{
    return impl_->store->end_session(who.session_id, impl_->now());
}

Result<void> UserService::revoke(std::string_view refresh_token) const
{
    auto claims = check_presented(impl_->sessions, refresh_token, TokenType::refresh);
    if (!claims) return std::move(claims).error();
    return impl_->store->end_session(claims->session_id, impl_->now());
}

Result<void> UserService::end_sessions(const Principal& who, UserId id) const
{
    if (who.user_id != id && !who.is_staff) return fail(Errc::forbidden, "not your account");
    auto target = impl_->load(id);
    if (!target) return std::move(target).error();
    if (!detail::ProfileRules::may_manage(who, target->user)) return fail(Errc::forbidden, "staff may not manage a superuser");
    return impl_->store->end_sessions_of(id, {}, impl_->now());
}

namespace {

// The account a throttled attempt names, as counted: without surrounding whitespace, lower case.
std::string account_key(std::string_view account)
{
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!account.empty() && space(account.front())) account.remove_prefix(1);
    while (!account.empty() && space(account.back())) account.remove_suffix(1);
    std::string key(account);
    for (char& c : key)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return key;
}

}  // namespace

Result<void> UserService::throttle(Attempt attempt, std::string_view client, std::string_view account) const
{
    const Impl& m = *impl_;
    const ThrottleConfig& t = m.limiter.config();
    struct Limits {
        const char* name;
        const RateLimit* per_client;
        const RateLimit* per_account;
    };
    const Limits limits = [&]() -> Limits {
        switch (attempt) {
        case Attempt::login: return {"login", &t.login_per_client, &t.login_per_account};
        case Attempt::registration: return {"registration", &t.registration_per_client, nullptr};
        case Attempt::activation: return {"activation", &t.activation_per_client, nullptr};
        case Attempt::resend_activation: return {"resend", &t.resend_per_client, &t.resend_per_account};
        case Attempt::reset_request: return {"reset", &t.reset_request_per_client, &t.reset_request_per_account};
        case Attempt::reset_confirm: return {"confirm", &t.reset_confirm_per_client, nullptr};
        }
        return {"other", nullptr, nullptr};
    }();
    const TimePoint now = m.now();
    const std::string name = limits.name;
    if (limits.per_client) {
        if (auto ok = m.limiter.count(name + "|client", client, *limits.per_client, now); !ok) return ok;
    }
    if (!limits.per_account) return {};
    // One account, one count: surrounding whitespace (any a route style may strip) and case do
    // not make another bucket, since the store matches addresses without them.
    const std::string key = account_key(account);
    // An identifier longer than any address cannot name an account: it is not counted (nor kept).
    if (key.size() > detail::max_email_length) return {};
    return m.limiter.count(name + "|account", key, *limits.per_account, now);
}

UserService::ReadScope UserService::read_scope() const
{
    return ReadScope(impl_->store->open_read_scope());
}

bool UserService::change_checks_wait() const
{
    return impl_->store->fresh_epoch_waits();
}

void UserService::check_changes(std::function<void(ChangeCheck)> then) const
{
    impl_->store->async_fresh_epoch([store = impl_->store.get(), then = std::move(then)](std::optional<std::uint64_t> epoch) {
        ChangeCheck check;
        check.store_ = store;
        check.epoch_ = epoch;
        then(check);
    });
}

UserService::ReadScope UserService::read_scope(const ChangeCheck& check) const
{
    if (check.store_ != impl_->store.get()) return read_scope();
    return ReadScope(impl_->store->open_read_scope(check.epoch_));
}

UserService::ReadScope::~ReadScope()
{
    if (opened_) detail::CachingUserStore::close_read_scope();
}

Result<void> UserService::purge_expired() const
{
    const Impl& m = *impl_;
    const TimePoint now = m.now();
    if (auto ok = m.store->purge_expired(now); !ok) return ok;
    if (m.config.unactivated_account_lifetime.count() > 0) {
        auto gone = m.store->erase_unactivated(now - m.config.unactivated_account_lifetime);
        if (!gone) return std::move(gone).error();
        for (const auto& user : *gone) m.avatars.drop(user, User{});
    }
    return m.limiter.store().purge(now);
}

Result<void> UserService::health() const
{
    return impl_->store->ping();
}

UserService::CacheCounts UserService::cache_counts() const noexcept
{
    const auto& cache = impl_->store->cache();
    return {cache.hits(), cache.misses()};
}

// ---- the mail queue ---------------------------------------------------------------------------

Result<MailQueueCounts> UserService::mail_queue_counts() const
{
    return impl_->store->count_mail(impl_->now());
}

Result<std::vector<QueuedMail>> UserService::list_mail(MailState state, std::size_t limit) const
{
    return impl_->store->list_mail(state, limit);
}

Result<MailId> UserService::retry_mail(MailId id) const
{
    const Impl& m = *impl_;
    if (!m.mail) return fail(Errc::bad_config, "mail does not go through the queue");
    std::optional<MailId> queued;
    auto done = m.store->in_transaction([&](UserStore& s) -> Result<void> {
        auto dead = s.find_mail(id);
        if (!dead) return std::move(dead).error();
        if (dead->state != MailState::dead) return fail(Errc::invalid_argument, "the mail is not dead");
        auto row = s.find_user(dead->user_id);
        if (!row) return std::move(row).error();
        const User& user = row->user;
        // A link the account no longer needs is not sent again (staff's deactivation stands).
        const auto still_needed = [&](bool active) { return user.is_active == active && !user.disabled; };
        Result<MailId> made = fail(Errc::invalid_argument, "the account no longer needs this mail");
        switch (dead->kind) {
        case NotificationKind::activation:
            if (still_needed(false))
                made = m.tokens.requeue(s, user, TokenPurpose::activation, dead->kind, m.config.activation_token_lifetime,
                                        dead->origin);
            break;
        case NotificationKind::password_reset:
            if (still_needed(true))
                made = m.tokens.requeue(s, user, TokenPurpose::password_reset, dead->kind,
                                        m.config.password_reset_token_lifetime, dead->origin);
            break;
        case NotificationKind::username_reset:
            if (still_needed(true))
                made = m.tokens.requeue(s, user, TokenPurpose::username_reset, dead->kind,
                                        m.config.username_reset_token_lifetime, dead->origin);
            break;
        case NotificationKind::activation_confirmed:
        case NotificationKind::password_changed:
            made = m.mail->put(s, Notification{dead->kind, user, {}, {}, dead->origin});
            break;
        }
        if (!made) return std::move(made).error();
        queued = *made;
        return s.erase_mail(id, std::nullopt);
    });
    if (!done) return std::move(done).error();
    m.mail->wake();
    return *queued;
}

}  // namespace usermgmt
