// usermgmt-server: the composition root. Options -> store -> service -> handler -> server.
#include "mail_setup.hpp"
#include "options.hpp"

#include <usermgmt/http/access_log.hpp>
#include <usermgmt/http/server.hpp>
#include <usermgmt/usermgmt.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <pthread.h>

namespace fs = std::filesystem;
using namespace usermgmt;

namespace {

constexpr int bad_config_exit = 2;

int fail_config(const std::string& message)
{
    std::cerr << "usermgmt-server: " << message << "\n";
    return bad_config_exit;
}

// A directory for files only this server reads: made 0700 (the umask), or its mode stays as the
// operator left it, with a warning when others may read it.
bool make_private_directory(const fs::path& dir, std::string& error)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        error = "cannot create " + dir.string() + ": " + ec.message();
        return false;
    }
    const auto others = fs::perms::group_all | fs::perms::others_all;
    if ((fs::status(dir, ec).permissions() & others) != fs::perms::none)
        std::cerr << "usermgmt-server: warning: " << dir.string()
                  << " is open to other users; it holds password hashes and live tokens (chmod 700 it)\n";
    return true;
}

// Files an older version (or another umask) left open to others: the owner's only from now on.
void make_files_private(const fs::path& data_dir)
{
    for (const char* name : {"secret_key", "users.db", "users.db-wal", "users.db-shm"}) {
        std::error_code ec;
        const fs::path file = data_dir / name;
        const auto others = fs::perms::group_all | fs::perms::others_all;
        if (!fs::exists(file, ec) || (fs::status(file, ec).permissions() & others) == fs::perms::none) continue;
        fs::permissions(file, others, fs::perm_options::remove, ec);
        std::cerr << "usermgmt-server: " << file.string() << " was open to other users; it is the owner's only now\n";
    }
}

// The JWT secret: generated once from the OS CSPRNG, kept in DATA_DIR/secret_key (mode 0600).
bool load_or_create_secret(const fs::path& file, std::string& secret, std::string& error)
{
    if (std::ifstream in{file}; in) {
        std::getline(in, secret);
        if (secret.size() >= 32) return true;
        error = file.string() + " holds no usable secret (at least 32 characters)";
        return false;
    }
    std::ifstream random("/dev/urandom", std::ios::binary);
    unsigned char bytes[32];
    if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes)) {
        error = "cannot read /dev/urandom";
        return false;
    }
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned char b : bytes) {
        secret += hex[b >> 4];
        secret += hex[b & 15];
    }
    std::ofstream out(file);  // mode 0600: main set the umask
    out << secret << "\n";
    if (!out.flush()) {
        error = "cannot write " + file.string();
        return false;
    }
    return true;
}

bool split_listen(const std::string& listen, std::string& host, unsigned short& port)
{
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    try {
        const int p = std::stoi(listen.substr(colon + 1));
        if (p < 0 || p > 65535) return false;
        port = static_cast<unsigned short>(p);
    } catch (...) {
        return false;
    }
    return true;
}

// Django's createsuperuser --noinput reads the same three variables.
int ensure_superuser(const UserService& service)
{
    const char* username = std::getenv("USERMGMT_SUPERUSER_USERNAME");
    const char* email = std::getenv("USERMGMT_SUPERUSER_EMAIL");
    const char* password = std::getenv("USERMGMT_SUPERUSER_PASSWORD");
    if (!username && !email && !password) return 0;
    if (!username || !email || !password)
        return fail_config("USERMGMT_SUPERUSER_USERNAME, _EMAIL and _PASSWORD must be set together");
    auto made = service.create_superuser(username, email, password);
    if (made) {
        std::cerr << "usermgmt-server: created superuser " << username << "\n";
        return 0;
    }
    const Error& e = made.error();
    if (e.code == Errc::already_exists && e.fields.find("username")) return 0;  // it exists already
    std::string details;
    for (const auto& entry : e.fields.entries())
        for (const auto& p : entry.problems) {
            // The core's reason code in words: "password_too_common" -> "password too common".
            std::string reason(to_string(p.reason));
            std::replace(reason.begin(), reason.end(), '_', ' ');
            details += "\n  " + entry.field + ": " + reason + (p.limit ? " (" + std::to_string(p.limit) + ")" : "");
        }
    return fail_config("cannot create the superuser:" + details);
}


}  // namespace

namespace {

// The store named by --database: "sqlite:PATH", a PostgreSQL URL, or by default the SQLite
// file in the data directory. With PostgreSQL the throttle counts live there too, so that a
// limit is one limit across every node.
struct Database {
    std::unique_ptr<UserStore> store;
    std::unique_ptr<ThrottleStore> throttle;  ///< null: the default (memory)
    std::string name;                         ///< for the start-up line; never a password
};

Result<Database> open_database(const std::string& url, const fs::path& data_dir)
{
    Database db;
    const auto starts_with = [&](std::string_view prefix) { return url.rfind(prefix, 0) == 0; };
    if (url.empty() || starts_with("sqlite:")) {
        const fs::path path = url.empty() ? data_dir / "users.db" : fs::path(url.substr(7));
        if (path.empty()) return fail(Errc::bad_config, "--database sqlite: needs a path (sqlite:PATH)");
        auto store = open_sqlite_store(path);
        if (!store) return std::move(store).error();
        db.store = std::move(*store);
        db.name = "SQLite " + path.string();
        return db;
    }
    if (starts_with("postgresql://") || starts_with("postgres://")) {
#ifndef USERMGMT_WITH_POSTGRES
        return fail(Errc::bad_config, "this build has no PostgreSQL store (USERMGMT_WITH_POSTGRES=OFF)");
#else
        auto store = open_postgres_store(url);
        if (!store) return std::move(store).error();
        auto throttle = open_postgres_throttle_store(url);
        if (!throttle) return std::move(throttle).error();
        db.store = std::move(*store);
        db.throttle = std::move(*throttle);
        db.name = "PostgreSQL";
        return db;
#endif
    }
    return fail(Errc::bad_config, "--database must be sqlite:PATH or a postgresql:// URL");
}

}  // namespace

int main(int argc, char** argv)
{
    // Everything this process creates (database, WAL, secret, media, mails with live tokens) is
    // the owner's only: directories 0700, files 0600, whatever umask the operator's shell has.
    umask(077);
    server::Options options;
    std::string error;
    if (!server::load_options(argc, argv, options, error)) return fail_config(error);
    if (options.help) {
        std::cout << server::usage();
        return 0;
    }
    std::string host;
    unsigned short port = 0;
    if (!split_listen(options.listen, host, port)) return fail_config("--listen must be HOST:PORT, got " + options.listen);

    // Block the stop signals before any thread starts, so that only sigwait below sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    // A peer that closed its socket (a mail server, over TLS) is an error to handle, not a
    // signal that ends the process.
    std::signal(SIGPIPE, SIG_IGN);

    const fs::path data_dir = options.data_dir;
    if (!make_private_directory(data_dir, error) || !make_private_directory(data_dir / "media", error))
        return fail_config(error);
    if (!options.mail_outbox.empty() && !make_private_directory(options.mail_outbox, error)) return fail_config(error);
    make_files_private(data_dir);
    Config config;
    if (!options.jwt_secret.empty()) {
        if (options.jwt_secret.size() < 32) return fail_config("the JWT secret must have at least 32 characters");
        config.jwt_secret = options.jwt_secret;
    } else if (!options.secret_file.empty()) {
        std::ifstream in(options.secret_file);
        std::getline(in, config.jwt_secret);
        // A file written on another system may end its line with \r; trailing blanks are no secret.
        while (!config.jwt_secret.empty() && std::isspace(static_cast<unsigned char>(config.jwt_secret.back())))
            config.jwt_secret.pop_back();
        if (config.jwt_secret.size() < 32)
            return fail_config(options.secret_file + " holds no usable secret (at least 32 characters)");
    } else if (!load_or_create_secret(data_dir / "secret_key", config.jwt_secret, error)) {
        return fail_config(error);
    }
    config.access_token_lifetime = std::chrono::seconds(options.access_token_lifetime);
    config.refresh_token_lifetime = std::chrono::seconds(options.refresh_token_lifetime);
    config.rotate_refresh_tokens = options.rotate_refresh_tokens;
    config.throttle.enabled = options.throttle;
    config.unactivated_account_lifetime = std::chrono::days(options.unactivated_account_days);
    config.argon2 = Argon2Params{options.argon2_ops, std::size_t{options.argon2_memory_kib} * 1024, options.argon2_threads,
                                 static_cast<int>(options.argon2_nice)};

    auto database = open_database(options.database, data_dir);
    if (!database) return fail_config(database.error().message);
    auto mail = server::mail_settings(options);
    if (!mail) return fail_config(mail.error().message);
    Ports ports;
    if (!options.throttle_file.empty()) {
        auto throttle = open_sqlite_throttle_store(options.throttle_file);
        if (!throttle) return fail_config(throttle.error().message);
        ports.throttle = std::move(*throttle);
    } else if (database->throttle) {
        ports.throttle = std::move(database->throttle);  // one limit across every node
    }
    ports.media = make_directory_media_store(data_dir / "media");
    ports.store = std::move(database->store);
    // Mail waits in the database, queued with the token it carries, and leaves from the
    // queue's sender threads: an answer never waits for a mail server, and a crash loses no
    // mail that carries a token.
    ports.mail = std::move(*mail);
    auto service = UserService::create(config, std::move(ports));
    if (!service) return fail_config(service.error().message);
    if (int rc = ensure_superuser(**service); rc != 0) return rc;
    // Expired sessions, tokens and counts, and accounts never activated, do not pile up.
    PeriodicPurge purge(**service, std::chrono::seconds(options.purge_interval));

    http::HttpSettings settings;
    settings.auth_prefix = options.auth_prefix;
    settings.media_url = options.media_url;
    settings.auth_require_activation = options.auth_require_activation;
    settings.auth_login_field = options.auth_login_field == "email"               ? LoginField::email
                                : options.auth_login_field == "username_or_email" ? LoginField::username_or_email
                                                                                  : LoginField::username;
    settings.users_prefix = options.users_prefix;
    settings.users_require_activation = options.users_require_activation;
    settings.users_access_token_lifetime = std::chrono::seconds(options.users_access_token_lifetime);
    settings.cors.allowed_origins = options.cors_origins;
    settings.cors.allow_credentials = options.cors_credentials;
    settings.hashing_threads = options.hashing_threads;
    settings.store_threads = options.store_threads;
    settings.trusted_proxies = options.trusted_proxies;
    // One line per request: never a header, a query string or a body, so no token or password.
    // Formatted on the request's thread, written in batches from the log's own.
    std::optional<http::AccessLog> access_log;
    if (options.log_requests) {
        access_log.emplace(2, options.log_format == "json" ? http::AccessLogFormat::json : http::AccessLogFormat::text);
        settings.access_log = access_log->sink();
    }
    http::Handler handler(**service, settings);

    http::ServerSettings server_settings;
    server_settings.address = host;
    server_settings.port = port;
    server_settings.threads = options.threads;
    auto server = http::Server::start(handler, server_settings);
    if (!server) return fail_config(server.error().message);
    std::cerr << "usermgmt-server: listening on http://" << host << ":" << (*server)->port() << "/ (" << database->name
              << ", files in " << data_dir.string() << ", mail "
              << (!options.smtp_url.empty()        ? "by SMTP"
                  : options.mail_outbox.empty() ? "printed here"
                                                : "in " + options.mail_outbox)
              << ")" << std::endl;

    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::cerr << "usermgmt-server: stopping (finishing requests in flight)" << std::endl;
    (*server)->stop();
    std::cerr << "usermgmt-server: stopped" << std::endl;
    return 0;
}
