// usermgmt-admin users ... and createsuperuser: every change through the service, as the
// operator (operator_principal), so that the core's rules apply as they do over HTTP.
#include "commands.hpp"
#include "user_json.hpp"

#include <cstdlib>
#include <iostream>

namespace usermgmt::admin {
namespace {

// A new password: typed twice at a terminal, or one line of stdin with --stdin.
Result<std::string> read_new_password(bool from_stdin)
{
    if (from_stdin) {
        std::string line;
        if (!std::getline(std::cin, line)) return fail(Errc::bad_config, "no password on stdin");
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    }
    if (!interactive()) return fail(Errc::bad_config, "stdin is not a terminal: pass the password with --stdin");
    for (int tries = 0; tries < 3; ++tries) {
        auto first = prompt_hidden("Password: ");
        auto again = first ? prompt_hidden("Password (again): ") : std::nullopt;
        if (!first || !again) return fail(Errc::bad_config, "no password given");
        if (*first == *again) return *first;
        std::cerr << "The passwords did not match.\n";
    }
    return fail(Errc::bad_config, "the passwords did not match");
}

int print_user(const User& user, bool json)
{
    if (json) {
        std::cout << boost::json::serialize(user_json(user)) << "\n";
        return exit_ok;
    }
    for (const auto& [key, value] : user_json(user))
        std::cout << std::string(key) << ": "
                  << (value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value)) << "\n";
    return exit_ok;
}

int list(const UserService& service, const Args& args)
{
    ListQuery query;
    query.username_prefix = args.value("--username-prefix").value_or("");
    query.email_prefix = args.value("--email-prefix").value_or("");
    for (auto [name, field] : {std::pair{"--limit", &query.limit}, std::pair{"--offset", &query.offset}}) {
        if (auto text = args.value(name)) {
            auto number = parse_count(*text);
            if (!number) return usage_error(std::string(name) + " must be a whole number");
            *field = *number;
        }
    }
    auto page = service.list_users(operator_principal(), query);
    if (!page) return report(page.error());
    if (args.has("--json")) {
        boost::json::array users;
        for (const auto& u : page->users) users.push_back(user_json(u));
        std::cout << boost::json::serialize(boost::json::object{{"total", page->total}, {"users", std::move(users)}})
                  << "\n";
        return exit_ok;
    }
    for (const auto& u : page->users) std::cout << user_line(u) << "\n";
    std::cerr << page->users.size() << " of " << page->total << " users\n";
    return exit_ok;
}

// One change to one user, as a patch; prints what it did.
int patch_user(const UserService& service, const std::string& ref, const UserPatch& patch, const std::string& done)
{
    auto user = find_user(service, ref);
    if (!user) return report(user.error());
    auto changed = service.update_user(operator_principal(), user->id, patch);
    if (!changed) return report(changed.error());
    std::cout << done << ": " << changed->username << " (id " << changed->id << ")\n";
    return exit_ok;
}

int remove(const UserService& service, const std::string& ref, bool confirmed)
{
    auto user = find_user(service, ref);
    if (!user) return report(user.error());
    if (!confirmed) {
        if (!interactive()) return usage_error("deleting needs --yes when stdin is not a terminal");
        auto answer = prompt("Delete " + user->username + " (id " + std::to_string(user->id) + ") and everything of theirs? [y/N] ");
        if (!answer || (*answer != "y" && *answer != "yes")) {
            std::cerr << "usermgmt-admin: nothing deleted\n";
            return exit_refused;
        }
    }
    if (auto gone = service.delete_user(operator_principal(), user->id, std::nullopt); !gone) return report(gone.error());
    std::cout << "deleted: " << user->username << " (id " << user->id << ")\n";
    return exit_ok;
}

int revoke_sessions(const UserService& service, const std::string& ref)
{
    auto user = find_user(service, ref);
    if (!user) return report(user.error());
    if (auto ended = service.end_sessions(operator_principal(), user->id); !ended) return report(ended.error());
    std::cout << "sessions ended: " << user->username << " (id " << user->id << ")\n";
    return exit_ok;
}

std::string from_env(const char* name)
{
    const char* value = std::getenv(name);
    return value ? value : "";
}

}  // namespace

int users_command(Tool& tool, const Words& words)
{
    if (words.empty()) return usage_error("users needs a command: list, show, activate, deactivate, set-password, "
                                          "set-staff, delete, revoke-sessions");
    const std::string& what = words[0];
    const Words rest(words.begin() + 1, words.end());
    struct Shape {
        std::set<std::string> switches, options;
        std::size_t positional;
    };
    Shape shape;
    if (what == "list") shape = {{"--json"}, {"--username-prefix", "--email-prefix", "--limit", "--offset"}, 0};
    else if (what == "show") shape = {{"--json"}, {}, 1};
    else if (what == "set-password") shape = {{"--stdin"}, {}, 1};
    else if (what == "set-staff") shape = {{"--off"}, {}, 1};
    else if (what == "delete") shape = {{"--yes"}, {}, 1};
    else if (what == "activate" || what == "deactivate" || what == "revoke-sessions") shape = {{}, {}, 1};
    else return usage_error("unknown command: users " + what);
    auto args = parse_args(rest, shape.switches, shape.options, shape.positional);
    if (!args) return usage_error("users " + what + ": " + args.error().message);
    auto service = tool.service();
    if (!service) return report(service.error());
    const UserService& s = **service;

    if (what == "list") return list(s, *args);
    const std::string& ref = args->positional[0];
    if (what == "show") {
        auto user = find_user(s, ref);
        return user ? print_user(*user, args->has("--json")) : report(user.error());
    }
    if (what == "activate" || what == "deactivate") {
        UserPatch patch;
        patch.is_active = what == "activate";
        return patch_user(s, ref, patch, what == "activate" ? "activated" : "deactivated");
    }
    if (what == "set-staff") {
        UserPatch patch;
        patch.is_staff = !args->has("--off");
        return patch_user(s, ref, patch, *patch.is_staff ? "staff" : "not staff");
    }
    if (what == "set-password") {
        auto user = find_user(s, ref);  // before the prompt: no password typed for nobody
        if (!user) return report(user.error());
        auto password = read_new_password(args->has("--stdin"));
        if (!password) return report(password.error());
        UserPatch patch;
        patch.password = std::move(*password);
        return patch_user(s, std::to_string(user->id), patch, "password set, sessions ended");
    }
    if (what == "delete") return remove(s, ref, args->has("--yes"));
    return revoke_sessions(s, ref);
}

int createsuperuser_command(Tool& tool, const Words& words)
{
    auto args = parse_args(words, {"--noinput"}, {"--username", "--email"}, 0);
    if (!args) return usage_error("createsuperuser: " + args.error().message);
    // As Django's: --noinput takes what is not on the command line from the environment.
    std::string username = args->value("--username").value_or(from_env("USERMGMT_SUPERUSER_USERNAME"));
    std::string email = args->value("--email").value_or(from_env("USERMGMT_SUPERUSER_EMAIL"));
    const bool noinput = args->has("--noinput");
    if (!noinput && !interactive())
        return usage_error("createsuperuser: stdin is not a terminal; use --noinput with USERMGMT_SUPERUSER_USERNAME, "
                           "_EMAIL and _PASSWORD set");
    if (noinput && (username.empty() || email.empty() || from_env("USERMGMT_SUPERUSER_PASSWORD").empty()))
        return usage_error("createsuperuser --noinput needs USERMGMT_SUPERUSER_USERNAME (or --username), "
                           "USERMGMT_SUPERUSER_EMAIL (or --email) and USERMGMT_SUPERUSER_PASSWORD");
    auto service = tool.service();
    if (!service) return report(service.error());
    if (!noinput) {
        if (username.empty()) username = prompt("Username: ").value_or("");
        if (email.empty()) email = prompt("Email address: ").value_or("");
    }
    // At a terminal a refused password is asked again; anything else ends the command.
    for (int tries = 0;; ++tries) {
        std::string password = from_env("USERMGMT_SUPERUSER_PASSWORD");
        if (!noinput) {
            auto typed = read_new_password(false);
            if (!typed) return report(typed.error());
            password = std::move(*typed);
        }
        auto made = (*service)->create_superuser(username, email, password);
        if (made) {
            std::cout << "superuser created: " << made->username << " (id " << made->id << ")\n";
            return exit_ok;
        }
        const Error& e = made.error();
        const bool only_password = e.code == Errc::invalid_argument && e.fields.entries().size() == 1 &&
                                   e.fields.find("password");
        if (noinput || !only_password || tries == 2) return report(e);
        report(e);
    }
}

}  // namespace usermgmt::admin
