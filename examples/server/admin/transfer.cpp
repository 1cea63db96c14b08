// usermgmt-admin export / import: every user with its password hash and groups as JSON lines,
// for backups and for moving between SQLite and PostgreSQL (docs/admin.md has the format).
// Both work on the store itself: the hash is what they move, and no service call hands it out.
#include "commands.hpp"
#include "user_json.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace usermgmt::admin {
namespace {

namespace json = boost::json;

constexpr int format_version = 1;
constexpr std::size_t batch_size = 500;

json::object user_record(const StoredUser& stored)
{
    json::object line{{"kind", "user"}};
    for (auto& [key, value] : user_json(stored.user)) line[key] = value;
    line["password_hash"] = stored.password_hash;
    return line;
}

// The highest id in use now: users who join after the export starts are not in it.
Result<UserId> last_id(UserStore& store)
{
    // The count and the last row are two reads: a user who leaves between them empties the
    // page, and the pair is read again.
    for (int attempt = 0; attempt < 20; ++attempt) {
        auto count = store.list_users(ListQuery{1, 0, {}, {}});
        if (!count) return std::move(count).error();
        if (count->total == 0) return UserId{0};
        auto last = store.list_users(ListQuery{1, count->total - 1, {}, {}});
        if (!last) return std::move(last).error();
        if (!last->users.empty()) return last->users.back().id;
    }
    return fail(Errc::storage_failure, "the users kept changing while the export looked for the last one");
}

// Only what libsodium's Argon2id writes, with a cost this server would spend: a hash with a
// huge memory or pass count would hold a hashing thread for minutes at every login attempt.
bool acceptable_hash(const std::string& hash, const server::Options& options)
{
    if (hash.size() >= crypto_pwhash_STRBYTES) return false;
    unsigned long memory = 0, passes = 0, lanes = 0;
    char salt[128], digest[128];
    int used = 0;
    if (std::sscanf(hash.c_str(), "$argon2id$v=19$m=%lu,t=%lu,p=%lu$%127[A-Za-z0-9+/]$%127[A-Za-z0-9+/]%n", &memory,
                    &passes, &lanes, salt, digest, &used) != 5 ||
        static_cast<std::size_t>(used) != hash.size())
        return false;
    const unsigned long most_memory = std::max<unsigned long>(4ul * options.argon2_memory_kib, 256ul * 1024);
    const unsigned long most_passes = std::max<unsigned long>(4ul * options.argon2_ops, 10);
    return lanes == 1 && memory >= 8 && memory <= most_memory && passes >= 1 && passes <= most_passes;
}

// ---- reading a line back ----------------------------------------------------------------------

std::string lower(std::string text)
{
    for (char& c : text)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return text;
}

// A user line as a record to store, or why not.
Result<StoredUser> parse_user(const json::object& line, const server::Options& options)
{
    StoredUser record;
    User& u = record.user;
    std::string problem;
    const auto bad = [&](const char* key) { problem += std::string(problem.empty() ? "" : ", ") + key; };
    const auto text = [&](const char* key, std::string& out, bool required) {
        const auto* v = line.if_contains(key);
        if (v && v->is_string()) out = std::string(v->as_string());
        else if (required || (v && !v->is_null())) bad(key);
    };
    const auto flag = [&](const char* key, bool& out) {
        const auto* v = line.if_contains(key);
        if (v && v->is_bool()) out = v->as_bool();
        else bad(key);
    };
    const auto time = [&](const char* key, std::optional<TimePoint>& out, bool required) {
        const auto* v = line.if_contains(key);
        if ((!v || v->is_null()) && !required) return;
        const auto t = v && v->is_string() ? parse_time(v->as_string()) : std::nullopt;
        if (t) out = t;
        else bad(key);
    };
    const auto* id = line.if_contains("id");
    if (id && id->is_int64() && id->as_int64() > 0) u.id = id->as_int64();
    else bad("id");
    text("username", u.username, true);
    text("email", u.email, true);
    text("password_hash", record.password_hash, true);
    text("first_name", u.first_name, false);
    text("last_name", u.last_name, false);
    text("avatar", u.avatar, false);
    std::string birthdate;
    text("birthdate", birthdate, false);
    if (!birthdate.empty()) {
        u.birthdate = Date::parse_iso(birthdate);
        if (!u.birthdate) bad("birthdate");
    }
    flag("avatar_is_media", u.avatar_is_media);
    flag("is_active", u.is_active);
    flag("is_staff", u.is_staff);
    flag("is_superuser", u.is_superuser);
    flag("disabled", u.disabled);
    std::optional<TimePoint> joined, updated;
    time("date_joined", joined, true);
    time("updated_at", updated, true);
    time("last_login", u.last_login, false);
    time("activated_at", u.activated_at, false);
    u.date_joined = joined.value_or(TimePoint{});
    u.updated_at = updated.value_or(TimePoint{});
    if (const auto* groups = line.if_contains("groups"); groups && groups->is_array()) {
        for (const auto& g : groups->as_array()) {
            if (g.is_string() && !g.as_string().empty()) u.groups.emplace_back(g.as_string());
            else bad("groups");
        }
    } else {
        bad("groups");
    }
    if (!problem.empty()) return fail(Errc::invalid_argument, "missing or malformed: " + problem);
    if (u.username.empty() || u.username.size() > 150 || u.email.empty() || u.email.find('@') == std::string::npos ||
        u.email.size() > 254)
        return fail(Errc::invalid_argument, "unusable username or email");
    // Only hashes this library writes: a weaker one must not come in through a backup file.
    if (!acceptable_hash(record.password_hash, options))
        return fail(Errc::invalid_argument,
                    "password_hash is not an Argon2id hash of this library (or its cost is beyond this server's)");
    return record;
}

// What happens to one user line.
enum class Fate { imported, present, updated, conflict };

struct Tally {
    std::size_t imported = 0, present = 0, updated = 0, conflicts = 0, rejected = 0, groups = 0;
};

// Where the user of a line stands in the store: new, the same user already there, or a clash.
Result<Fate> place(UserStore& store, const StoredUser& record, std::string& why)
{
    const User& u = record.user;
    const auto found = [](Result<StoredUser>& r) -> Result<std::optional<StoredUser>> {
        if (r) return std::optional<StoredUser>(std::move(*r));
        if (r.error().code == Errc::not_found) return std::optional<StoredUser>();
        return std::move(r).error();
    };
    auto by_id_r = store.find_user(u.id);
    auto by_name_r = store.find_user_by_username(u.username);
    auto by_email_r = store.find_user_by_email(u.email);
    auto by_id = found(by_id_r), by_name = found(by_name_r), by_email = found(by_email_r);
    if (!by_id) return std::move(by_id).error();
    if (!by_name) return std::move(by_name).error();
    if (!by_email) return std::move(by_email).error();
    if (*by_name && (*by_name)->user.id != u.id) {
        why = "username " + u.username + " belongs to user " + std::to_string((*by_name)->user.id) + " here";
        return Fate::conflict;
    }
    if (*by_email && (*by_email)->user.id != u.id) {
        why = "email " + u.email + " belongs to user " + std::to_string((*by_email)->user.id) + " here";
        return Fate::conflict;
    }
    if (*by_id && !*by_name) {
        why = "id " + std::to_string(u.id) + " belongs to " + (*by_id)->user.username + " here";
        return Fate::conflict;
    }
    return *by_id ? Fate::present : Fate::imported;
}

Result<void> ensure_group(UserStore& store, const std::string& name)
{
    auto made = store.create_group(name);
    if (!made && made.error().code == Errc::already_exists) return {};
    return made;
}

// Whether `text` is the header this tool reads: nothing is written from a file without it.
bool known_header(const std::string& text)
{
    boost::system::error_code ec;
    const auto value = json::parse(text, ec);
    if (ec || !value.is_object()) return false;
    const auto& line = value.as_object();
    const auto* kind = line.if_contains("kind");
    const auto* format = line.if_contains("format");
    const auto* version = line.if_contains("version");
    return kind && *kind == "header" && format && *format == "usermgmt-users" && version && version->is_int64() &&
           version->as_int64() >= 1 && version->as_int64() <= format_version;
}

struct Importer {
    UserStore& store;
    const server::Options& options;
    bool dry_run;
    bool update;
    Tally tally;
    std::optional<std::int64_t> end_count;  ///< the end line's user count, once read
    std::size_t user_lines = 0;
    std::set<std::string> names_seen, emails_seen;
    std::set<UserId> ids_seen;
    std::vector<std::pair<std::size_t, StoredUser>> batch;

    // Checks what a line can be checked for alone and inside the file; queues a user.
    void take(std::size_t number, const std::string& text)
    {
        const auto complain = [&](const std::string& why) {
            std::cerr << "line " << number << ": " << why << "\n";
        };
        boost::system::error_code ec;
        auto value = json::parse(text, ec);
        if (ec || !value.is_object()) {
            ++tally.rejected;
            return complain("not a JSON object");
        }
        const auto& line = value.as_object();
        const auto* kind = line.if_contains("kind");
        if (kind && *kind == "header") {
            ++tally.rejected;
            return complain("a second header");
        }
        if (kind && *kind == "end") {
            const auto* users = line.if_contains("users");
            if (!users || !users->is_int64() || end_count) {
                ++tally.rejected;
                return complain("a malformed or second end line");
            }
            end_count = users->as_int64();
            return;
        }
        if (end_count) {
            ++tally.rejected;
            return complain("a line after the end line");
        }
        if (kind && *kind == "group") {
            const auto* name = line.if_contains("name");
            if (!name || !name->is_string() || name->as_string().empty()) {
                ++tally.rejected;
                return complain("a group line without a name");
            }
            if (!dry_run) {
                if (auto ok = ensure_group(store, std::string(name->as_string())); !ok) {
                    ++tally.rejected;
                    return complain(ok.error().message);
                }
            }
            ++tally.groups;
            return;
        }
        if (!kind || *kind != "user") {
            ++tally.rejected;
            return complain("kind must be header, group or user");
        }
        ++user_lines;
        auto record = parse_user(line, options);
        if (!record) {
            ++tally.rejected;
            return complain(record.error().message);
        }
        // Two users of the file that the database would take for one (names differ only in case).
        const User& u = record->user;
        if (!names_seen.insert(lower(u.username)).second || !emails_seen.insert(lower(u.email)).second ||
            !ids_seen.insert(u.id).second) {
            ++tally.conflicts;
            return complain("user " + u.username + " <" + u.email +
                            ">: an earlier line has the same id, or a username or email differing at most in case");
        }
        batch.emplace_back(number, std::move(*record));
    }

    // One transaction for the queued users; the tally only counts what was committed.
    Result<void> flush()
    {
        if (batch.empty()) return {};
        Tally counted;
        const auto work = [&](UserStore& s) -> Result<void> {
            counted = Tally{};
            for (auto& entry : batch) {
                // Named, not a structured binding: clang 14 cannot capture one in the lambda below.
                const std::size_t number = entry.first;
                const StoredUser& record = entry.second;
                std::string why;
                auto fate = place(s, record, why);
                if (!fate) return std::move(fate).error();
                if (*fate == Fate::conflict) {
                    ++counted.conflicts;
                    std::cerr << "line " << number << ": " << why << "\n";
                    continue;
                }
                if (*fate == Fate::present && !update) {
                    ++counted.present;
                    continue;
                }
                if (dry_run) {
                    ++(*fate == Fate::present ? counted.updated : counted.imported);
                    continue;
                }
                for (const auto& g : record.user.groups)
                    if (auto ok = ensure_group(s, g); !ok) return ok;
                const auto write = [&]() -> Result<void> {
                    if (*fate == Fate::present) {
                        auto before = s.find_user(record.user.id);
                        if (!before) return std::move(before).error();
                        if (auto ok = s.update_user(record); !ok) return ok;
                        // A password put back from the file ends the sessions of the one replaced
                        // (restoring after a compromise must not leave the intruder logged in).
                        if (before->password_hash == record.password_hash) return {};
                        return s.end_sessions_of(record.user.id, std::string_view{}, std::chrono::system_clock::now());
                    }
                    auto inserted = s.insert_user(record);
                    if (!inserted) return std::move(inserted).error();
                    return {};
                };
                auto written = write();
                if (!written) {
                    Error e = std::move(written).error();
                    e.message = "line " + std::to_string(number) + ": " + e.message;
                    return e;
                }
                ++(*fate == Fate::present ? counted.updated : counted.imported);
            }
            return {};
        };
        auto done = dry_run ? work(store) : store.in_transaction(work);
        const auto first = batch.front().first, last = batch.back().first;
        batch.clear();
        if (!done) {
            Error e = std::move(done).error();
            e.message = "lines " + std::to_string(first) + "-" + std::to_string(last) + " rolled back: " + e.message;
            return e;
        }
        tally.imported += counted.imported;
        tally.present += counted.present;
        tally.updated += counted.updated;
        tally.conflicts += counted.conflicts;
        std::cerr << (dry_run ? "checked" : "imported") << " through line " << last << ": " << tally.imported
                  << " new, " << tally.updated << " updated, " << tally.present << " already present\n";
        return {};
    }
};

}  // namespace

int export_command(Tool& tool, const Words& words)
{
    auto args = parse_args(words, {}, {"--output"}, 0);
    if (!args) return usage_error("export: " + args.error().message);
    // The file holds password hashes: the owner's only, whatever was there before (an existing
    // file keeps no wider mode), and never through a symbolic link someone else planted.
    int fd = STDOUT_FILENO;
    if (auto path = args->value("--output")) {
        fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || ::fchmod(fd, 0600) != 0) return usage_error("cannot write " + *path);
    } else if (struct stat st{}; ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
        std::cerr << "usermgmt-admin: warning: stdout is a file others may read, and the export holds password "
                     "hashes (use --output FILE)\n";
    }
    std::unique_ptr<FILE, int (*)(FILE*)> out(::fdopen(fd, "w"), fd == STDOUT_FILENO ? &::fflush : &::fclose);
    if (!out) return usage_error("cannot write the export");
    const auto emit = [&](const json::object& line) {
        const std::string text = json::serialize(line) + "\n";
        return std::fwrite(text.data(), 1, text.size(), out.get()) == text.size();
    };
    auto store = tool.store();
    if (!store) return report(store.error());
    auto groups = (*store)->list_groups();
    if (!groups) return report(groups.error());
    auto last = last_id(**store);
    if (!last) return report(last.error());
    bool written = emit({{"kind", "header"}, {"format", "usermgmt-users"}, {"version", format_version},
                         {"exported_at", time_text(std::chrono::system_clock::now())}});
    for (const auto& g : *groups) written = written && emit({{"kind", "group"}, {"name", g}});
    std::int64_t users = 0;
    // By id rather than by page: a user who leaves during the export shifts no page.
    for (UserId id = 1; id <= *last && written; ++id) {
        auto stored = (*store)->find_user(id);
        if (!stored && stored.error().code == Errc::not_found) continue;
        if (!stored) return report(stored.error());
        written = emit(user_record(*stored));
        ++users;
    }
    // The count at the end: an import of a file cut short says so.
    written = written && emit({{"kind", "end"}, {"users", users}});
    if (!written || std::fflush(out.get()) != 0) return report(fail(Errc::storage_failure, "the export could not be written"));
    std::cerr << "exported " << users << " users and " << groups->size() << " groups\n";
    return exit_ok;
}

int import_command(Tool& tool, const Words& words)
{
    auto args = parse_args(words, {"--dry-run", "--update"}, {"--input"}, 0);
    if (!args) return usage_error("import: " + args.error().message);
    std::ifstream file;
    if (auto path = args->value("--input")) {
        file.open(*path);
        if (!file) return usage_error("cannot read " + *path);
    }
    std::istream& in = file.is_open() ? file : std::cin;
    std::size_t number = 0;
    std::string first;
    while (first.empty() || first == "\r") {
        if (!std::getline(in, first)) break;
        ++number;
    }
    if (!known_header(first))
        return report(fail(Errc::invalid_argument, "line " + std::to_string(number) +
                                                       ": not the header of a usermgmt-users export this tool "
                                                       "reads (format version up to " +
                                                       std::to_string(format_version) + "); nothing imported"));
    auto store = tool.store();
    if (!store) return report(store.error());
    Importer importer{**store, tool.options(), args->has("--dry-run"), args->has("--update"), {}, {}, {}, {}, {}, {}, {}};
    for (std::string text; std::getline(in, text);) {
        ++number;
        if (text.empty() || text == "\r") continue;
        importer.take(number, text);
        if (importer.batch.size() >= batch_size)
            if (auto ok = importer.flush(); !ok) return report(ok.error());
    }
    if (auto ok = importer.flush(); !ok) return report(ok.error());
    Tally& t = importer.tally;
    if (!importer.end_count) {
        ++t.rejected;
        std::cerr << "the file ends without its end line: cut short? (the lines before were read)\n";
    } else if (*importer.end_count != static_cast<std::int64_t>(importer.user_lines)) {
        ++t.rejected;
        std::cerr << "the end line counts " << *importer.end_count << " users, the file holds " << importer.user_lines
                  << "\n";
    }
    std::cout << (importer.dry_run ? "dry run: " : "") << t.imported << " imported, " << t.updated << " updated, "
              << t.present << " already present, " << t.groups << " groups, " << t.conflicts << " conflicts, "
              << t.rejected << " rejected lines\n";
    return t.conflicts + t.rejected == 0 ? exit_ok : exit_refused;
}

}  // namespace usermgmt::admin
