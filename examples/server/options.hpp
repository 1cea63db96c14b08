#pragma once
// The example server's settings and where they come from: defaults, then a JSON file
// (--config), then USERMGMT_* environment variables, then command-line flags.

#include <string>
#include <vector>

namespace usermgmt::server {

struct Options {
    std::string listen = "127.0.0.1:8000";
    std::string tls_cert;  ///< PEM certificate chain: HTTPS when set (with tls_key)
    std::string tls_key;
    std::string data_dir = "var";
    std::string database;     ///< empty: sqlite:DATA_DIR/users.db
    std::string secret_file;  ///< empty: DATA_DIR/secret_key
    std::string jwt_secret;   ///< the secret itself (from the environment, preferably)
    std::string mail_outbox;  ///< empty: console mailer
    std::string site_url;     ///< empty: http://<listen>/
    std::string site_name = "usermgmt";
    std::string mail_from = "webmaster@localhost";
    std::string mail_reply_to;
    std::string mail_envelope_from;
    std::string mail_templates;
    std::string smtp_url;  ///< empty: the outbox or the console
    std::string smtp_user;
    std::string smtp_password_file;
    std::string smtp_starttls = "required";
    std::string smtp_ca_file;
    unsigned smtp_timeout = 60;
    unsigned mail_senders = 1;
    unsigned mail_max_attempts = 10;
    unsigned mail_retry_seconds = 30;
    unsigned mail_lease_seconds = 300;
    unsigned threads = 2;
    unsigned hashing_threads = 0;
    unsigned argon2_threads = 0;
    unsigned argon2_nice = 19;  ///< Argon2Params::nice (20: Argon2Params::idle_priority)
    bool argon2_processes = false;  ///< threads: with Argon2's memory kept, as fast or faster
    unsigned store_threads = 2;
    std::string auth_prefix = "/auth/";
    std::string auth_login_field = "username";
    std::string users_prefix = "/users";
    bool users_require_activation = false;
    unsigned users_access_token_lifetime = 86400;
    std::string media_url = "/media/";
    std::string pages_prefix = "/";  ///< "off": no web pages
    std::vector<std::string> cors_origins;
    bool cors_credentials = false;
    bool auth_require_activation = true;
    unsigned access_token_lifetime = 300;
    unsigned refresh_token_lifetime = 86400;
    bool rotate_refresh_tokens = false;
    unsigned argon2_ops = 2;
    unsigned argon2_memory_kib = 19 * 1024;
    bool log_requests = true;
    std::string log_format = "text";
    std::string metrics_listen;  ///< empty: /metrics beside the API; "off"; or HOST:PORT of its own
    bool throttle = true;
    std::string throttle_file;
    std::vector<std::string> trusted_proxies;
    unsigned purge_interval = 3600;
    unsigned unactivated_account_days = 7;
    std::string config_file;
    bool help = false;
};

/// Reads every source. On a bad value returns false with a message naming the source.
bool load_options(int argc, char** argv, Options& options, std::string& error);

/// The --help text: every option with its flag, environment variable, JSON key and default.
std::string usage();

}  // namespace usermgmt::server
