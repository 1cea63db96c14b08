// usermgmt-admin import django --from PATH_OR_URL: the users, groups and memberships of a Django
// (Djoser) database, password hashes and all (docs/migrating.md has the mapping).
#include "commands.hpp"
#include "import_run.hpp"
#include "table_source.hpp"
#include "user_json.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <map>

namespace usermgmt::admin {
namespace {

// The columns of Django's AbstractUser that become ours; anything else a custom user model adds
// is named in a notice and left behind (`avatar` and `birthdate`, which ours have, come along).
const std::vector<std::string> required_columns = {"id", "password", "email", "is_active", "date_joined"};
const std::vector<std::string> known_columns = {"id",       "password", "last_login",  "is_superuser", "username",
                                                "first_name", "last_name", "email",     "is_staff",     "is_active",
                                                "date_joined", "avatar",   "birthdate"};

bool has(const std::vector<std::string>& list, const std::string& name)
{
    return std::find(list.begin(), list.end(), name) != list.end();
}

bool truthy(const std::optional<std::string>& value) { return value && (*value == "1" || *value == "t" || *value == "true"); }

// The SELECT list: every known column the table has, in `known_columns` order (NULL for the others),
// times and booleans as text the same way on both databases.
std::string select_list(const TableSource& source, const std::vector<std::string>& present)
{
    std::string list;
    for (const auto& name : known_columns) {
        std::string expression = "NULL";
        if (has(present, name)) {
            if (name == "last_login" || name == "date_joined") expression = source.utc_text(name);
            else if (name.rfind("is_", 0) == 0) expression = "CAST(" + sql_name(name) + " AS INTEGER)";
            else expression = sql_name(name);
        }
        list += (list.empty() ? "" : ", ") + expression;
    }
    return list;
}

// One auth_user row as an account here. Djoser's activation leaves an account inactive with no
// login yet: it comes in waiting for its address to be confirmed (it may ask for the link again,
// and is not purged as never activated, which would count from Django's date_joined). An
// inactive account that has logged in was turned off by staff: it comes in disabled.
Result<ImportedUser> to_user(const Row& row, const std::map<std::string, std::vector<std::string>>& memberships)
{
    const auto text = [&](std::size_t i) { return row[i].value_or(std::string()); };
    ImportedUser in;
    User& u = in.user;
    // An integer key is kept (the uid of links already mailed stays the same); any other key (a
    // UUID) gets a new id here, and a re-run finds the user by email.
    const std::string key = text(0);
    UserId id = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    u.id = ec == std::errc() && end == key.data() + key.size() && id > 0 ? id : 0;
    in.password_hash = text(1);
    u.last_login = row[2] ? parse_utc_time(*row[2]) : std::nullopt;
    if (row[2] && !u.last_login) return fail(Errc::invalid_argument, "last_login is not a time");
    u.is_superuser = truthy(row[3]);
    u.username = text(4);
    u.first_name = text(5);
    u.last_name = text(6);
    u.email = text(7);
    u.is_staff = truthy(row[8]);
    u.is_active = truthy(row[9]);
    const auto joined = row[10] ? parse_utc_time(*row[10]) : std::nullopt;
    if (!joined) return fail(Errc::invalid_argument, "date_joined is not a time");
    u.date_joined = *joined;
    u.updated_at = std::max(*joined, u.last_login.value_or(*joined));
    if (row[11] && !row[11]->empty()) {
        u.avatar = *row[11];  // a path under Django's MEDIA_ROOT: the files are copied by hand
        u.avatar_is_media = true;
    }
    if (row[12] && !row[12]->empty()) {
        u.birthdate = Date::parse_iso(row[12]->substr(0, 10));
        if (!u.birthdate) return fail(Errc::invalid_argument, "birthdate is not a date");
    }
    u.activated_at = u.date_joined;
    u.disabled = !u.is_active && u.last_login.has_value();
    if (auto found = memberships.find(text(0)); found != memberships.end()) u.groups = found->second;
    return in;
}

}  // namespace

int import_django_command(Tool& tool, const Words& words)
{
    auto args = parse_args(words, {"--dry-run", "--update"}, {"--from", "--user-table"}, 0);
    if (!args) return usage_error("import django: " + args.error().message);
    const auto from = args->value("--from");
    if (!from) return usage_error("import django: --from PATH_OR_URL is required (a SQLite file or postgresql://...)");
    // A custom user model (AUTH_USER_MODEL) has its own table; its groups table is named after it.
    const std::string users_table = args->value("--user-table").value_or("auth_user");
    auto source = open_table_source(*from);
    if (!source) return report(source.error());
    TableSource& db = **source;

    auto present = db.columns(users_table);
    if (!present) return report(present.error());
    if (present->empty()) return report(fail(Errc::invalid_argument, "the Django database has no table " + users_table + " (a custom user model? --user-table NAME)"));
    for (const auto& name : required_columns)
        if (!has(*present, name)) return report(fail(Errc::invalid_argument, users_table + " has no column " + name));
    for (const auto& name : *present)
        if (!has(known_columns, name))
            std::cerr << "notice: column " << users_table << "." << name << " has no place here and is not imported\n";
    if (!has(*present, "username"))
        std::cerr << "notice: " << users_table << " has no username: usernames are made from the emails\n";

    // Groups, and who is in which (Django's many-to-many table <user table>_groups).
    std::map<std::string, std::string> group_names;
    auto group_columns = db.columns("auth_group");
    if (!group_columns) return report(group_columns.error());
    auto groups_read = group_columns->empty() ? Result<void>{} : db.rows("SELECT id, name FROM auth_group ORDER BY id", [&](const Row& row) -> Result<void> {
        if (row[0] && row[1]) group_names[*row[0]] = *row[1];
        return {};
    });
    if (!groups_read) return report(groups_read.error());
    // Its user column is named after the model (user_id, member_id, ...); a model without
    // PermissionsMixin has no such table.
    std::map<std::string, std::vector<std::string>> memberships;
    const std::string members_table = users_table + "_groups";
    auto member_columns = db.columns(members_table);
    if (!member_columns) return report(member_columns.error());
    std::string user_column;
    for (const auto& c : *member_columns)
        if (c != "group_id" && c.size() > 3 && c.compare(c.size() - 3, 3, "_id") == 0) user_column = c;
    if (user_column.empty() || !has(*member_columns, "group_id")) {
        std::cerr << "notice: no table " << members_table << " with a user and a group_id column: no memberships\n";
    } else {
        auto members_read = db.rows("SELECT " + sql_name(user_column) + ", " + sql_name("group_id") + " FROM " + sql_name(members_table),
                                    [&](const Row& row) -> Result<void> {
                                        if (!row[0] || !row[1]) return {};
                                        if (auto g = group_names.find(*row[1]); g != group_names.end())
                                            memberships[*row[0]].push_back(g->second);
                                        return {};
                                    });
        if (!members_read) return report(members_read.error());
    }

    auto service = tool.service();
    if (!service) return report(service.error());
    ImportRun run(**service, {args->has("--dry-run"), args->has("--update")});
    for (const auto& [id, name] : group_names)
        if (auto ok = run.add_group(name); !ok) return report(ok.error());
    auto read = db.rows("SELECT " + select_list(db, *present) + " FROM " + sql_name(users_table) + " ORDER BY " + sql_name("id"),
                        [&](const Row& row) -> Result<void> {
                            const std::string where = users_table + " id " + row[0].value_or("?");
                            auto user = to_user(row, memberships);
                            if (!user) {
                                run.reject(where, user.error().message);
                                return {};
                            }
                            return run.add(where, std::move(*user));
                        });
    if (!read) return report(read.error());
    if (auto ok = run.finish(); !ok) return report(ok.error());
    return run.summary();
}

}  // namespace usermgmt::admin
