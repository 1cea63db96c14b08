#include "setup.hpp"

#include <cctype>
#include <cerrno>  // program_invocation_short_name
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

namespace usermgmt::server {
namespace {

std::string random_hex_secret()
{
    std::ifstream random("/dev/urandom", std::ios::binary);
    unsigned char bytes[32];
    if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes)) return {};
    static constexpr char hex[] = "0123456789abcdef";
    std::string secret;
    for (unsigned char b : bytes) {
        secret += hex[b >> 4];
        secret += hex[b & 15];
    }
    return secret;
}

// The secret in a file's first line; a file written on another system may end it with \r, and
// trailing blanks are no secret.
Result<std::string> read_secret(const fs::path& file)
{
    std::ifstream in(file);
    if (!in) return fail(Errc::bad_config, "cannot read " + file.string());
    std::string secret;
    std::getline(in, secret);
    while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) secret.pop_back();
    if (secret.size() < 32) return fail(Errc::bad_config, file.string() + " holds no usable secret (at least 32 characters)");
    return secret;
}

// The JWT secret: generated once from the OS CSPRNG, kept in DATA_DIR/secret_key (mode 0600:
// the programs set the umask).
Result<std::string> secret_in_data_dir(const fs::path& file, SecretSource source)
{
    std::error_code ec;
    if (fs::exists(file, ec)) return read_secret(file);
    std::string secret = random_hex_secret();
    if (secret.empty()) return fail(Errc::bad_config, "cannot read /dev/urandom");
    if (source == SecretSource::ephemeral_if_missing) return secret;
    std::ofstream out(file);
    out << secret << "\n";
    if (!out.flush()) return fail(Errc::bad_config, "cannot write " + file.string());
    return secret;
}

}  // namespace

std::optional<fs::path> sqlite_file(const Options& options)
{
    const std::string& url = options.database;
    if (url.empty()) return fs::path(options.data_dir) / "users.db";
    if (url.rfind("sqlite:", 0) == 0) return fs::path(url.substr(7));
    return std::nullopt;
}

Result<Database> open_database(const Options& options)
{
    const std::string& url = options.database;
    Database db;
    const auto starts_with = [&](std::string_view prefix) { return url.rfind(prefix, 0) == 0; };
    if (const auto file = sqlite_file(options)) {
        const fs::path& path = *file;
        if (path.empty()) return fail(Errc::bad_config, "--database sqlite: needs a path (sqlite:PATH)");
        auto store = open_sqlite_store(path);
        if (!store) return std::move(store).error();
        db.store = std::move(*store);
        db.name = "SQLite " + path.string();
        db.schema_version = sqlite_schema_version();
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
        db.schema_version = postgres_schema_version();
        return db;
#endif
    }
    return fail(Errc::bad_config, "--database must be sqlite:PATH or a postgresql:// URL");
}

Result<void> make_private_directory(const fs::path& dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fail(Errc::bad_config, "cannot create " + dir.string() + ": " + ec.message());
    const auto others = fs::perms::group_all | fs::perms::others_all;
    if ((fs::status(dir, ec).permissions() & others) != fs::perms::none)
        std::cerr << program_invocation_short_name << ": warning: " << dir.string()
                  << " is open to other users; it holds password hashes and live tokens (chmod 700 it)\n";
    return {};
}

Result<Config> service_config(const Options& options, SecretSource source)
{
    Config config;
    if (!options.jwt_secret.empty()) {
        if (options.jwt_secret.size() < 32) return fail(Errc::bad_config, "the JWT secret must have at least 32 characters");
        config.jwt_secret = options.jwt_secret;
    } else {
        auto secret = options.secret_file.empty()
                          ? secret_in_data_dir(fs::path(options.data_dir) / "secret_key", source)
                          : read_secret(options.secret_file);
        if (!secret) return std::move(secret).error();
        config.jwt_secret = std::move(*secret);
    }
    config.access_token_lifetime = std::chrono::seconds(options.access_token_lifetime);
    config.refresh_token_lifetime = std::chrono::seconds(options.refresh_token_lifetime);
    config.rotate_refresh_tokens = options.rotate_refresh_tokens;
    config.throttle.enabled = options.throttle;
    config.unactivated_account_lifetime = std::chrono::days(options.unactivated_account_days);
    config.argon2 = Argon2Params{options.argon2_ops, std::size_t{options.argon2_memory_kib} * 1024,
                                 options.argon2_threads, static_cast<int>(options.argon2_nice),
                                 options.argon2_processes};
    return config;
}

}  // namespace usermgmt::server
