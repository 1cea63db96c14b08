#pragma once
// What usermgmt-server and usermgmt-admin build alike from the options: the database, the JWT
// secret and the service's Config, so that both programs read one configuration one way.

#include "options.hpp"

#include <usermgmt/usermgmt.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace usermgmt::server {

/// The store named by --database: "sqlite:PATH", a PostgreSQL URL, or by default the SQLite
/// file in the data directory. With PostgreSQL the throttle counts live there too, so that a
/// limit is one limit across every node.
struct Database {
    std::unique_ptr<UserStore> store;
    std::unique_ptr<ThrottleStore> throttle;  ///< null: the default (memory)
    std::string name;                         ///< for messages; never a password
    int schema_version = 0;                   ///< the version the store is now at
};
Result<Database> open_database(const Options& options);
/// The SQLite file `--database` names (or the default one in the data directory); nullopt when
/// the database is not SQLite.
std::optional<std::filesystem::path> sqlite_file(const Options& options);

/// A directory for files only this process reads: made 0700 (the umask), or its mode stays as
/// the operator left it, with a warning on stderr when others may read it.
Result<void> make_private_directory(const std::filesystem::path& dir);

/// How the JWT secret is found.
enum class SecretSource {
    create_if_missing,  ///< the server: DATA_DIR/secret_key is made once when nothing names one
    ephemeral_if_missing,  ///< the admin tool: it issues no token, so it never writes a secret
};

/// The service's Config from the options: the secret (USERMGMT_JWT_SECRET, --secret-file, or
/// DATA_DIR/secret_key), token lifetimes, throttling, Argon2id parameters.
Result<Config> service_config(const Options& options, SecretSource source);

}  // namespace usermgmt::server
