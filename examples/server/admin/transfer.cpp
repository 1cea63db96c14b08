// usermgmt-admin export / import: every user with its password hash and groups as JSON lines,
// for backups and for moving between SQLite and PostgreSQL (docs/admin.md has the format).
// Both work on the store itself: the hash is what they move, and no service call hands it out.
#include "commands.hpp"
#include "import_run.hpp"
#include "user_json.hpp"

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

// ---- reading a line back ----------------------------------------------------------------------

// A user line as a record to store, or why not.
Result<ImportedUser> parse_user(const json::object& line)
{
    ImportedUser record;
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
    return record;  // the core checks the hash (UserService::import_users)
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

// Reads the lines after the header: groups, users (to the import run), and the end line.
struct BackupReader {
    ImportRun& run;
    std::optional<std::int64_t> end_count;  ///< the end line's user count, once read
    std::size_t user_lines = 0;

    Result<void> take(std::size_t number, const std::string& text)
    {
        const std::string where = "line " + std::to_string(number);
        const auto rejected = [&](const std::string& why) -> Result<void> {
            run.reject(where, why);
            return {};
        };
        boost::system::error_code ec;
        auto value = json::parse(text, ec);
        if (ec || !value.is_object()) return rejected("not a JSON object");
        const auto& line = value.as_object();
        const auto* kind = line.if_contains("kind");
        if (kind && *kind == "header") return rejected("a second header");
        if (kind && *kind == "end") {
            const auto* users = line.if_contains("users");
            if (!users || !users->is_int64() || end_count)
                return rejected("a malformed or second end line");
            end_count = users->as_int64();
            return {};
        }
        if (end_count) return rejected("a line after the end line");
        if (kind && *kind == "group") {
            const auto* name = line.if_contains("name");
            if (!name || !name->is_string() || name->as_string().empty())
                return rejected("a group line without a name");
            return run.add_group(std::string(name->as_string()));
        }
        if (!kind || *kind != "user") return rejected("kind must be header, group or user");
        ++user_lines;
        auto record = parse_user(line);
        if (!record) return rejected(record.error().message);
        return run.add(where, std::move(*record));
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
    if (!words.empty() && words.front() == "django") return import_django_command(tool, Words(words.begin() + 1, words.end()));
    if (!words.empty() && words.front() == "jsonl") return import_jsonl_command(tool, Words(words.begin() + 1, words.end()));
    auto args = parse_args(words, {"--dry-run", "--update"}, {"--input"}, 0);
    if (!args) return usage_error("import: " + args.error().message);
    std::ifstream file;
    std::istream* input = input_of(*args, file);
    if (!input) return usage_error("cannot read " + *args->value("--input"));
    std::istream& in = *input;
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
    auto service = tool.service();
    if (!service) return report(service.error());
    ImportRun run(**service, {args->has("--dry-run"), args->has("--update")});
    BackupReader reader{run, {}, {}};
    for (std::string text; std::getline(in, text);) {
        ++number;
        if (text.empty() || text == "\r") continue;
        if (auto ok = reader.take(number, text); !ok) return report(ok.error());
    }
    if (auto ok = run.finish(); !ok) return report(ok.error());
    if (!reader.end_count)
        run.reject("end", "the file ends without its end line: cut short? (the lines before were read)");
    else if (*reader.end_count != static_cast<std::int64_t>(reader.user_lines))
        run.reject("end", "the end line counts " + std::to_string(*reader.end_count) + " users, the file holds " +
                              std::to_string(reader.user_lines));
    return run.summary();
}

}  // namespace usermgmt::admin
