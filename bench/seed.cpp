// Fills a database through the core's store port: N users with one cheap Argon2id hash (seeding
// only), in batches of one transaction each, plus accounts with the server's real parameters
// for the login scenarios and a staff account.
//
// Usage: usermgmt-bench-seed DB USERS LOGIN_USERS OPS MEMORY_KIB PASSWORD
#include <usermgmt/usermgmt.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace usermgmt;

int main(int argc, char** argv)
{
    if (argc < 7) {
        std::fprintf(stderr, "usage: usermgmt-bench-seed DB USERS LOGIN_USERS OPS MEMORY_KIB PASSWORD\n");
        return 2;
    }
    const std::string path = argv[1];
    const long users = std::stol(argv[2]);
    const long login_users = std::stol(argv[3]);
    const Argon2Params real{std::stoull(argv[4]), std::stoull(argv[5]) * 1024};
    const std::string password = argv[6];

    // A PostgreSQL URL, or a SQLite file.
    const bool postgres = path.rfind("postgresql://", 0) == 0;
    auto store = postgres ? open_postgres_store(path) : open_sqlite_store(path);
    if (!store) {
        std::fprintf(stderr, "seed: %s\n", store.error().message.c_str());
        return 1;
    }
    auto cheap = make_argon2id_hasher(Argon2Params::cheapest_for_tests());
    const std::string cheap_hash = *(*cheap)->hash(password);
    const auto now = std::chrono::system_clock::now();
    const auto started = std::chrono::steady_clock::now();

    // Batches of one transaction each. On PostgreSQL small ones: each insert is a savepoint that
    // bumps the same counter rows, and PostgreSQL slows down with every such savepoint in one
    // transaction (1M users took half an hour in batches of 20,000; 8 minutes in batches of 200).
    const long batch = postgres ? 200 : 20000;
    for (long first = 0; first < users; first += batch) {
        auto done = (*store)->in_transaction([&](UserStore& s) -> Result<void> {
            for (long i = first; i < std::min(users, first + batch); ++i) {
                char name[32];
                std::snprintf(name, sizeof name, "bench-user-%07ld", i);
                StoredUser u;
                u.user.username = name;
                u.user.email = std::string(name) + "@example.com";
                u.user.first_name = "First";
                u.user.last_name = "Last";
                u.user.is_active = true;
                u.user.date_joined = u.user.updated_at = now;
                u.password_hash = cheap_hash;
                if (auto made = s.insert_user(u); !made) return std::move(made).error();
            }
            return {};
        });
        if (!done) {
            std::fprintf(stderr, "seed: %s\n", done.error().message.c_str());
            return 1;
        }
    }

    // Accounts for the login storm and the staff scenarios, hashed as the server hashes.
    Config config;
    config.jwt_secret = std::string(48, 's');
    config.argon2 = real;
    config.require_activation = false;
    Ports ports;
    ports.store = std::move(*store);
    auto service = UserService::create(config, std::move(ports));
    if (!service) return 1;
    for (long i = 0; i < login_users; ++i) {
        NewUser in;
        in.username = "bench-login-" + std::to_string(i);
        in.email = in.username + "@example.com";
        in.password = password;
        if (auto made = (*service)->register_user(in); !made) {
            std::fprintf(stderr, "seed login user: %s\n", made.error().message.c_str());
            return 1;
        }
    }
    if (auto staff = (*service)->create_superuser("bench-staff", "bench-staff@example.com", password); !staff) return 1;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("{\"users\":%ld,\"login_users\":%ld,\"seconds\":%.1f}\n", users, login_users, seconds);
}
