// usermgmt-server: the composition root. Options -> store -> service -> handler -> server.
#include "mail_setup.hpp"
#include "options.hpp"
#include "setup.hpp"

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
    const bool metrics_apart = !options.metrics_listen.empty() && options.metrics_listen != "off";
    std::string metrics_host;
    unsigned short metrics_port = 0;
    if (metrics_apart && !split_listen(options.metrics_listen, metrics_host, metrics_port))
        return fail_config("--metrics-listen must be empty, off or HOST:PORT, got " + options.metrics_listen);

    // Block the stop signals before any thread starts, so that only sigwait below sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);  // reload the TLS certificate
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    // A peer that closed its socket (a mail server, over TLS) is an error to handle, not a
    // signal that ends the process.
    std::signal(SIGPIPE, SIG_IGN);

    const fs::path data_dir = options.data_dir;
    for (const fs::path& dir : {data_dir, data_dir / "media"})
        if (auto made = server::make_private_directory(dir); !made) return fail_config(made.error().message);
    if (!options.mail_outbox.empty())
        if (auto made = server::make_private_directory(options.mail_outbox); !made) return fail_config(made.error().message);
    make_files_private(data_dir);
    auto config = server::service_config(options, server::SecretSource::create_if_missing);
    if (!config) return fail_config(config.error().message);

    auto database = server::open_database(options);
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
    auto service = UserService::create(std::move(*config), std::move(ports));
    if (!service) return fail_config(service.error().message);
    if (int rc = ensure_superuser(**service); rc != 0) return rc;
    // Expired sessions, tokens and counts, and accounts never activated, do not pile up.
    PeriodicPurge purge(**service, std::chrono::seconds(options.purge_interval));

    http::HttpSettings settings;
    settings.auth_prefix = options.auth_prefix;
    settings.media_url = options.media_url;
    if (options.pages_prefix != "off") settings.pages_prefix = options.pages_prefix;
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
    settings.serve_metrics = options.metrics_listen.empty();
    http::Handler handler(**service, settings);
    // /metrics on an address of its own: a second handler that serves nothing else but the
    // health paths, showing the main handler's counters.
    std::optional<http::Handler> metrics_handler;
    std::unique_ptr<http::Server> metrics_server;
    if (metrics_apart) {
        http::HttpSettings only_metrics;
        only_metrics.auth_prefix.clear();
        only_metrics.users_prefix.clear();
        only_metrics.media_url.clear();
        only_metrics.serve_openapi = false;
        only_metrics.metrics_of = &handler;
        only_metrics.metrics_loopback_only = false;  // an address of its own: whoever reaches it may read
        only_metrics.trusted_proxies = settings.trusted_proxies;
        only_metrics.hashing_threads = 1;
        only_metrics.store_threads = 1;
        metrics_handler.emplace(**service, only_metrics);
        http::ServerSettings metrics_settings;
        metrics_settings.address = metrics_host;
        metrics_settings.port = metrics_port;
        metrics_settings.threads = 1;
        auto started = http::Server::start(*metrics_handler, metrics_settings);
        if (!started) return fail_config(started.error().message);
        metrics_server = std::move(*started);
        std::cerr << "usermgmt-server: metrics on http://" << metrics_host << ":" << metrics_server->port() << "/metrics"
                  << std::endl;
    }

    http::ServerSettings server_settings;
    server_settings.address = host;
    server_settings.port = port;
    server_settings.threads = options.threads;
    server_settings.tls_certificate_file = options.tls_cert;
    server_settings.tls_private_key_file = options.tls_key;
    auto server = http::Server::start(handler, server_settings);
    if (!server) return fail_config(server.error().message);
    std::cerr << "usermgmt-server: listening on " << (options.tls_cert.empty() ? "http" : "https") << "://" << host << ":" << (*server)->port() << "/ (" << database->name
              << ", files in " << data_dir.string() << ", mail "
              << (!options.smtp_url.empty()        ? "by SMTP"
                  : options.mail_outbox.empty() ? "printed here"
                                                : "in " + options.mail_outbox)
              << ")" << std::endl;

    int signal = 0;
    while (sigwait(&stop_signals, &signal) == 0 && signal == SIGHUP) {
        // A renewed certificate: new connections get it; on an error the one in use stays.
        if (options.tls_cert.empty()) continue;
        auto reloaded = (*server)->reload_tls();
        std::cerr << "usermgmt-server: "
                  << (reloaded ? "TLS certificate reloaded" : "TLS certificate kept: " + reloaded.error().message)
                  << std::endl;
    }
    std::cerr << "usermgmt-server: stopping (finishing requests in flight)" << std::endl;
    (*server)->stop();
    if (metrics_server) metrics_server->stop();
    std::cerr << "usermgmt-server: stopped" << std::endl;
    return 0;
}
