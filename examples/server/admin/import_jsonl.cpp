// usermgmt-admin import jsonl: the users of an Express + MongoDB service (the /users style's
// original, ../docs/migrating.md), as `mongoexport` writes them: one JSON document per line, with
// `_id`, email, firstname, lastname, birthdate, avatar, groups, a bcrypt password and timestamps.
// The old ids go to a mapping file, since ours are numbers.
#include "commands.hpp"
#include "import_run.hpp"
#include "user_json.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <fstream>
#include <map>
#include <iostream>

namespace usermgmt::admin {
namespace {

namespace json = boost::json;

// mongoexport writes an ObjectId as {"$oid": "..."}; a plain string is taken as it is.
std::optional<std::string> old_id(const json::value* v)
{
    if (!v) return std::nullopt;
    if (v->is_string()) return std::string(v->as_string());
    if (v->is_object())
        if (const auto* oid = v->as_object().if_contains("$oid"); oid && oid->is_string()) return std::string(oid->as_string());
    if (v->is_int64()) return std::to_string(v->as_int64());
    return std::nullopt;
}

// A date as mongoexport writes it: {"$date": "2021-06-07T14:53:34.607Z"} (relaxed mode),
// {"$date": {"$numberLong": "1623077614607"}} (canonical mode), or a bare ISO string.
std::optional<TimePoint> mongo_time(const json::value* v)
{
    if (!v) return std::nullopt;
    if (v->is_object()) {
        const auto* date = v->as_object().if_contains("$date");
        if (!date) return std::nullopt;
        if (date->is_string()) return parse_utc_time(date->as_string());
        std::optional<std::int64_t> millis;
        if (date->is_int64()) millis = date->as_int64();
        if (date->is_object())
            if (const auto* n = date->as_object().if_contains("$numberLong"); n && n->is_string()) {
                const std::string_view text = n->as_string();
                std::int64_t value = 0;
                const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
                if (ec == std::errc() && end == text.data() + text.size()) millis = value;
            }
        // Within the years a TimePoint holds (1678-2261), with room to spare.
        constexpr std::int64_t most = 9'000'000'000'000'000;
        if (!millis || *millis > most || *millis < -most) return std::nullopt;
        return TimePoint(std::chrono::milliseconds(*millis));
    }
    if (v->is_string()) {
        // A date alone ("1990-05-01") is midnight UTC.
        if (v->as_string().size() == 10)
            if (const auto date = Date::parse_iso(v->as_string())) return parse_utc_time(std::string(v->as_string()) + "T00:00:00Z");
        return parse_utc_time(v->as_string());
    }
    return std::nullopt;
}

const json::value* first_of(const json::object& doc, std::initializer_list<const char*> keys)
{
    for (const char* key : keys)
        if (const auto* v = doc.if_contains(key)) return v;
    return nullptr;
}

// One document as an account: active (the original service has no activation), its username
// made from its email, its avatar the free string the /users style keeps.
Result<ImportedUser> to_user(const json::object& doc)
{
    ImportedUser in;
    User& u = in.user;
    std::string problem;
    const auto bad = [&](const char* key) { problem += std::string(problem.empty() ? "" : ", ") + key; };
    const auto text = [&](const char* key, std::string& out) {
        const auto* v = doc.if_contains(key);
        if (v && v->is_string()) out = std::string(v->as_string());
        else if (v && !v->is_null()) bad(key);
    };
    text("email", u.email);
    if (u.email.empty()) bad("email");
    text("password", in.password_hash);
    if (in.password_hash.empty()) bad("password");
    text("firstname", u.first_name);
    text("lastname", u.last_name);
    text("avatar", u.avatar);
    if (const auto* v = doc.if_contains("birthdate"); v && !v->is_null()) {
        const auto t = mongo_time(v);
        if (t) u.birthdate = Date::from_time(*t);
        else bad("birthdate");
    }
    if (const auto* groups = doc.if_contains("groups"); groups && !groups->is_null()) {
        if (!groups->is_array()) bad("groups");
        else
            for (const auto& g : groups->as_array()) {
                if (g.is_string() && !g.as_string().empty()) u.groups.emplace_back(g.as_string());
                else bad("groups");
            }
    }
    const auto created = mongo_time(first_of(doc, {"created_at", "createdAt"}));
    const auto updated = mongo_time(first_of(doc, {"updated_at", "updatedAt"}));
    if (first_of(doc, {"created_at", "createdAt"}) && !created) bad("created_at");
    if (!problem.empty()) return fail(Errc::invalid_argument, "missing or malformed: " + problem);
    const TimePoint now = std::chrono::system_clock::now();
    u.date_joined = created.value_or(now);
    u.updated_at = updated.value_or(u.date_joined);
    u.is_active = true;
    u.activated_at = u.date_joined;
    return in;
}

// The id map of an earlier run: old id -> id here. A user found in it is the same account,
// whatever became of its email here since.
std::map<std::string, UserId> read_id_map(std::istream& in)
{
    std::map<std::string, UserId> known;
    for (std::string line; std::getline(in, line);) {
        boost::system::error_code ec;
        auto value = json::parse(line, ec);
        if (ec || !value.is_object()) continue;
        const auto* old = value.as_object().if_contains("old_id");
        const auto* id = value.as_object().if_contains("id");
        if (old && old->is_string() && id && id->is_int64() && id->as_int64() > 0)
            known[std::string(old->as_string())] = id->as_int64();
    }
    return known;
}

}  // namespace

int import_jsonl_command(Tool& tool, const Words& words)
{
    // No --update: the documents lack most of what an account here holds (staff, activation,
    // logins), which an overwrite would reset.
    auto args = parse_args(words, {"--dry-run"}, {"--input", "--id-map"}, 0);
    if (!args) return usage_error("import jsonl: " + args.error().message);
    std::ifstream file;
    std::istream* input = input_of(*args, file);
    if (!input) return usage_error("cannot read " + *args->value("--input"));
    std::istream& in = *input;
    const auto map_path = args->value("--id-map");
    std::map<std::string, UserId> known;
    if (map_path) {
        std::ifstream earlier(*map_path);
        if (earlier) known = read_id_map(earlier);
    }
    auto service = tool.service();
    if (!service) return report(service.error());
    ImportRun run(**service, {args->has("--dry-run"), false});
    // Old id -> id here: every entry the map had, and each user of this run that is here after
    // it (new or already present). Written after the run, and also when a batch fails (what was
    // committed before it stays mapped); never by a dry run.
    std::map<std::string, UserId> mapped = known;
    const auto write_map = [&]() -> Result<void> {
        if (!map_path || run.dry_run()) return {};
        std::ofstream out(*map_path, std::ios::trunc);
        for (const auto& [old, id] : mapped) out << json::serialize(json::object{{"old_id", old}, {"id", id}}) << "\n";
        if (!out.flush()) return fail(Errc::storage_failure, "the id map " + *map_path + " could not be written");
        return {};
    };
    const auto stop = [&](const Error& e) {
        (void)write_map();
        return report(e);
    };
    std::size_t number = 0;
    for (std::string text; std::getline(in, text);) {
        ++number;
        if (text.empty() || text == "\r") continue;
        const std::string where = "line " + std::to_string(number);
        boost::system::error_code ec;
        auto value = json::parse(text, ec);
        if (ec || !value.is_object()) {
            run.reject(where, "not a JSON object");
            continue;
        }
        const auto& doc = value.as_object();
        auto user = to_user(doc);
        if (!user) {
            run.reject(where, user.error().message);
            continue;
        }
        const auto old = old_id(doc.if_contains("_id"));
        if (old)
            if (auto found = known.find(*old); found != known.end()) user->user.id = found->second;
        auto noted = [&mapped, old](const ImportResult& r) {
            if (old && r.id != 0) mapped[*old] = r.id;
        };
        if (auto ok = run.add(where, std::move(*user), noted); !ok) return stop(ok.error());
    }
    if (auto ok = run.finish(); !ok) return stop(ok.error());
    if (auto ok = write_map(); !ok) return report(ok.error());
    return run.summary();
}

}  // namespace usermgmt::admin
