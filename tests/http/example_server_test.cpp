// The example server as a user runs it: options from file, environment and flags; exit code 2
// on bad configuration; a secret kept in the data directory; the superuser from the environment.
#include "example_postgres.hpp"
#include "example_server.hpp"
#include "http_fixture.hpp"
#include "../support/metrics_page.hpp"
#include "../support/sqlite_query.hpp"
#include "../support/test_store.hpp"

#include <libpq-fe.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <regex>
#include <thread>

extern char** environ;

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;


TEST_CASE("usermgmt-server --help lists every option", "[example]")
{
    TempDir dir;
    auto [code, out] = ExampleServer::run(dir, {"--help"});
    CHECK(code == 0);
    for (const char* option : {"--listen", "--data-dir", "--mail-outbox", "--threads", "--config", "USERMGMT_LISTEN",
                               "USERMGMT_SUPERUSER_USERNAME"})
        CHECK(out.find(option) != std::string::npos);
}

TEST_CASE("Bad configuration: a clear message and exit code 2", "[example]")
{
    TempDir dir;
    const auto bad = [&](std::vector<std::string> a, std::vector<std::string> env = {}) {
        auto [code, out] = ExampleServer::run(dir, std::move(a), std::move(env));
        CHECK(code == 2);
        CHECK(out.rfind("usermgmt-server: ", 0) == 0);
        return out;
    };
    CHECK(bad({"--threads", "abc"}).find("--threads") != std::string::npos);
    CHECK(bad({"--listen", "nonsense"}).find("HOST:PORT") != std::string::npos);
    CHECK(bad({"--no-such-option", "1"}).find("unknown option") != std::string::npos);
    CHECK(bad({}, {"USERMGMT_THREADS=0"}).find("USERMGMT_THREADS") != std::string::npos);
    std::ofstream(dir / "bad.json") << R"({"listen": "127.0.0.1:0", "nonsense": 1})";
    CHECK(bad({"--config", (dir / "bad.json").string()}).find("unknown setting") != std::string::npos);
    std::ofstream(dir / "broken.json") << "{";
    CHECK(bad({"--config", (dir / "broken.json").string()}).find("JSON") != std::string::npos);
    CHECK(bad({"--config", (dir / "missing.json").string()}).find("cannot read") != std::string::npos);
    CHECK(bad(args(dir), {"USERMGMT_SUPERUSER_USERNAME=root"}).find("together") != std::string::npos);
    CHECK(bad(args(dir), {"USERMGMT_SUPERUSER_USERNAME=root", "USERMGMT_SUPERUSER_EMAIL=root@example.com",
                          "USERMGMT_SUPERUSER_PASSWORD=123"})
              .find("too common") != std::string::npos);
    CHECK(bad({"--listen", "999.0.0.1:80"}).find("invalid listen address") != std::string::npos);
}

TEST_CASE("Refused at start: a trusted proxy that is not an IP address", "[example]")
{
    TempDir dir;
    const auto refused = [&](std::vector<std::string> extra) { return refused_at_start(dir, std::move(extra)); };
    CHECK(refused({"--trusted-proxies", "10.0.0.1, junk"}).find("\"junk\"") != std::string::npos);
    CHECK(refused({"--trusted-proxies", "10.0.0.1:8080"}).find("trusted_proxies") != std::string::npos);
    CHECK(refused({"--trusted-proxies", "[::1]"}).find("not an IP address") != std::string::npos);
}

TEST_CASE("The web pages: at / by default, at --pages-prefix with the mail links to them, or off", "[example][pages]")
{
    TempDir dir;
    const auto refused = [&](std::vector<std::string> extra) { return refused_at_start(dir, std::move(extra)); };
    CHECK(refused({"--pages-prefix", "app"}).find("pages_prefix must start and end") != std::string::npos);
    CHECK(refused({"--pages-prefix", "/app"}).find("pages_prefix must start and end") != std::string::npos);
    CHECK(refused({"--pages-prefix", "//evil.example/"}).find("pages_prefix") != std::string::npos);
    CHECK(refused({"--pages-prefix", "/auth/"}).find("overlaps /auth/") != std::string::npos);
    CHECK(refused({"--pages-prefix", "/media/x/"}).find("overlaps /media/") != std::string::npos);
    CHECK(refused({"--pages-prefix", "/users/"}).find("overlaps /users") != std::string::npos);

    {
        ExampleServer server(dir, args(dir, {"--log-requests", "false"}));
        Client client(server.port());
        auto page = client.send(verb::get, "/");
        CHECK(page.status == 200);
        CHECK(page.header("content-type") == "text/html; charset=utf-8");
        CHECK(page.header("content-security-policy").find("script-src 'self'") != std::string::npos);
    }
    const auto outbox = dir / "outbox";
    {
        ExampleServer server(dir, args(dir, {"--pages-prefix", "/app/", "--mail-outbox", outbox.string()}));
        Client client(server.port());
        CHECK(client.send(verb::get, "/app/").status == 200);
        CHECK(client.send(verb::get, "/").status == 404);
        REQUIRE(client.send(verb::post, "/auth/users/",
                            body_of(json::object{{"username", "amy"}, {"email", "amy@example.com"},
                                                 {"password", strong_password}, {"re_password", strong_password}}),
                            {{"Content-Type", "application/json"}})
                    .status == 201);
        // The link opens the pages where they are.
        CHECK(newest_mail(outbox).find(":0/app/#/activate/") != std::string::npos);
    }
    {
        ExampleServer server(dir, args(dir, {"--pages-prefix", "off"}));
        Client client(server.port());
        CHECK(client.send(verb::get, "/").status == 404);
        CHECK(client.send(verb::get, "/js/main.js").status == 404);
    }
}

TEST_CASE("The items of --trusted-proxies are trimmed - and the proxy's X-Forwarded-For is believed", "[example][throttle]")
{
    TempDir dir;
    ExampleServer server(dir, args(dir, {"--trusted-proxies", " 10.0.0.9 , 127.0.0.1 ", "--log-requests", "false"}));
    Client client(server.port());
    const auto reset = [&](int n, const std::string& client_address) {
        return client
            .send(verb::post, "/auth/users/reset_password/",
                  json::serialize(json::object{{"email", "r" + std::to_string(n) + "@example.com"}}),
                  {{"X-Forwarded-For", client_address}})
            .status;
    };
    // 20 reset requests a minute per client (the default): the 21st of one client is refused ...
    for (int i = 0; i < 20; ++i) REQUIRE(reset(i, "203.0.113.1") == 204);
    CHECK(reset(20, "203.0.113.1") == 429);
    // ... while the proxy's other client is another client.
    CHECK(reset(21, "203.0.113.2") == 204);
    CHECK(server.stop() == 0);
}

namespace {

unsigned mode_of(const std::filesystem::path& path)
{
    struct stat info {};
    REQUIRE(stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("Files that hold hashes and tokens are the owner's only: directories 0700, files 0600", "[example][files]")
{
    TempDir dir;
    const auto data = dir / "data";
    const auto outbox = dir / "mail" / "outbox";
    const mode_t operator_umask = umask(022);  // what most shells have: the server must not rely on it
    ExampleServer server(dir, args(dir, {"--mail-outbox", outbox.string()}));
    umask(operator_umask);
    Client client(server.port());
    const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0", 29);
    const auto field = [](const std::string& name, const std::string& value) {
        return "--B0und\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    };
    const std::string body = field("username", "amy") + field("email", "amy@example.com") +
                             field("password", strong_password) + field("re_password", strong_password) +
                             "--B0und\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n"
                             "Content-Type: image/png\r\n\r\n" + png + "\r\n--B0und--\r\n";
    auto made = client.send(verb::post, "/auth/users/", body, {{"Content-Type", "multipart/form-data; boundary=B0und"}});
    REQUIRE(made.status == 201);
    REQUIRE(newest_mail(outbox).find("amy") != std::string::npos);

    // While the server runs, so that the write-ahead log and its index exist.
    for (const auto& d : {data, data / "media", data / "media" / "avatars", outbox.parent_path(), outbox}) {
        INFO(d);
        CHECK(mode_of(d) == 0700);
    }
    std::vector<std::filesystem::path> files = {data / "users.db", data / "secret_key",
                                                data / std::string(made.json().at("avatar").as_string()).substr(1)};
    for (const char* suffix : {"-wal", "-shm"})
        if (std::filesystem::exists(data / ("users.db" + std::string(suffix)))) files.push_back(data / ("users.db" + std::string(suffix)));
    for (const auto& e : std::filesystem::directory_iterator(outbox)) files.push_back(e.path());
    CHECK(files.size() >= 5);
    for (const auto& file : files) {
        INFO(file);
        CHECK(mode_of(file) == 0600);
    }
    CHECK(server.stop() == 0);

    // A data directory the operator made open to others keeps its mode, with a warning.
    std::filesystem::create_directory(dir / "shared");
    std::filesystem::permissions(dir / "shared", std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                                     std::filesystem::perms::group_exec);
    auto shared_args = args(dir);
    shared_args[3] = (dir / "shared").string();
    ExampleServer shared(dir, shared_args);
    shared.port();
    CHECK(shared.log().find("warning: " + (dir / "shared").string() + " is open to other users") != std::string::npos);
    CHECK(mode_of(dir / "shared") == 0750);
    CHECK(shared.stop() == 0);

    // Files an older version left readable by others become the owner's only at the next start.
    std::filesystem::permissions(dir / "shared" / "users.db", std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    std::filesystem::permissions(dir / "shared" / "secret_key", std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    ExampleServer again(dir, shared_args);
    again.port();
    CHECK(mode_of(dir / "shared" / "users.db") == 0600);
    CHECK(mode_of(dir / "shared" / "secret_key") == 0600);
    CHECK(again.stop() == 0);
}

TEST_CASE("Refused at start: \"*\" origins with credentials", "[example]")
{
    TempDir dir;
    const auto refused = [&](std::vector<std::string> extra, std::vector<std::string> env) {
        auto [code, out] = ExampleServer::run(dir, args(dir, std::move(extra)), std::move(env));
        CHECK(code == 2);
        CHECK(out.rfind("usermgmt-server: ", 0) == 0);
        return out;
    };
    CHECK(refused({"--cors-origins", "*", "--cors-credentials", "true"}, {}).find("cors_credentials") != std::string::npos);
    CHECK(refused({}, {"USERMGMT_CORS_ORIGINS=https://app.example, *", "USERMGMT_CORS_CREDENTIALS=true"})
              .find("cors_origins") != std::string::npos);
}

TEST_CASE("File - then environment - then flags: each overrides the one before", "[example]")
{
    TempDir dir;
    std::ofstream(dir / "config.json") << R"({"site_url": "http://from-file/", "mail_outbox": ")" +
                                              (dir / "outbox").string() + R"("})";
    const auto link_host = [&](std::vector<std::string> extra, std::vector<std::string> env) {
        auto a = args(dir, {"--config", (dir / "config.json").string()});
        a.insert(a.end(), extra.begin(), extra.end());
        ExampleServer server(dir, a, env);
        Client client(server.port());
        static int n = 0;
        const std::string name = "u" + std::to_string(++n);
        const auto before = mails_in(dir / "outbox");
        auto reply = client.send(verb::post, "/auth/users/",
                                 json::serialize(json::object{{"username", name}, {"email", name + "@example.com"},
                                                              {"password", strong_password}, {"re_password", strong_password}}));
        REQUIRE(reply.status == 201);
        const auto mail = newest_mail(dir / "outbox", before);
        const auto at = mail.find("#/activate/");
        const auto start = mail.rfind("http://", at);
        return mail.substr(start, at - start);
    };
    CHECK(link_host({}, {}) == "http://from-file/");
    CHECK(link_host({}, {"USERMGMT_SITE_URL=http://from-env/"}) == "http://from-env/");
    CHECK(link_host({"--site-url", "http://from-flag/"}, {"USERMGMT_SITE_URL=http://from-env/"}) == "http://from-flag/");
}

TEST_CASE("The secret is made once and kept - the superuser comes from the environment", "[example]")
{
    TempDir dir;
    std::string refresh;
    {
        ExampleServer server(dir, args(dir), superuser);
        Client client(server.port());
        auto login = client.send(verb::post, "/auth/jwt/create/",
                                 json::serialize(json::object{{"username", "root"}, {"password", strong_password}}));
        REQUIRE(login.status == 200);
        refresh = login.json().at("refresh").as_string();
        CHECK(server.stop() == 0);
        CHECK(server.log().find("\"POST /auth/jwt/create/\" 200") != std::string::npos);  // the access log
        CHECK(server.log().find(strong_password) == std::string::npos);
    }
    const auto secret_file = dir / "data" / "secret_key";
    REQUIRE(std::filesystem::exists(secret_file));
    struct stat info {};
    REQUIRE(stat(secret_file.c_str(), &info) == 0);
    CHECK((info.st_mode & 077) == 0);  // readable by the owner only
    std::string secret;
    std::getline(std::ifstream(secret_file), secret);
    CHECK(secret.size() == 64);

    // A restart keeps the secret (the old refresh token still works) and the superuser (no error).
    ExampleServer again(dir, args(dir), superuser);
    Client client(again.port());
    auto renewed = client.send(verb::post, "/auth/jwt/refresh/", json::serialize(json::object{{"refresh", refresh}}));
    CHECK(renewed.status == 200);
    CHECK(again.log().find(secret) == std::string::npos);
    CHECK(again.stop() == 0);
}

TEST_CASE("kill -9 during a registration and password-change storm loses no acknowledged write", "[example][crash]")
{
    TempDir dir;
    auto server_args = args(dir, {"--throttle", "false", "--log-requests", "false"});
    // What the server acknowledged: each account's password, and a password whose change was sent
    // but not answered (either may hold after the crash).
    struct Account {
        std::string id, token, password, maybe_password;
    };
    std::map<std::string, Account> accounts;
    std::mutex accounts_mutex;

    for (int round = 0; round < 4; ++round) {
        ExampleServer server(dir, server_args);
        const unsigned short port = server.port();
        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        for (int t = 0; t < 2; ++t) {
            clients.emplace_back([&, t] {
                for (int i = 0; !stop && i < 10000; ++i) {
                    const std::string email = "r" + std::to_string(round) + "t" + std::to_string(t) + "n" +
                                              std::to_string(i) + "@example.com";
                    try {
                        Client client(port);
                        auto made = client.send(verb::post, "/users",
                                                json::serialize(json::object{{"email", email}, {"password", strong_password}}));
                        if (made.status != 201) continue;
                        Account a{std::string(made.json().at("user").at("id").as_string()),
                                  std::string(made.json().at("accessToken").as_string()), strong_password, ""};
                        {
                            std::lock_guard lock(accounts_mutex);
                            accounts[email] = a;
                        }
                        const std::string next = "Changed-" + std::to_string(i) + "-Secret-Phrase";
                        {
                            std::lock_guard lock(accounts_mutex);
                            accounts[email].maybe_password = next;
                        }
                        auto changed = client.send(verb::put, "/users/" + a.id,
                                                   json::serialize(json::object{{"password", next}}),
                                                   {{"Authorization", "Bearer " + a.token}});
                        std::lock_guard lock(accounts_mutex);
                        if (changed.status == 200) {
                            accounts[email].password = next;
                            accounts[email].maybe_password.clear();
                        } else {
                            accounts[email].maybe_password.clear();  // refused: the old one holds
                        }
                    } catch (const std::exception&) {
                        return;  // the server is gone mid-request: what was not answered stays unsure
                    }
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300 + 150 * round));
        server.crash();
        stop = true;
        for (auto& c : clients) c.join();
    }

    // Restarted on the same files: every acknowledged account logs in with its password.
    ExampleServer server(dir, server_args);
    Client client(server.port());
    REQUIRE(accounts.size() > 10);
    for (const auto& entry : accounts) {
        const std::string& email = entry.first;
        const Account& a = entry.second;
        const auto login = [&](const std::string& password) {
            return client.send(verb::post, "/users/login",
                               json::serialize(json::object{{"email", email}, {"password", password}}))
                .status;
        };
        const bool ok = login(a.password) == 200 || (!a.maybe_password.empty() && login(a.maybe_password) == 200);
        INFO(email);
        CHECK(ok);
    }
    CHECK(server.stop() == 0);

    // And the file is sound.
    CHECK(query_text(dir / "data" / "users.db", "PRAGMA integrity_check") == "ok");
}

namespace {

// A small tmpfs of the test's own, so that a full disk can be made for real.
class SmallDisk {
public:
    SmallDisk(const std::filesystem::path& at, const std::string& size) : at_(at)
    {
        std::filesystem::create_directories(at);
        mounted_ = std::system(("mount -t tmpfs -o size=" + size + " tmpfs " + at.string() + " 2>/dev/null").c_str()) == 0;
    }
    ~SmallDisk()
    {
        if (mounted_) (void)std::system(("umount -l " + at_.string()).c_str());
    }
    bool mounted() const { return mounted_; }

private:
    std::filesystem::path at_;
    bool mounted_ = false;
};

int register_at(unsigned short port, const std::string& email)
{
    Client client(port);
    return static_cast<int>(
        client.send(verb::post, "/users", json::serialize(json::object{{"email", email}, {"password", strong_password}}))
            .status);
}

}  // namespace

TEST_CASE("A full disk answers 503 - and the service recovers when space is freed", "[example][disk]")
{
    TempDir dir;
    SmallDisk disk(dir / "disk", "4m");
    if (!disk.mounted()) FAIL("this test mounts a tmpfs: it needs root (CI runs as root)");
    const auto data = dir / "disk" / "data";
    auto a = args(dir, {"--throttle", "false"});
    a[3] = data.string();  // --data-dir on the small disk
    ExampleServer server(dir, a);
    const auto port = server.port();
    REQUIRE(register_at(port, "before@example.com") == 201);
    // Fill the disk to the last byte.
    {
        std::ofstream filler(dir / "disk" / "filler", std::ios::binary);
        const std::string block(64 * 1024, 'x');
        while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
        }
    }
    int full = 0;
    for (int i = 0; i < 20 && full != 503; ++i) full = register_at(port, "full" + std::to_string(i) + "@example.com");
    CHECK(full == 503);
    std::filesystem::remove(dir / "disk" / "filler");
    CHECK(register_at(port, "after@example.com") == 201);
    CHECK(server.stop() == 0);
}

namespace {

// Makes the database read-only under a running server, in a way root cannot override: the
// immutable attribute on the database file, its write-ahead log and the data directory (so no
// journal can be created either). A read-only remount is not possible while the server holds the
// files open for writing, so this is the nearest real thing. The shared-memory index (-shm) is
// left writable: SQLite maps it, and a mapping that turns read-only kills the process with SIGBUS
// (docs/security.md).
class ImmutableFiles {
public:
    explicit ImmutableFiles(std::vector<std::filesystem::path> paths) : paths_(std::move(paths)) {}
    ~ImmutableFiles() { set(false); }
    bool set(bool on)
    {
        std::string command = std::string("chattr ") + (on ? "+i" : "-i");
        for (const auto& p : paths_) command += " '" + p.string() + "'";
        return std::system((command + " 2>/dev/null").c_str()) == 0;
    }

private:
    std::vector<std::filesystem::path> paths_;
};

}  // namespace

TEST_CASE("A read-only database answers 503 to writes and serves reads - and recovers", "[example][disk]")
{
    TempDir dir;
    ExampleServer server(dir, args(dir, {"--throttle", "false"}),
                         {"USERMGMT_SUPERUSER_USERNAME=root", "USERMGMT_SUPERUSER_EMAIL=root@example.com",
                          "USERMGMT_SUPERUSER_PASSWORD=" + strong_password});
    const auto port = server.port();
    REQUIRE(register_at(port, "before@example.com") == 201);
    Client client(port);
    const auto login = client.send(verb::post, "/auth/jwt/create/",
                                   json::serialize(json::object{{"username", "root"}, {"password", strong_password}}));
    REQUIRE(login.status == 200);
    const std::string access(login.json().at("access").as_string());

    const auto data = dir / "data";
    ImmutableFiles files({data / "users.db", data / "users.db-wal", data});
    if (!files.set(true)) FAIL("this test sets the immutable attribute (chattr +i): it needs root and ext4 or tmpfs");

    const auto refused = client.send(verb::post, "/auth/users/",
                                     json::serialize(json::object{{"username", "ro"}, {"email", "ro@example.com"}, {"password", strong_password}, {"re_password", strong_password}}));
    INFO(refused.body);
    CHECK(refused.status == 503);
    CHECK(refused.json().as_object().contains("detail"));
    CHECK(refused.body.find("users.db") == std::string::npos);  // no internals on the wire
    CHECK(register_at(port, "ro2@example.com") == 503);
    // Reads go on: a signed-in user still sees itself.
    const auto me = client.send(verb::get, "/auth/users/me/", "", {{"Authorization", "JWT " + access}});
    CHECK(me.status == 200);

    REQUIRE(files.set(false));
    CHECK(register_at(port, "after@example.com") == 201);
    CHECK(server.stop() == 0);
}

TEST_CASE("Two servers sharing a throttle file share the login limit of an account", "[example][throttle]")
{
    TempDir dir;
    const std::string shared = (dir / "throttle.db").string();
    auto a_args = args(dir, {"--throttle-file", shared});
    auto b_args = args(dir, {"--throttle-file", shared});
    b_args[3] = (dir / "data-b").string();  // its own database: only the counts are shared
    ExampleServer a(dir, a_args);
    ExampleServer b(dir, b_args);
    Client to_a(a.port());
    Client to_b(b.port());
    // amy on each server (the first user of each database: the same id, so the same account key).
    for (Client* c : {&to_a, &to_b}) {
        auto made = c->send(verb::post, "/users",
                            json::serialize(json::object{{"email", "amy@example.com"}, {"password", strong_password}}));
        REQUIRE(made.status == 201);
    }
    const auto attempt = [](Client& client, const std::string& password) {
        return client.send(verb::post, "/auth/jwt/create/",
                           json::serialize(json::object{{"username", "amy@example.com"}, {"password", password}}));
    };
    // The default limit is 10 attempts a minute per account, counted across both servers.
    for (int i = 0; i < 5; ++i) {
        CHECK(attempt(to_a, "wrong-Password-1").status == 401);
        CHECK(attempt(to_b, "wrong-Password-1").status == 401);
    }
    // Past it the right password fails too, on either server, as a wrong one would.
    CHECK(attempt(to_a, strong_password).status == 401);
    CHECK(attempt(to_b, strong_password).status == 401);
    CHECK(a.stop() == 0);
    CHECK(b.stop() == 0);
}

namespace {

std::map<std::string, std::string> bearer(const std::string& token)
{
    return {{"Authorization", "Bearer " + token}};
}

Reply me_at(Client& node, const std::string& token)
{
    return node.send(verb::get, "/auth/users/me/", {}, bearer(token));
}

// The revocations a second server must see on its next request after they were made through the
// first: a logout ends alice's session, a password change ends bob's other session (the one
// that changed it goes on).
void check_revocations_seen(Client& to_a, Client& to_b, const std::string& alice, const std::string& bob,
                            const std::string& bob_other)
{
    const auto me_at_b = [&](const std::string& token) { return me_at(to_b, token); };
    REQUIRE(to_a.send(verb::post, "/users/logout", {}, bearer(alice)).status == 200);
    CHECK(me_at_b(alice).status == 401);

    REQUIRE(to_a.send(verb::post, "/auth/users/set_password/",
                      json::serialize(json::object{{"current_password", strong_password},
                                                   {"new_password", "another-Horse-battery-7"},
                                                   {"re_new_password", "another-Horse-battery-7"}}),
                      bearer(bob))
                .status == 204);
    CHECK(me_at_b(bob_other).status == 401);
    CHECK(me_at_b(bob).status == 200);
}

}  // namespace

TEST_CASE("Two servers on one data directory: a write through one is seen by the other on its next request", "[example][coherence]")
{
    TempDir dir;
    ExampleServer a(dir, args(dir, {"--auth-require-activation", "false"}), superuser);
    Client to_a(a.port());  // A is up: the secret and the schema exist before B starts
    ExampleServer b(dir, args(dir, {"--auth-require-activation", "false"}));
    Client to_b(b.port());
    const auto register_user = [&](const std::string& name) {
        auto made = to_a.send(verb::post, "/auth/users/",
                              json::serialize(json::object{{"username", name}, {"email", name + "@example.com"},
                                                           {"password", strong_password}, {"re_password", strong_password}}));
        REQUIRE(made.status == 201);
        return made.json().at("id").as_int64();
    };
    const auto login = [&](const std::string& name) {
        auto made = to_a.send(verb::post, "/auth/jwt/create/",
                              json::serialize(json::object{{"username", name}, {"password", strong_password}}));
        REQUIRE(made.status == 200);
        return std::string(made.json().at("access").as_string());
    };
    const auto me_at_b = [&](const std::string& token) { return me_at(to_b, token); };
    register_user("alice");
    register_user("bob");
    const auto carol_id = register_user("carol");
    register_user("dave");
    const std::string alice = login("alice"), bob = login("bob"), bob_other = login("bob"), carol = login("carol"),
                      dave = login("dave"), root = login("root");
    // B has read (and cached) every user and session.
    for (const auto& token : {alice, bob, bob_other, carol, dave}) REQUIRE(me_at_b(token).status == 200);

    // Each write through A, then at once (no sleep, no retry) the next request at B.
    check_revocations_seen(to_a, to_b, alice, bob, bob_other);

    REQUIRE(to_a.send(verb::delete_, "/auth/users/" + std::to_string(carol_id) + "/",
                      json::serialize(json::object{{"current_password", strong_password}}), bearer(root))
                .status == 204);
    CHECK(me_at_b(carol).status == 401);

    REQUIRE(to_a.send(verb::patch, "/auth/users/me/", json::serialize(json::object{{"first_name", "Dorothy"}}), bearer(dave))
                .status == 200);
    auto seen = me_at_b(dave);
    REQUIRE(seen.status == 200);
    CHECK(seen.json().at("first_name") == "Dorothy");
    CHECK(a.stop() == 0);
    CHECK(b.stop() == 0);
}

TEST_CASE("The server purges expired sessions on its schedule", "[example][purge]")
{
    TempDir dir;
    ExampleServer server(dir, args(dir, {"--purge-interval", "1", "--access-token-lifetime", "1",
                                         "--refresh-token-lifetime", "1"}),
                         superuser);
    Client client(server.port());
    for (int i = 0; i < 3; ++i)
        REQUIRE(client.send(verb::post, "/auth/jwt/create/",
                            json::serialize(json::object{{"username", "root"}, {"password", strong_password}}))
                    .status == 200);
    const auto db = dir / "data" / "users.db";
    CHECK(query_text(db, "SELECT count(*) FROM sessions") != "0");
    // Sessions live a second; the purge runs every second. Bounded wait: 10 s at most.
    std::string left;
    for (int i = 0; i < 100 && (left = query_text(db, "SELECT count(*) FROM sessions")) != "0"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(left == "0");
    CHECK(server.stop() == 0);
}


TEST_CASE("Two nodes on one PostgreSQL: revocations at once, one name, one token use, one limit", "[example][postgres]")
{
    REQUIRE(on_postgres());
    TempDir dir;
    const std::string url = fresh_postgres_database(dir);
    {
        std::ofstream secret(dir / "secret");
        secret << "a-secret-both-nodes-share-0123456789abcdef\n";
    }
    const auto node_args = [&](const std::string& name) {
        return std::vector<std::string>{"--listen", "127.0.0.1:0", "--data-dir", (dir / name).string(),
                                        "--database", url, "--secret-file", (dir / "secret").string(),
                                        "--mail-outbox", (dir / (name + "-outbox")).string(),
                                        "--argon2-ops", "1", "--argon2-memory-kib", "8"};
    };
    ExampleServer a(dir, node_args("a"), superuser);
    Client to_a(a.port());  // A is up: the schema exists before B starts
    ExampleServer b(dir, node_args("b"));
    Client to_b(b.port());
    CHECK(a.log().find("PostgreSQL") != std::string::npos);
    const auto login_at = [&](Client& node, const std::string& name, const std::string& password = strong_password) {
        auto made = node.send(verb::post, "/auth/jwt/create/",
                              json::serialize(json::object{{"username", name}, {"password", password}}));
        REQUIRE(made.status == 200);
        return std::string(made.json().at("access").as_string());
    };
    const auto me_at_b = [&](const std::string& token) { return me_at(to_b, token); };
    const std::string root = login_at(to_a, "root");
    const auto make_user = [&](const std::string& name) {
        // Staff creates active accounts through the /users style, on node A.
        auto made = to_a.send(verb::post, "/users", json::serialize(json::object{{"email", name + "@example.com"},
                                                                                  {"password", strong_password}}),
                              bearer(root));
        REQUIRE(made.status == 201);
        return std::string(made.json().at("user").at("id").as_string());
    };

    SECTION("a write through A is seen by B's next request: logout, password change, reset, deletion")
    {
        make_user("alice");
        make_user("bob");
        const auto carol_id = make_user("carol");
        make_user("erin");
        const std::string alice = login_at(to_a, "alice@example.com"), bob = login_at(to_a, "bob@example.com"),
                          bob_other = login_at(to_b, "bob@example.com"), carol = login_at(to_a, "carol@example.com"),
                          erin = login_at(to_b, "erin@example.com");
        for (const auto& token : {alice, bob, bob_other, carol, erin}) REQUIRE(me_at_b(token).status == 200);

        check_revocations_seen(to_a, to_b, alice, bob, bob_other);

        // A reset confirmed at A ends erin's session at B.
        const auto before = mails_in(dir / "a-outbox");
        REQUIRE(to_a.send(verb::post, "/auth/users/reset_password/", json::serialize(json::object{{"email", "erin@example.com"}}))
                    .status == 204);
        const auto mail = newest_mail(dir / "a-outbox", before);
        const std::regex link("#/password/reset/confirm/([A-Za-z0-9_-]+)/([0-9a-f]{64})");
        std::smatch m;
        REQUIRE(std::regex_search(mail, m, link));
        REQUIRE(to_a.send(verb::post, "/auth/users/reset_password_confirm/",
                          json::serialize(json::object{{"uid", m[1].str()}, {"token", m[2].str()},
                                                       {"new_password", "reset-Horse-battery-8"},
                                                       {"re_new_password", "reset-Horse-battery-8"}}))
                    .status == 204);
        CHECK(me_at_b(erin).status == 401);

        REQUIRE(to_a.send(verb::delete_, "/users/" + carol_id, {}, bearer(root)).status == 200);
        CHECK(me_at_b(carol).status == 401);
    }

    SECTION("racing registrations of one name on both nodes: exactly one 201")
    {
        for (int round = 0; round < 5; ++round) {
            const std::string email = "racer" + std::to_string(round) + "@example.com";
            std::atomic<int> created{0};
            std::atomic<int> taken{0};
            std::vector<std::thread> racers;
            for (int i = 0; i < 4; ++i)
                racers.emplace_back([&, i] {
                    try {
                        Client node(i % 2 ? b.port() : a.port());
                        auto made = node.send(verb::post, "/users",
                                              json::serialize(json::object{{"email", email}, {"password", strong_password}}));
                        if (made.status == 201) ++created;
                        else if (made.status == 409) ++taken;
                    } catch (const std::exception&) {
                        // counted by neither: the checks below fail
                    }
                });
            for (auto& t : racers) t.join();
            CHECK(created == 1);
            CHECK(taken == 3);
        }
    }

    SECTION("one reset token used on both nodes at once: one success")
    {
        make_user("tess");
        const auto before = mails_in(dir / "b-outbox");
        REQUIRE(to_b.send(verb::post, "/users/reset-password", json::serialize(json::object{{"email", "tess@example.com"}}))
                    .status == 200);
        const auto mail = newest_mail(dir / "b-outbox", before);
        const std::regex link("([0-9a-f]{64})");
        std::smatch m;
        REQUIRE(std::regex_search(mail, m, link));
        const std::string token = m[1].str();
        std::atomic<int> done{0};
        std::vector<std::thread> users;
        for (int i = 0; i < 4; ++i)
            users.emplace_back([&, i] {
                try {
                    Client node(i % 2 ? b.port() : a.port());
                    auto reply = node.send(verb::post, "/users/ResetPassword",
                                           json::serialize(json::object{{"resettoken", token},
                                                                        {"newPassword", "Winner-Horse-battery-" + std::to_string(i)}}));
                    if (reply.status == 200) ++done;
                } catch (const std::exception&) {
                }
            });
        for (auto& t : users) t.join();
        CHECK(done == 1);
    }

    SECTION("an account's login limit is one limit across the nodes")
    {
        make_user("lim");
        // The default: 10 attempts a minute per account; alternate the nodes.
        for (int i = 0; i < 10; ++i) {
            Client& node = i % 2 ? to_b : to_a;
            CHECK(node.send(verb::post, "/users/login",
                            json::serialize(json::object{{"email", "lim@example.com"}, {"password", "wrong-Password-1"}}))
                      .status == 401);
        }
        // Past it the right password fails too, on either node.
        for (Client* node : {&to_a, &to_b})
            CHECK(node->send(verb::post, "/users/login",
                             json::serialize(json::object{{"email", "lim@example.com"}, {"password", strong_password}}))
                      .status == 401);
    }
    CHECK(a.stop() == 0);
    CHECK(b.stop() == 0);
}

namespace {

// A PostgreSQL server of this test's own (the shared one must not die under other tests),
// durable on commit, that the test can kill and bring back. Stopped and removed at scope end.
class OwnPostgres {
public:
    explicit OwnPostgres(const TempDir& dir) : state_((dir / "own-postgres").string())
    {
        REQUIRE(run("start") == 0);
        std::ifstream in(state_ + "/conninfo");
        std::getline(in, conninfo_);
    }
    ~OwnPostgres() { run("stop"); }
    int kill() { return run("kill"); }
    int resume() { return run("resume"); }
    const std::string& conninfo() const { return conninfo_; }

private:
    int run(const std::string& command)
    {
        const std::string line = "DURABLE=1 " + std::string(USERMGMT_POSTGRES_SCRIPT) + " " + command + " '" + state_ + "' >/dev/null";
        return std::system(line.c_str());
    }
    std::string state_;
    std::string conninfo_;
};

}  // namespace

TEST_CASE("PostgreSQL killed under load: 503 with Retry-After meanwhile, service resumes, nothing acknowledged is lost", "[example][postgres][crash]")
{
    REQUIRE(on_postgres());
    TempDir dir;
    OwnPostgres database(dir);
    const std::string url = postgres_url(database.conninfo(), "postgres");
    ExampleServer server(dir, args(dir, {"--database", url, "--throttle", "false", "--log-requests", "false"}));
    const unsigned short port = server.port();

    std::mutex mutex;
    std::vector<std::string> acknowledged;
    std::map<unsigned, int> statuses;
    bool retry_after_on_every_503 = true;
    std::atomic<bool> stop{false};
    std::vector<std::thread> load;
    for (int t = 0; t < 2; ++t)
        load.emplace_back([&, t] {
            for (int i = 0; !stop && i < 20000; ++i) {
                const std::string email = "k" + std::to_string(t) + "n" + std::to_string(i) + "@example.com";
                try {
                    Client client(port);
                    auto made = client.send(verb::post, "/users",
                                            json::serialize(json::object{{"email", email}, {"password", strong_password}}));
                    std::lock_guard lock(mutex);
                    ++statuses[made.status];
                    if (made.status == 201) acknowledged.push_back(email);
                    if (made.status == 503 && made.header("retry-after").empty()) retry_after_on_every_503 = false;
                } catch (const std::exception&) {
                    std::lock_guard lock(mutex);
                    ++statuses[0];  // no answer at all
                }
            }
        });
    const auto count = [&](unsigned status) {
        std::lock_guard lock(mutex);
        return statuses[status];
    };
    // Load runs, the server dies, requests go on for a while, the server comes back.
    for (int i = 0; i < 100 && count(201) < 20; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(database.kill() == 0);
    for (int i = 0; i < 250 && count(503) < 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(count(503) >= 10);
    {
        // The process lives; it is not ready.
        Client probe(port);
        CHECK(probe.send(verb::get, "/healthz").status == 200);
        const auto not_ready = probe.send(verb::get, "/readyz");
        CHECK(not_ready.status == 503);
        CHECK(!not_ready.header("retry-after").empty());
    }
    REQUIRE(database.resume() == 0);
    const int before = count(201);
    for (int i = 0; i < 500 && count(201) < before + 20; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop = true;
    for (auto& t : load) t.join();

    CHECK(count(201) >= before + 20);  // the service resumed by itself
    CHECK(retry_after_on_every_503);
    CHECK(count(0) == 0);    // every request got an answer: no crash, no dropped connection
    CHECK(count(500) == 0);
    {
        Client health(port);
        CHECK(health.send(verb::get, "/healthz").status == 200);
        CHECK(health.send(verb::get, "/readyz").status == 200);
    }
    // Every acknowledged registration is there: each account logs in.
    Client client(port);
    std::size_t missing = 0;
    for (const auto& email : acknowledged)
        if (client.send(verb::post, "/users/login", json::serialize(json::object{{"email", email}, {"password", strong_password}}))
                .status != 200)
            ++missing;
    CHECK(missing == 0);
    CHECK(acknowledged.size() > 40);
    CHECK(server.stop() == 0);
}

TEST_CASE("usermgmt-server --metrics-listen: /metrics on an address of its own, counting the API's answers", "[example][metrics]")
{
    TempDir dir;
    ExampleServer server(dir, args(dir, {"--metrics-listen", "127.0.0.1:0", "--mail-outbox", (dir / "outbox").string()}));
    Client client(server.port());
    const auto made = client.send(verb::post, "/auth/users/",
                                  json::serialize(json::object{{"username", "amy"}, {"email", "amy@example.com"},
                                                               {"password", strong_password}, {"re_password", strong_password}}));
    REQUIRE(made.status == 201);
    CHECK(client.send(verb::get, "/metrics").status == 404);  // not beside the API

    std::smatch found;
    const std::string log = server.log();
    REQUIRE(std::regex_search(log, found, std::regex("metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics")));
    Client monitoring(static_cast<unsigned short>(std::stoi(found[1])));
    CHECK(monitoring.send(verb::get, "/auth/users/me/").status == 404);  // nothing of the API there
    const auto page = monitoring.send(verb::get, "/metrics");
    REQUIRE(page.status == 200);
    const MetricsPage metrics(dir, page.body);
    CHECK(metrics.value("usermgmt_http_requests_total",
                        {{"style", "auth"}, {"route", "/auth/users/"}, {"method", "POST"}, {"status", "201"}}) == 1);
    CHECK(metrics.value("usermgmt_http_requests_total", {{"route", "unmatched"}, {"status", "404"}}) == 1);
    CHECK(metrics.value("usermgmt_mail_queue_mails", {{"state", "queued"}}));
    CHECK(server.stop() == 0);

    CHECK(refused_at_start(dir, {"--metrics-listen", "everywhere"}).find("--metrics-listen") != std::string::npos);
    // off: no /metrics anywhere.
    ExampleServer quiet(dir, args(dir, {"--metrics-listen", "off"}));
    Client again(quiet.port());
    CHECK(again.send(verb::get, "/metrics").status == 404);
    CHECK(quiet.stop() == 0);
}
