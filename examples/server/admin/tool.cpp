#include "tool.hpp"

#include "../mail_setup.hpp"

#include <termios.h>
#include <csignal>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <iostream>

namespace usermgmt::admin {

int report(const Error& error)
{
    std::cerr << "usermgmt-admin: " << error.message << "\n";
    for (const auto& entry : error.fields.entries())
        for (const auto& problem : entry.problems) {
            // The core's reason code in words: "password_too_common" -> "password too common".
            std::string reason(to_string(problem.reason));
            std::replace(reason.begin(), reason.end(), '_', ' ');
            std::cerr << "  " << entry.field << ": " << reason
                      << (problem.limit ? " (" + std::to_string(problem.limit) + ")" : "") << "\n";
        }
    switch (error.code) {
    case Errc::storage_failure:
    case Errc::crypto_failure:
    case Errc::internal: return exit_unavailable;
    case Errc::bad_config: return exit_usage;
    default: return exit_refused;
    }
}

std::istream* input_of(const Args& args, std::ifstream& file)
{
    const auto path = args.value("--input");
    if (!path) return &std::cin;
    file.open(*path);
    return file ? &file : nullptr;
}

int usage_error(const std::string& message)
{
    std::cerr << "usermgmt-admin: " << message << "\n";
    return exit_usage;
}

Result<void> Tool::open()
{
    if (database_) return {};
    if (const auto file = server::sqlite_file(options_)) {
        std::error_code ec;
        if (!may_create_ && !std::filesystem::exists(*file, ec))
            return fail(Errc::bad_config, "no database at " + file->string() +
                                              " (createsuperuser, migrate or import make one)");
        // The default database lives in the data directory, which a first command may make,
        // private as the server makes it.
        if (options_.database.empty())
            if (auto made = server::make_private_directory(options_.data_dir); !made) return made;
    }
    auto database = server::open_database(options_);
    if (!database) return std::move(database).error();
    database_ = std::move(*database);
    return {};
}

Result<UserStore*> Tool::store()
{
    if (service_) return fail(Errc::bad_config, "the store is inside the service");
    if (auto ok = open(); !ok) return std::move(ok).error();
    return database_->store.get();
}

Result<const UserService*> Tool::service()
{
    if (service_) return service_.get();
    if (auto ok = open(); !ok) return std::move(ok).error();
    auto config = server::service_config(options_, server::SecretSource::ephemeral_if_missing);
    if (!config) return std::move(config).error();
    // Mails this tool queues (a retried one) leave from the servers' senders.
    server::Options mail_options = options_;
    mail_options.mail_senders = 0;
    mail_options.smtp_url.clear();
    mail_options.mail_outbox.clear();
    auto mail = server::mail_settings(mail_options);
    if (!mail) return std::move(mail).error();
    Ports ports;
    ports.store = std::move(database_->store);
    if (database_->throttle) ports.throttle = std::move(database_->throttle);
    if (!options_.throttle_file.empty()) {
        // The counts the servers share: `purge` purges those, not an empty memory store.
        auto throttle = open_sqlite_throttle_store(options_.throttle_file);
        if (!throttle) return std::move(throttle).error();
        ports.throttle = std::move(*throttle);
    }
    ports.media = make_directory_media_store(std::filesystem::path(options_.data_dir) / "media");
    ports.mail = std::move(*mail);
    auto service = UserService::create(std::move(*config), std::move(ports));
    if (!service) return std::move(service).error();
    service_ = std::move(*service);
    return service_.get();
}

std::optional<std::string> Args::value(const std::string& name) const
{
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
}

Result<Args> parse_args(const std::vector<std::string>& words, const std::set<std::string>& switches,
                        const std::set<std::string>& options, std::size_t positional_count)
{
    Args args;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& word = words[i];
        if (word.rfind("--", 0) != 0 || word == "--") {
            args.positional.push_back(word);
            continue;
        }
        const auto eq = word.find('=');
        const std::string name = word.substr(0, eq);
        if (switches.count(name) && eq == std::string::npos) {
            args.switches.insert(name);
        } else if (options.count(name)) {
            if (eq != std::string::npos) args.values[name] = word.substr(eq + 1);
            else if (i + 1 < words.size()) args.values[name] = words[++i];
            else return fail(Errc::bad_config, name + " needs a value");
        } else {
            return fail(Errc::bad_config, "unknown option " + name);
        }
    }
    if (args.positional.size() != positional_count)
        return fail(Errc::bad_config, "expected " + std::to_string(positional_count) + " argument" +
                                          (positional_count == 1 ? "" : "s") + ", got " +
                                          std::to_string(args.positional.size()));
    return args;
}

std::optional<std::int64_t> parse_count(const std::string& text)
{
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

bool interactive()
{
    return isatty(STDIN_FILENO) == 1;
}

std::optional<std::string> prompt(const std::string& question)
{
    std::cerr << question << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
}

namespace {

// The terminal as it was before a hidden prompt, put back if the prompt is interrupted.
termios echoing{};

extern "C" void restore_echo_and_exit(int signal)
{
    tcsetattr(STDIN_FILENO, TCSANOW, &echoing);
    ::signal(signal, SIG_DFL);
    ::raise(signal);
}

}  // namespace

std::optional<std::string> prompt_hidden(const std::string& question)
{
    const bool terminal = tcgetattr(STDIN_FILENO, &echoing) == 0;
    if (terminal) {
        termios quiet = echoing;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        // Ctrl-C or a hang-up during the prompt must not leave the terminal without echo.
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(s, restore_echo_and_exit);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    auto line = prompt(question);
    if (terminal) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &echoing);
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(s, SIG_DFL);
        std::cerr << "\n";  // the Enter the terminal did not echo
    }
    return line;
}

Result<User> find_user(const UserService& service, const std::string& ref)
{
    if (!ref.empty() && std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const auto id = parse_count(ref);
        if (!id) return fail(Errc::not_found, "no user " + ref);
        auto user = service.get_user(operator_principal(), *id);
        if (!user && user.error().code == Errc::not_found) return fail(Errc::not_found, "no user with id " + ref);
        return user;
    }
    auto user = service.find_user(operator_principal(), ref);
    if (!user && user.error().code == Errc::not_found) return fail(Errc::not_found, "no user named " + ref);
    return user;
}

}  // namespace usermgmt::admin
