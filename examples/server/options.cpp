#include "options.hpp"

#include <usermgmt/http/address.hpp>

#include <boost/algorithm/string/trim.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

namespace usermgmt::server {
namespace {

// One option: its JSON key (the flag is --key with '-' for '_', the variable USERMGMT_KEY).
struct Option {
    const char* key;
    const char* help;
    std::function<bool(Options&, const std::string&)> set;
    std::function<std::string(const Options&)> show;
};

bool parse_unsigned(const std::string& text, unsigned& out, unsigned min, unsigned max)
{
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return false;
    out = value;
    return true;
}

bool parse_bool(const std::string& text, bool& out)
{
    if (text == "true" || text == "1" || text == "yes" || text == "on") out = true;
    else if (text == "false" || text == "0" || text == "no" || text == "off") out = false;
    else return false;
    return true;
}

Option text(const char* key, const char* help, std::string Options::*member, bool allow_empty = true)
{
    return {key, help,
            [member, allow_empty](Options& o, const std::string& v) {
                if (!allow_empty && v.empty()) return false;
                o.*member = v;
                return true;
            },
            [member](const Options& o) { return o.*member; }};
}

Option number(const char* key, const char* help, unsigned Options::*member, unsigned min, unsigned max)
{
    return {key, help, [member, min, max](Options& o, const std::string& v) { return parse_unsigned(v, o.*member, min, max); },
            [member](const Options& o) { return std::to_string(o.*member); }};
}

Option flag(const char* key, const char* help, bool Options::*member)
{
    return {key, help, [member](Options& o, const std::string& v) { return parse_bool(v, o.*member); },
            [member](const Options& o) { return std::string(o.*member ? "true" : "false"); }};
}

Option list(const char* key, const char* help, std::vector<std::string> Options::*member)
{
    return {key, help,
            [member](Options& o, const std::string& v) {
                (o.*member).clear();
                std::stringstream in(v);
                // " a , b" is two items, a and b.
                for (std::string item; std::getline(in, item, ',');)
                    if (boost::algorithm::trim(item); !item.empty()) (o.*member).push_back(item);
                return true;
            },
            [member](const Options& o) {
                std::string out;
                for (const auto& item : o.*member) out += (out.empty() ? "" : ",") + item;
                return out;
            }};
}

const std::vector<Option>& all_options()
{
    static const std::vector<Option> options = {
        text("listen", "HOST:PORT to listen on (loopback by default)", &Options::listen, false),
        text("tls_cert", "serve HTTPS with this PEM certificate chain (with tls_key; SIGHUP reloads both)",
             &Options::tls_cert),
        text("tls_key", "the PEM private key of tls_cert", &Options::tls_key),
        text("data_dir", "directory of the database, the media files and the secret", &Options::data_dir, false),
        text("database", "sqlite:PATH or postgresql://USER@HOST/DB (default: sqlite:DATA_DIR/users.db)",
             &Options::database),
        text("secret_file", "file holding the JWT secret, the same on every node (default: DATA_DIR/secret_key, "
                            "made once if missing)",
             &Options::secret_file),
        text("jwt_secret", "the JWT secret itself, at least 32 characters (set USERMGMT_JWT_SECRET rather than "
                           "the flag, which other users can see)",
             &Options::jwt_secret),
        text("mail_outbox", "write mails as .eml files into this directory instead of printing them",
             &Options::mail_outbox),
        text("site_url", "prefix of the links in mails (default http://LISTEN/ and the pages_prefix)", &Options::site_url),
        text("site_name", "name used in mail subjects", &Options::site_name, false),
        text("mail_from", "sender address of mails (From)", &Options::mail_from, false),
        text("mail_reply_to", "Reply-To address of mails (default: none)", &Options::mail_reply_to),
        text("mail_envelope_from", "envelope sender for SMTP, where bounces go (default: the From address)",
             &Options::mail_envelope_from),
        text("mail_templates", "directory of mail templates that override the shipped ones (docs/mail.md)",
             &Options::mail_templates),
        text("smtp_url", "send mail through this SMTP server: smtp://HOST:PORT or smtps://HOST:PORT "
                         "(default: the outbox, or the console); the password from USERMGMT_SMTP_PASSWORD "
                         "or smtp_password_file",
             &Options::smtp_url),
        text("smtp_user", "SMTP AUTH user name (default: no AUTH)", &Options::smtp_user),
        text("smtp_password_file", "file holding the SMTP password", &Options::smtp_password_file),
        text("smtp_starttls", "STARTTLS on smtp:// URLs: required, optional or off", &Options::smtp_starttls, false),
        text("smtp_ca_file", "PEM file of the CAs that sign the SMTP server's certificate (default: the system's)",
             &Options::smtp_ca_file),
        number("smtp_timeout", "seconds one SMTP exchange may take", &Options::smtp_timeout, 1, 3600),
        number("mail_senders", "threads sending queued mail (0: this node only queues)", &Options::mail_senders, 0, 64),
        number("mail_max_attempts", "attempts before a mail is given up", &Options::mail_max_attempts, 1, 1000),
        number("mail_retry_seconds", "wait after a mail's first failed attempt, doubling up to an hour",
               &Options::mail_retry_seconds, 1, 86'400),
        number("mail_lease_seconds", "how long a sender holds a mail it sends (a sender that dies frees it then)",
               &Options::mail_lease_seconds, 10, 86'400),
        number("threads", "I/O threads", &Options::threads, 1, 256),
        number("hashing_threads", "threads for requests that hash a password (0: two per core)",
               &Options::hashing_threads, 0, 256),
        number("argon2_threads", "threads that compute Argon2id hashes (0: one per core)", &Options::argon2_threads, 0,
               256),
        number("argon2_nice", "how much lower the hashing threads are scheduled than the I/O threads (0-19: a nice "
                              "increment; 20: idle, hashing only on cores nothing else wants)",
               &Options::argon2_nice, 0, 20),
        flag("argon2_processes", "compute Argon2id hashes in child processes (argon2_threads of them), each with a "
                                 "memory map of its own, instead of threads",
             &Options::argon2_processes),
        number("store_threads", "threads for the other writes (a locked database holds one of them)",
               &Options::store_threads, 1, 256),
        text("auth_prefix", "mount point of the Djoser-style routes", &Options::auth_prefix, false),
        text("auth_login_field", "what /auth/jwt/create/ logs in with: username, email or username_or_email "
                                 "(Djoser's LOGIN_FIELD)",
             &Options::auth_login_field, false),
        text("users_prefix", "mount point of the Express-style routes", &Options::users_prefix, false),
        flag("users_require_activation", "/users registrations need e-mail activation (no token then)",
             &Options::users_require_activation),
        number("users_access_token_lifetime", "access token lifetime of the /users style, in seconds",
               &Options::users_access_token_lifetime, 1, 31'536'000),
        text("media_url", "URL prefix of uploaded files", &Options::media_url, false),
        text("pages_prefix", "where the web pages are served (register, log in, the mail links, profile, staff "
                             "views; docs/frontend.md), or off; the default site_url points there",
             &Options::pages_prefix, false),
        list("cors_origins", "comma-separated origins allowed to call the API from a browser (* for any)",
             &Options::cors_origins),
        flag("cors_credentials", "allow credentials in cross-origin requests (origins named in cors_origins; not with *)",
             &Options::cors_credentials),
        flag("auth_require_activation", "/auth registrations need e-mail activation", &Options::auth_require_activation),
        number("access_token_lifetime", "access token lifetime in seconds", &Options::access_token_lifetime, 1,
               31'536'000),
        number("refresh_token_lifetime", "refresh token lifetime in seconds", &Options::refresh_token_lifetime, 1,
               31'536'000),
        flag("rotate_refresh_tokens", "jwt/refresh also returns a new refresh token", &Options::rotate_refresh_tokens),
        number("argon2_ops", "Argon2id passes", &Options::argon2_ops, 1, 100),
        number("argon2_memory_kib", "Argon2id memory in KiB", &Options::argon2_memory_kib, 8, 4 * 1024 * 1024),
        flag("log_requests", "print one line per request on stderr", &Options::log_requests),
        text("log_format", "access log lines: text, or json (one object per line)", &Options::log_format, false),
        text("metrics_listen", "where GET /metrics (Prometheus) is served: empty for beside the API, off, or "
                               "HOST:PORT for an address of its own (say, one only the monitoring network reaches)",
             &Options::metrics_listen),
        flag("throttle", "limit login, registration and reset attempts per client and account", &Options::throttle),
        text("throttle_file", "count attempts in this SQLite file, shared by every server using it (default: memory)",
             &Options::throttle_file),
        list("trusted_proxies", "comma-separated IP addresses of proxies whose X-Forwarded-For is believed",
             &Options::trusted_proxies),
        number("purge_interval", "seconds between purges of expired sessions, tokens and throttle counts",
               &Options::purge_interval, 1, 31'536'000),
        number("unactivated_account_days", "days after which accounts never activated are deleted (0: never)",
               &Options::unactivated_account_days, 0, 36'500),
    };
    return options;
}

std::string flag_name(const char* key)
{
    std::string out = "--";
    for (const char* c = key; *c; ++c) out += *c == '_' ? '-' : *c;
    return out;
}

std::string env_name(const char* key)
{
    std::string out = "USERMGMT_";
    for (const char* c = key; *c; ++c) out += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
    return out;
}

const Option* find_option(std::string_view key)
{
    for (const auto& o : all_options())
        if (key == o.key) return &o;
    return nullptr;
}

bool load_file(const std::string& path, Options& options, std::string& error)
{
    std::ifstream in(path);
    if (!in) {
        error = "cannot read the config file " + path;
        return false;
    }
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(text.str(), ec);
    if (ec || !parsed.is_object()) {
        error = path + ": not a JSON object" + (ec ? " (" + ec.message() + ")" : "");
        return false;
    }
    for (const auto& [key, value] : parsed.as_object()) {
        const Option* option = find_option(key);
        if (!option) {
            error = path + ": unknown setting \"" + std::string(key) + "\"";
            return false;
        }
        std::string v;
        if (value.is_string()) v = value.as_string();
        else if (value.is_bool()) v = value.as_bool() ? "true" : "false";
        else if (value.is_number()) v = boost::json::serialize(value);
        else if (value.is_array()) {
            for (const auto& item : value.as_array())
                if (item.is_string()) v += (v.empty() ? "" : ",") + std::string(item.as_string());
        }
        if (!option->set(options, v)) {
            error = path + ": bad value for \"" + std::string(key) + "\"";
            return false;
        }
    }
    return true;
}

// What no single value shows: a list entry that is not usable, and options that clash.
bool check(const Options& options, std::string& error)
{
    for (const auto& proxy : options.trusted_proxies) {
        if (!http::normalize_address(proxy)) {
            error = "trusted_proxies: \"" + proxy + "\" is not an IP address (write 10.0.0.1 or 2001:db8::1, without a port)";
            return false;
        }
    }
    if (options.auth_login_field != "username" && options.auth_login_field != "email" &&
        options.auth_login_field != "username_or_email") {
        error = "auth_login_field must be username, email or username_or_email";
        return false;
    }
    if (options.tls_cert.empty() != options.tls_key.empty()) {
        error = "tls_cert and tls_key go together";
        return false;
    }
    if (options.pages_prefix != "off") {
        const std::string& pages = options.pages_prefix;
        if (pages.front() != '/' || pages.back() != '/' || pages.starts_with("//")) {
            error = "pages_prefix must start and end with one / (or be off)";
            return false;
        }
        // Under "/" the pages never hide a route; under another route's prefix they would be hidden.
        for (const std::string* other : {&options.auth_prefix, &options.users_prefix, &options.media_url}) {
            const std::string route = other->back() == '/' ? *other : *other + "/";
            if (pages != "/" && (pages.starts_with(route) || route.starts_with(pages))) {
                error = "pages_prefix " + pages + " overlaps " + *other;
                return false;
            }
        }
    }
    if (options.log_format != "text" && options.log_format != "json") {
        error = "log_format must be text or json";
        return false;
    }
    if (options.smtp_starttls != "required" && options.smtp_starttls != "optional" && options.smtp_starttls != "off") {
        error = "smtp_starttls must be required, optional or off";
        return false;
    }
    const auto& origins = options.cors_origins;
    if (options.cors_credentials && std::find(origins.begin(), origins.end(), "*") != origins.end()) {
        error = "cors_origins \"*\" together with cors_credentials would let any site call the API with a user's "
                "credentials; list the origins by name";
        return false;
    }
    return true;
}

}  // namespace

bool load_options(int argc, char** argv, Options& options, std::string& error)
{
    // The config file is named on the command line or in the environment; find it first.
    if (const char* env = std::getenv("USERMGMT_CONFIG")) options.config_file = env;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--config" && i + 1 < argc) options.config_file = argv[i + 1];
        else if (arg.rfind("--config=", 0) == 0) options.config_file = arg.substr(9);
    }
    if (!options.config_file.empty() && !load_file(options.config_file, options, error)) return false;

    for (const auto& option : all_options()) {
        const std::string name = env_name(option.key);
        if (const char* value = std::getenv(name.c_str())) {
            if (!option.set(options, value)) {
                error = "bad value for " + name;
                return false;
            }
        }
    }

    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            options.help = true;
            continue;
        }
        std::string value;
        bool has_value = false;
        if (const auto eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        if (arg == "--config") {
            if (!has_value) ++i;
            continue;
        }
        const Option* option = nullptr;
        for (const auto& o : all_options())
            if (arg == flag_name(o.key)) option = &o;
        if (!option) {
            error = "unknown option " + arg + " (see --help)";
            return false;
        }
        if (!has_value) {
            if (i + 1 >= argc) {
                error = arg + " needs a value";
                return false;
            }
            value = argv[++i];
        }
        if (!option->set(options, value)) {
            error = "bad value for " + arg + ": " + value;
            return false;
        }
    }
    return check(options, error);
}

std::string usage()
{
    Options defaults;
    std::string out =
        "usermgmt-server: the usermgmt HTTP API (Djoser-style routes under /auth/, Express-style\n"
        "routes under /users) on a SQLite file.\n\n"
        "Usage: usermgmt-server [--config FILE] [--OPTION VALUE ...]\n\n"
        "Each setting comes from, in rising priority: its default, the JSON config file (key),\n"
        "the environment (USERMGMT_KEY), the command line (--key). Options:\n\n"
        "  --config FILE  (USERMGMT_CONFIG)  a JSON object of the keys below\n";
    for (const auto& o : all_options()) {
        out += "  " + flag_name(o.key) + "  (" + env_name(o.key) + ", \"" + o.key + "\")\n      " + o.help +
               "; default: " + (o.show(defaults).empty() ? "(none)" : o.show(defaults)) + "\n";
    }
    out +=
        "\nAn initial superuser is created at start when USERMGMT_SUPERUSER_USERNAME,\n"
        "USERMGMT_SUPERUSER_EMAIL and USERMGMT_SUPERUSER_PASSWORD are set and it does not exist yet.\n"
        "The JWT secret is generated once into DATA_DIR/secret_key and kept there, unless --secret-file or\n"
        "USERMGMT_JWT_SECRET gives it: every node behind one load balancer needs the same secret.\n";
    return out;
}

}  // namespace usermgmt::server
