// UserService::import_users: accounts from another system or from a backup, with their password
// hashes (docs/migrating.md). Each user is checked alone, then placed against the database (new,
// already here, or clashing with someone else), and the batch is written in one transaction.
#include "service_impl.hpp"

#include "foreign_hashes.hpp"
#include "validation.hpp"

#include <algorithm>
#include <set>

namespace usermgmt {
namespace {

std::string lower_ascii(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

struct StoredHash {
    std::string hash;
    std::string format;
};

// What to store for a given hash: ours as it is, a foreign one marked as imported, nothing for
// none (Django writes "!" and 40 random characters for an unusable password).
std::optional<StoredHash> hash_to_store(std::string_view given, const Argon2Params& ours)
{
    if (given.empty() || given.front() == '!') return StoredHash{"", "none"};
    if (detail::native_argon2id(given, ours)) return StoredHash{std::string(given), "argon2id"};
    const std::string_view foreign = detail::unmark_imported(given).value_or(given);
    if (const auto format = detail::foreign_hash_format(foreign))
        return StoredHash{std::string(detail::imported_hash_marker) + std::string(foreign), std::string(*format)};
    return std::nullopt;
}

std::string describe(const FieldErrors& errors)
{
    std::string text;
    for (const auto& entry : errors.entries())
        for (const auto& problem : entry.problems)
            text += (text.empty() ? "" : ", ") + entry.field + ": " + std::string(to_string(problem.reason));
    return text;
}

// One user checked alone: its fields as a registration checks them (not the password policy:
// the password is not known), and its hash. Fills `result` when it is rejected.
std::optional<StoredUser> check_one(const UserService::Impl& m, const ImportedUser& in, ImportResult& result)
{
    StoredUser record{in.user, {}};
    User& u = record.user;
    const auto stored = hash_to_store(in.password_hash, m.config.argon2);
    result.hash_format = stored ? stored->format : "unsupported";
    FieldErrors errors;
    u.email = detail::normalize_email(u.email);
    if (!u.username.empty()) detail::check_username("username", u.username, errors);
    m.rules.check_profile(&u.email, &u.first_name, &u.last_name, &u.birthdate, u.avatar_is_media ? nullptr : &u.avatar,
                          &u.groups, errors);
    if (u.id < 0) errors.add("id", Reason::below_minimum, 0);
    // A media file's name is a path under the media directory: never one out of it.
    if (u.avatar_is_media && !u.avatar.empty() && !is_valid_media_key(u.avatar)) errors.add("avatar", Reason::invalid_characters);
    if (!errors.empty()) {
        result.detail = describe(errors);
        return std::nullopt;
    }
    if (!stored) {
        result.detail = "password hash: malformed, of an algorithm this library does not verify, or costlier than "
                        "its bound";
        return std::nullopt;
    }
    record.password_hash = stored->hash;
    std::sort(u.groups.begin(), u.groups.end());
    u.groups.erase(std::unique(u.groups.begin(), u.groups.end()), u.groups.end());
    return record;
}

// Where a checked user stands in the store: new, the same account already here (its id set in
// `record`), or a clash described in `why`.
Result<ImportOutcome> place(UserStore& store, StoredUser& record, std::string& why)
{
    const User& u = record.user;
    const auto look = [](Result<StoredUser> r) -> Result<std::optional<StoredUser>> {
        if (r) return std::optional<StoredUser>(std::move(*r));
        if (r.error().code == Errc::not_found) return std::optional<StoredUser>();
        return std::move(r).error();
    };
    auto found_by_email = look(store.find_user_by_email(u.email));
    if (!found_by_email) return std::move(found_by_email).error();
    const std::optional<StoredUser> by_email = std::move(*found_by_email);
    std::optional<StoredUser> by_name;
    if (!u.username.empty()) {
        auto found = look(store.find_user_by_username(u.username));
        if (!found) return std::move(found).error();
        by_name = std::move(*found);
    }
    std::optional<StoredUser> by_id;
    if (u.id != 0) {
        auto found = look(store.find_user(u.id));
        if (!found) return std::move(found).error();
        by_id = std::move(*found);
    }
    // The account this user would be: by id when it has one, else by email.
    const std::optional<StoredUser>& same = u.id != 0 ? by_id : by_email;
    const UserId here = same ? same->user.id : 0;
    if (by_name && by_name->user.id != here) {
        why = "username " + u.username + " belongs to user " + std::to_string(by_name->user.id) + " here";
        return ImportOutcome::conflict;
    }
    if (by_email && by_email->user.id != here) {
        why = "email " + u.email + " belongs to user " + std::to_string(by_email->user.id) + " here";
        return ImportOutcome::conflict;
    }
    if (same && !u.username.empty() && !by_name) {
        why = (u.id != 0 ? "id " + std::to_string(u.id) : "email " + u.email) + " belongs to " + same->user.username +
              " here";
        return ImportOutcome::conflict;
    }
    if (!same) return ImportOutcome::imported;
    record.user.id = here;
    if (record.user.username.empty()) record.user.username = same->user.username;
    return ImportOutcome::present;
}

Result<void> ensure_group(UserStore& store, const std::string& name)
{
    auto made = store.create_group(name);
    if (!made && made.error().code == Errc::already_exists) return {};
    return made;
}

// Writes one placed user; a hash put back over another ends the sessions of the account (a
// restore after a compromise must not leave the intruder logged in). A password set here (our
// Argon2id: a first login already replaced the imported hash, or the user changed it) is never
// replaced by a foreign hash or by none: that would bring an old password back.
Result<UserId> write(const UserService::Impl& m, UserStore& s, StoredUser& record, ImportOutcome fate, std::string& note)
{
    for (const auto& g : record.user.groups)
        if (auto ok = ensure_group(s, g); !ok) return std::move(ok).error();
    if (fate == ImportOutcome::updated) {
        auto before = s.find_user(record.user.id);
        if (!before) return std::move(before).error();
        if (detail::native_argon2id(before->password_hash, m.config.argon2) &&
            !detail::native_argon2id(record.password_hash, m.config.argon2)) {
            record.password_hash = before->password_hash;
            note = "kept the password set here";
        }
        if (auto ok = s.update_user(record); !ok) return std::move(ok).error();
        if (before->password_hash != record.password_hash)
            if (auto ok = s.end_sessions_of(record.user.id, std::string_view{}, m.now()); !ok) return std::move(ok).error();
        return record.user.id;
    }
    if (record.user.username.empty()) {
        auto derived = m.username_for(s, record.user.email);
        if (!derived) return std::move(derived).error();
        record.user.username = std::move(*derived);
    }
    auto inserted = s.insert_user(record);
    if (!inserted) return std::move(inserted).error();
    return inserted->user.id;
}

}  // namespace

Result<std::vector<ImportResult>> UserService::import_users(const Principal& who, const std::vector<ImportedUser>& users,
                                                            const ImportOptions& options) const
{
    const Impl& m = *impl_;
    if (!who.is_operator) return fail(Errc::forbidden, "only an operator imports users");
    std::vector<ImportResult> results(users.size());
    std::vector<std::optional<StoredUser>> records(users.size());
    // Two users of the batch that the database would take for one.
    std::set<std::string> names, emails;
    std::set<UserId> ids;
    for (std::size_t i = 0; i < users.size(); ++i) {
        records[i] = check_one(m, users[i], results[i]);
        if (!records[i]) continue;
        const User& u = records[i]->user;
        const bool repeated = (!u.username.empty() && !names.insert(lower_ascii(u.username)).second) ||
                              !emails.insert(lower_ascii(u.email)).second || (u.id != 0 && !ids.insert(u.id).second);
        if (repeated) {
            results[i].outcome = ImportOutcome::conflict;
            results[i].detail = "an earlier user of this batch has the same id, or a username or email differing at "
                                "most in case";
            records[i].reset();
        }
    }
    const auto work = [&](UserStore& s) -> Result<void> {
        std::set<UserId> inserted;  // ids this batch gave: another user of it naming one is a clash
        for (std::size_t i = 0; i < users.size(); ++i) {
            if (!records[i]) continue;
            StoredUser record = *records[i];
            ImportResult& result = results[i];
            result.detail.clear();
            auto fate = place(s, record, result.detail);
            if (!fate) return std::move(fate).error();
            if (*fate == ImportOutcome::present && inserted.count(record.user.id)) {
                fate = ImportOutcome::conflict;
                result.detail = "id " + std::to_string(record.user.id) + " was given to an earlier user of this batch";
            }
            result.outcome = *fate == ImportOutcome::present && options.update ? ImportOutcome::updated : *fate;
            result.id = *fate == ImportOutcome::conflict ? 0 : record.user.id;
            if (options.dry_run || *fate == ImportOutcome::conflict || result.outcome == ImportOutcome::present)
                continue;
            // In a savepoint: a name or email someone registered since the check is a conflict
            // of this user, not the end of the batch.
            UserId written = 0;
            auto saved = s.in_transaction([&](UserStore& t) -> Result<void> {
                auto id = write(m, t, record, result.outcome, result.detail);
                if (!id) return std::move(id).error();
                written = *id;
                return {};
            });
            if (!saved && saved.error().code == Errc::already_exists) {
                result.outcome = ImportOutcome::conflict;
                result.id = 0;
                result.detail = "taken meanwhile: " + saved.error().message;
                continue;
            }
            if (!saved) return std::move(saved).error();
            result.id = written;
            if (result.outcome == ImportOutcome::imported) inserted.insert(written);
        }
        return {};
    };
    auto done = options.dry_run ? work(*m.store) : m.store->in_transaction(work);
    if (!done) return std::move(done).error();
    return results;
}

}  // namespace usermgmt
