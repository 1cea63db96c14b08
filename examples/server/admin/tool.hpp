#pragma once
// usermgmt-admin's shared parts: the database and service a command works on, its arguments,
// prompts, and how an error becomes a message and an exit code a script can rely on.

#include "../options.hpp"
#include "../setup.hpp"

#include <usermgmt/usermgmt.hpp>

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace usermgmt::admin {

/// Exit codes (docs/admin.md).
enum Exit : int {
    exit_ok = 0,
    exit_refused = 1,      ///< the request does not fit the data: not found, invalid, taken, conflict
    exit_usage = 2,        ///< bad command line or configuration
    exit_unavailable = 3,  ///< the database failed or could not be reached
};

/// Prints "usermgmt-admin: MESSAGE" and the error's field problems on stderr; the exit code of
/// the error's kind.
int report(const Error& error);
/// Prints "usermgmt-admin: MESSAGE" on stderr; `exit_usage`.
int usage_error(const std::string& message);

/// What a command works on, opened on first use: the store alone (export, import, migrate), or
/// the store inside a service (everything else, so that every rule of the core applies).
class Tool {
public:
    explicit Tool(server::Options options) : options_(std::move(options)) {}

    [[nodiscard]] const server::Options& options() const { return options_; }
    /// Lets this command make a SQLite database that does not exist yet (createsuperuser,
    /// migrate, import); any other command refuses, so a mistyped --data-dir never yields an
    /// empty database or an empty export.
    void allow_creating() { may_create_ = true; }
    /// The store, its schema brought up to date. Not after `service()`.
    [[nodiscard]] Result<UserStore*> store();
    /// The service over the store, with the mail queue but no sender (the servers send).
    [[nodiscard]] Result<const UserService*> service();
    /// The database's name and schema version (after `store()` or `service()`).
    [[nodiscard]] const server::Database& database() const { return *database_; }

private:
    Result<void> open();

    server::Options options_;
    bool may_create_ = false;
    std::optional<server::Database> database_;
    std::unique_ptr<UserService> service_;
};

/// A command's words after its name, split by the flags it knows: `--name` switches, and
/// `--name VALUE` / `--name=VALUE` options. Anything else starting with "--" is an error.
struct Args {
    std::vector<std::string> positional;
    std::set<std::string> switches;
    std::map<std::string, std::string> values;

    [[nodiscard]] bool has(const std::string& name) const { return switches.count(name) != 0; }
    [[nodiscard]] std::optional<std::string> value(const std::string& name) const;
};
[[nodiscard]] Result<Args> parse_args(const std::vector<std::string>& words, const std::set<std::string>& switches,
                                      const std::set<std::string>& options, std::size_t positional_count);

/// What an import reads: the file `--input` names (opened into `file`), or standard input
/// without one. Null when the file cannot be read.
[[nodiscard]] std::istream* input_of(const Args& args, std::ifstream& file);

/// A whole number for --limit and the like.
[[nodiscard]] std::optional<std::int64_t> parse_count(const std::string& text);

/// Whether stdin is a terminal (prompts are possible).
[[nodiscard]] bool interactive();
/// Prompts on stderr and reads a line from stdin; nullopt at end of input.
[[nodiscard]] std::optional<std::string> prompt(const std::string& question);
/// As `prompt`, without echoing what is typed.
[[nodiscard]] std::optional<std::string> prompt_hidden(const std::string& question);

/// The user a command names: an id (all digits), else a username or an email.
[[nodiscard]] Result<User> find_user(const UserService& service, const std::string& ref);

}  // namespace usermgmt::admin
