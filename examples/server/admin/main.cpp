// usermgmt-admin: the operator's command line over the core, reading the same configuration as
// usermgmt-server (config file, USERMGMT_* environment, --database / --data-dir ...).
#include "commands.hpp"

#include <sys/stat.h>

#include <iostream>

using namespace usermgmt;

namespace {

const char* const usage_text =
    "usermgmt-admin: manage the users of a usermgmt database.\n\n"
    "Usage: usermgmt-admin [SERVER OPTIONS] COMMAND [ARGS]\n\n"
    "The server's options choose the database and settings, from the same sources\n"
    "(--config FILE, USERMGMT_* variables, flags such as --database URL or --data-dir DIR;\n"
    "usermgmt-server --help lists them). USER is an id, a username or an email.\n\n"
    "Commands:\n"
    "  createsuperuser [--username U] [--email E] [--noinput]\n"
    "      prompts for what is missing (the password hidden, twice); --noinput takes them from\n"
    "      USERMGMT_SUPERUSER_USERNAME, _EMAIL and _PASSWORD\n"
    "  users list [--username-prefix P] [--email-prefix P] [--limit N] [--offset N] [--json]\n"
    "  users show USER [--json]\n"
    "  users activate USER | users deactivate USER\n"
    "  users set-password USER [--stdin]     prompts twice, or reads one line from stdin\n"
    "  users set-staff USER [--off]\n"
    "  users delete USER [--yes]\n"
    "  users revoke-sessions USER            ends every session: logged out everywhere\n"
    "  groups list [--json] | groups create NAME | groups delete NAME\n"
    "  groups add USER GROUP | groups remove USER GROUP\n"
    "  mail counts [--json]\n"
    "  mail list [--state dead|queued] [--limit N] [--json]\n"
    "  mail retry ID                         sends a dead mail again, with a fresh token\n"
    "  purge                                 deletes expired sessions, tokens and counts\n"
    "  migrate                               brings the database schema up to date\n"
    "  export [--output FILE]                every user, hash and group as JSON lines\n"
    "  import [--input FILE] [--dry-run] [--update]\n"
    "  import django --from PATH_OR_URL [--user-table NAME] [--dry-run] [--update]\n"
    "                                        users, groups and password hashes of a Django database\n"
    "  import jsonl [--input FILE] [--id-map FILE] [--dry-run]\n"
    "                                        mongoexport lines of an Express/bcrypt service\n\n"
    "Exit codes: 0 done; 1 refused (not found, invalid, taken, conflicts); 2 bad command line\n"
    "or configuration; 3 the database failed.\n";

// Where the server's options end and the command begins: the first word that is not an option
// or an option's value.
std::size_t command_start(int argc, char** argv)
{
    int i = 1;
    while (i < argc) {
        const std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) break;
        i += (arg.find('=') == std::string::npos && arg != "--help") ? 2 : 1;
    }
    return static_cast<std::size_t>(std::min(i, argc));
}

int purge(admin::Tool& tool)
{
    auto service = tool.service();
    if (!service) return admin::report(service.error());
    if (auto done = (*service)->purge_expired(); !done) return admin::report(done.error());
    std::cout << "purged expired sessions, tokens and counts\n";
    return admin::exit_ok;
}

int migrate(admin::Tool& tool)
{
    // Opening the store applies every migration it lacks (under a lock: servers starting at the
    // same time apply each once) and refuses a schema newer than this version knows.
    auto store = tool.store();
    if (!store) return admin::report(store.error());
    std::cout << tool.database().name << ": schema at version " << tool.database().schema_version << "\n";
    return admin::exit_ok;
}

}  // namespace

int main(int argc, char** argv)
{
    umask(077);  // an export holds password hashes; a database made here is the owner's
    const std::size_t start = command_start(argc, argv);
    admin::Words words(argv + start, argv + argc);
    for (int i = 1; i < static_cast<int>(start); ++i)
        if (std::string(argv[i]) == "--help") words = {"help"};
    if (words.empty()) {
        std::cerr << usage_text;
        return admin::exit_usage;
    }
    if (words[0] == "help" || words[0] == "--help" || words[0] == "-h") {
        std::cout << usage_text;
        return admin::exit_ok;
    }
    server::Options options;
    std::string error;
    if (!server::load_options(static_cast<int>(start), argv, options, error)) return admin::usage_error(error);
    admin::Tool tool(std::move(options));
    const std::string command = words[0];
    if (command == "createsuperuser" || command == "migrate" || command == "import") tool.allow_creating();
    const admin::Words rest(words.begin() + 1, words.end());
    if (command == "createsuperuser") return admin::createsuperuser_command(tool, rest);
    if (command == "users") return admin::users_command(tool, rest);
    if (command == "groups") return admin::groups_command(tool, rest);
    if (command == "mail") return admin::mail_command(tool, rest);
    if (command == "export") return admin::export_command(tool, rest);
    if (command == "import") return admin::import_command(tool, rest);
    if ((command == "purge" || command == "migrate") && rest.empty())
        return command == "purge" ? purge(tool) : migrate(tool);
    return admin::usage_error("unknown command " + command + " (usermgmt-admin help lists them)");
}
