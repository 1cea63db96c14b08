#include "one_time_tokens.hpp"

#include "crypto.hpp"
#include "validation.hpp"

namespace usermgmt::detail {

std::pair<TokenRecord, std::string> OneTimeTokens::make(UserId user, TokenPurpose purpose,
                                                        std::chrono::seconds lifetime) const
{
    std::string raw = to_hex(random_bytes(32));
    TokenRecord record;
    record.purpose = purpose;
    record.user_id = user;
    record.digest = sha256(raw);
    record.created_at = clock_.now();
    record.expires_at = record.created_at + lifetime;
    return {std::move(record), std::move(raw)};
}

Result<void> OneTimeTokens::queue(UserStore& tx, NotificationKind kind, const User& user, const std::string& raw,
                                  TimePoint expires_at, std::string_view origin) const
{
    if (!queue_) return {};
    Notification n{kind, user, raw, expires_at, std::string(origin)};
    auto queued = queue_->put(tx, n);
    wipe(n.token);
    if (!queued) return std::move(queued).error();
    return {};
}

void OneTimeTokens::deliver(NotificationKind kind, const User& user, std::string& raw, TimePoint expires_at,
                            std::string_view origin) const
{
    if (queue_) {
        queue_->wake();
    } else {
        Notification n{kind, user, raw, expires_at, std::string(origin)};
        notifier_.notify(n);
        wipe(n.token);
    }
    wipe(raw);
}

Result<void> OneTimeTokens::send(const User& user, TokenPurpose purpose, NotificationKind kind,
                                 std::chrono::seconds lifetime, std::string_view origin) const
{
    // Not a structured binding: the lambda below captures them (clang refuses bindings there).
    auto made = make(user.id, purpose, lifetime);
    const TokenRecord& record = made.first;
    std::string& raw = made.second;
    auto done = store_.in_transaction([&](UserStore& tx) -> Result<void> {
        if (auto ok = tx.put_token(record); !ok) return ok;
        return queue(tx, kind, user, raw, record.expires_at, origin);
    });
    if (!done) {
        wipe(raw);
        return done;
    }
    deliver(kind, user, raw, record.expires_at, origin);
    return {};
}

Result<MailId> OneTimeTokens::requeue(UserStore& tx, const User& user, TokenPurpose purpose, NotificationKind kind,
                                      std::chrono::seconds lifetime, std::string_view origin) const
{
    if (!queue_) return fail(Errc::bad_config, "mail does not go through the queue");
    auto [record, raw] = make(user.id, purpose, lifetime);
    auto stored = tx.put_token(record);
    Result<MailId> queued = fail(Errc::internal, "not queued");
    if (stored) queued = queue_->put(tx, Notification{kind, user, raw, record.expires_at, std::string(origin)});
    wipe(raw);
    if (!stored) return std::move(stored).error();
    return queued;
}

Result<void> OneTimeTokens::send_by_email(std::string_view email, bool want_active, TokenPurpose purpose,
                                          NotificationKind kind, std::chrono::seconds lifetime,
                                          std::string_view origin) const
{
    FieldErrors errors;
    check_email("email", email, errors);
    if (!errors.empty()) return fail(Errc::invalid_argument, "invalid email", std::move(errors));
    auto found = store_.find_user_by_email(email);
    if (!found) return found.error().code == Errc::not_found ? Result<void>() : Result<void>(std::move(found).error());
    // A deactivated account gets no mail either: a fresh activation link would undo staff's ban.
    if (found->user.is_active != want_active || found->user.disabled) return {};
    return send(found->user, purpose, kind, lifetime, origin);
}

Result<std::pair<TokenRecord, StoredUser>> OneTimeTokens::resolve(const OneTimeCode& code, TokenPurpose purpose,
                                                                  bool allow_used) const
{
    const auto bad_token = [] { return field_error("token", Reason::invalid_token); };
    std::optional<StoredUser> claimed;
    if (code.user) {
        const auto& id = code.user->id;
        auto user = id ? store_.find_user(*id) : Result<StoredUser>(fail(Errc::not_found));
        if (!user) {
            if (user.error().code != Errc::not_found) return std::move(user).error();
            return field_error("user", Reason::unknown_user);
        }
        claimed = std::move(*user);
    }
    std::string raw;  // only to check the form: the digest is taken of the text as sent
    if (code.token.size() != 64 || !from_hex(code.token, raw)) return bad_token();
    auto record = store_.find_token(purpose, sha256(code.token));
    if (!record) {
        if (record.error().code != Errc::not_found) return std::move(record).error();
        return bad_token();
    }
    if ((record->used && !allow_used) || record->expires_at <= clock_.now() ||
        (claimed && record->user_id != claimed->user.id))
        return bad_token();
    if (claimed) return std::pair{std::move(*record), std::move(*claimed)};
    auto user = store_.find_user(record->user_id);
    if (!user) return user.error().code == Errc::not_found ? bad_token() : std::move(user).error();
    return std::pair{std::move(*record), std::move(*user)};
}

void OneTimeTokens::check_blanks(const OneTimeCode& code, FieldErrors& errors)
{
    if (code.user && code.user->blank) errors.add("user", Reason::blank);
    if (code.token.empty()) errors.add("token", Reason::blank);
}

void OneTimeTokens::notify(NotificationKind kind, const User& user) const
{
    const Notification n{kind, user, {}, {}, {}};
    if (!queue_) {
        notifier_.notify(n);
        return;
    }
    // The change it confirms is committed already: a confirmation that cannot be queued is
    // reported, and the answer stands (as with a notifier that fails).
    if (auto queued = queue_->put(store_, n); !queued) {
        std::string line = "usermgmt: could not queue " + std::string(to_string(kind)) + " mail to user " +
                           std::to_string(user.id) + ": " + queued.error().message;
        queue_->report_line(line);
        return;
    }
    queue_->wake();
}

}  // namespace usermgmt::detail
