// What only a socket shows: keep-alive, pipelining, limits, timeouts, shutdown, overload.
#include "http_fixture.hpp"
#include "../support/stepped_hasher.hpp"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

// Writes raw bytes and reads until the peer closes or `timeout` passes.
std::string raw_exchange(unsigned short port, const std::string& bytes, std::chrono::seconds timeout = std::chrono::seconds(5))
{
    Client client(port);
    auto& stream = client.stream();
    boost::asio::write(stream.socket(), boost::asio::buffer(bytes));
    std::string out;
    stream.expires_after(timeout);
    boost::beast::error_code ec;
    char buf[4096];
    while (true) {
        const auto n = stream.read_some(boost::asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

}  // namespace

TEST_CASE("Keep-alive: many requests on one connection", "[http][server]")
{
    HttpFixture f;
    Client client(f.port());
    for (int i = 0; i < 5; ++i) {
        auto reply = client.send(verb::get, "/healthz");
        CHECK(reply.status == 200);
        CHECK(reply.body == R"({"status":"ok"})");
    }
}

TEST_CASE("Pipelined requests are answered in order", "[http][server]")
{
    HttpFixture f;
    Client client(f.port());
    const std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /auth/nope/ HTTP/1.1\r\nHost: x\r\n\r\n";
    boost::asio::write(client.stream().socket(), boost::asio::buffer(two));
    CHECK(client.read().status == 200);
    CHECK(client.read().status == 404);
}

TEST_CASE("Limits: header size 431 - body size 413 - both in the style's format", "[http][server]")
{
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings& server) {
        s.max_body_bytes = 1024;
        server.max_header_bytes = 2048;
    });
    const auto big_header =
        raw_exchange(f.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
    CHECK(big_header.rfind("HTTP/1.1 431", 0) == 0);
    auto big_body = f.send(verb::post, "/auth/users/", std::string(2048, ' '));
    CHECK(big_body.status == 413);
    CHECK(big_body.body == R"({"detail":"Request body too large."})");
    // Uploads have their own, larger limit.
    auto upload = f.send(verb::post, "/auth/users/", std::string(2048, 'x'), {{"Content-Type", "multipart/form-data; boundary=b"}});
    CHECK(upload.status == 400);
}

TEST_CASE("A slow client is cut off by the read timeout", "[http][server]")
{
    HttpFixture f([](Config&, http::HttpSettings&, http::ServerSettings& server) {
        server.read_timeout = std::chrono::seconds(1);
    });
    const auto started = std::chrono::steady_clock::now();
    // Half a request line, then silence: the server closes the connection.
    const auto answer = raw_exchange(f.port(), "GET /heal", std::chrono::seconds(10));
    CHECK(answer.empty());
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(8));
}

TEST_CASE("Garbage on the socket gets no 500 and does not hurt the server", "[http][server]")
{
    HttpFixture f;
    for (const char* garbage : {"\x01\x02 NOT HTTP\r\n\r\n",
                                "POST /auth/users/ HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
                                "GET /auth/users/me/ HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
                                "GET /users HTTP/9.9\r\n\r\n"}) {
        const std::string answer = raw_exchange(f.port(), garbage, std::chrono::seconds(2));
        INFO(garbage << " -> " << answer);
        // A 400 in the route style's format, then the connection closes.
        CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
        CHECK(answer.find("Connection: close") != std::string::npos);
        CHECK(answer.find("\r\n\r\n{\"") != std::string::npos);  // a JSON body
    }
    CHECK(f.send(verb::get, "/healthz").status == 200);
}

TEST_CASE("Password hashing queue full: 503 with Retry-After at once", "[http][server]")
{
    HttpFixture f([](Config&, http::HttpSettings& s, http::ServerSettings&) { s.hashing_queue = 0; });
    auto busy = f.post("/auth/jwt/create/", json::object{{"username", "a"}, {"password", "b"}});
    CHECK(busy.status == 503);
    CHECK(busy.header("retry-after") == "1");
    CHECK(busy.json().as_object().contains("detail"));
    // Token-checked and open requests that hash nothing still work.
    CHECK(f.send(verb::get, "/healthz").status == 200);
}

TEST_CASE("Token-checked requests are answered while logins wait for the hashing thread", "[http][server]")
{
    // One hashing thread and a real Argon2id cost: the logins queue behind each other, while a
    // request that hashes nothing is answered by the I/O threads at once. The test checks the
    // order of the answers, not their timing.
    HttpFixture f([](Config& c, http::HttpSettings& s, http::ServerSettings&) {
        c.argon2 = Argon2Params{3, 32u * 1024u * 1024u};
        s.hashing_threads = 1;
    });
    f.make_superuser("root");
    const auto auth = f.bearer("root");
    std::vector<std::unique_ptr<Client>> logins;
    const std::string body = json::serialize(json::object{{"username", "root"}, {"password", strong_password}});
    for (int i = 0; i < 4; ++i) {
        auto client = std::make_unique<Client>(f.port());
        bhttp::request<bhttp::string_body> request{verb::post, "/auth/jwt/create/", 11};
        request.set(bhttp::field::host, "x");
        request.set(bhttp::field::content_type, "application/json");
        request.body() = body;
        request.prepare_payload();
        bhttp::write(client->stream(), request);
        logins.push_back(std::move(client));
    }
    auto me = f.send(verb::get, "/auth/users/me/", {}, auth);
    CHECK(me.status == 200);
    // The last login is still waiting: its socket has nothing to read yet.
    CHECK(logins.back()->stream().socket().available() == 0);
    for (auto& client : logins) CHECK(client->read().status == 200);
}

namespace {

// The real Argon2id hasher, whose verifications wait at a gate the test opens: a request is
// then surely in flight for as long as the test needs.
class GatedHasher final : public SteppedHasher {
public:
    /// True once a verification waits at the gate (within 10 s).
    bool wait_for_waiter() const
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting_; });
    }
    void open() const
    {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

private:
    void before_verify() const override
    {
        std::unique_lock lock(mutex_);
        waiting_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return open_; });
    }

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    mutable bool waiting_ = false;
    mutable bool open_ = false;
};

}  // namespace

TEST_CASE("Graceful shutdown finishes the request in flight", "[http][server]")
{
    auto gated = std::make_unique<GatedHasher>();
    const GatedHasher& gate = *gated;
    HttpFixture f({}, {}, std::move(gated));
    // Whatever happens below, the gate opens before the fixture stops the server.
    const std::unique_ptr<const GatedHasher, void (*)(const GatedHasher*)> open_at_exit(&gate, [](const GatedHasher* g) { g->open(); });
    f.make_superuser("root");
    Client client(f.port());
    bhttp::request<bhttp::string_body> request{verb::post, "/auth/jwt/create/", 11};
    request.set(bhttp::field::host, "x");
    request.set(bhttp::field::content_type, "application/json");
    request.body() = json::serialize(json::object{{"username", "root"}, {"password", strong_password}});
    request.prepare_payload();
    bhttp::write(client.stream(), request);
    REQUIRE(gate.wait_for_waiter());  // the login is in flight, checking the password
    std::thread stopper([&] { f.server->stop(); });
    // Once the server refuses new connections it is stopping; then let the login finish.
    bool refusing = false;
    for (int i = 0; i < 500 && !refusing; ++i) {
        try {
            Client probe(f.port());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } catch (const std::exception&) {
            refusing = true;
        }
    }
    CHECK(refusing);
    // stop() marks the live connections right after it closes the acceptor.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gate.open();
    auto reply = client.read();
    stopper.join();
    CHECK(reply.status == 200);
    CHECK(reply.header("connection") == "close");
    // And the server no longer accepts connections.
    CHECK_THROWS(Client(f.port()).send(verb::get, "/healthz"));
}

TEST_CASE("healthz answers while the process lives - readyz when the database answers too", "[http][server]")
{
    HttpFixture f;
    auto reply = f.send(verb::get, "/healthz");
    CHECK(reply.status == 200);
    CHECK(reply.body == R"({"status":"ok"})");
    CHECK(f.send(verb::post, "/healthz").status == 405);
    auto ready = f.send(verb::get, "/readyz");
    CHECK(ready.status == 200);
    CHECK(ready.body == R"({"status":"ready"})");
    CHECK(f.send(verb::head, "/readyz").status == 200);
    CHECK(f.send(verb::delete_, "/readyz").status == 405);
}

TEST_CASE("Throttled attempts get 429 with Retry-After in each style's words", "[http][server][throttle]")
{
    HttpFixture f([](Config& c, http::HttpSettings&, http::ServerSettings&) {
        c.throttle.login_per_client = RateLimit{2, std::chrono::seconds(60)};
        c.throttle.reset_request_per_client = RateLimit{1, std::chrono::seconds(30)};
    });
    const json::object login{{"username", "amy"}, {"password", "wrong-password-1"}};
    CHECK(f.post("/auth/jwt/create/", login).status == 401);
    CHECK(f.post("/auth/jwt/create/", login).status == 401);
    auto limited = f.post("/auth/jwt/create/", login);
    CHECK(limited.status == 429);
    CHECK(limited.body == R"({"detail":"Request was throttled. Expected available in 60 seconds."})");
    CHECK(limited.header("retry-after") == "60");
    // The same client through the other style is the same client.
    auto users = f.post("/users/login", json::object{{"email", "amy"}, {"password", "x"}});
    CHECK(users.status == 429);
    CHECK(users.body == R"({"message":"Too many requests, try again in 60 seconds."})");

    CHECK(f.post("/users/reset-password", json::object{{"email", "a@example.com"}}).status == 200);
    auto resets = f.post("/auth/users/reset_password/", json::object{{"email", "b@example.com"}});
    CHECK(resets.status == 429);
    CHECK(resets.header("retry-after") == "30");
}

TEST_CASE("Every throttled route counts before it reads the body - malformed requests too", "[http][server][throttle]")
{
    // Declared once per operation in each style's route table; a body that is not even an
    // object is an attempt like any other.
    for (const char* target : {"/auth/users/", "/auth/users/activation/", "/auth/users/resend_activation/",
                               "/auth/users/reset_password/", "/auth/users/reset_password_confirm/",
                               "/auth/users/reset_username/", "/auth/users/reset_username_confirm/", "/auth/jwt/create/",
                               "/users", "/users/login", "/users/reset-password", "/users/valid-password-token",
                               "/users/ResetPassword"}) {
        INFO(target);
        HttpFixture f([](Config& c, http::HttpSettings&, http::ServerSettings&) {
            for (RateLimit* limit : {&c.throttle.registration_per_client, &c.throttle.activation_per_client,
                                     &c.throttle.resend_per_client, &c.throttle.reset_request_per_client,
                                     &c.throttle.reset_confirm_per_client, &c.throttle.login_per_client})
                *limit = RateLimit{1, std::chrono::seconds(60)};
        });
        const auto first = f.post(target, json::array{1});
        CHECK(first.status == 400);
        const auto second = f.post(target, json::array{1});
        CHECK(second.status == 429);
        CHECK(second.header("retry-after") == "60");
    }
}

TEST_CASE("A throttled route counts the account its body names - whatever the spacing and case", "[http][server][throttle]")
{
    HttpFixture f([](Config& c, http::HttpSettings&, http::ServerSettings&) {
        c.throttle.reset_request_per_account = RateLimit{1, std::chrono::seconds(60)};
    });
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "a@example.com"}}).status == 204);
    // DRF strips \v and \f too: a spelling the style reads as the same address is the same account.
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "\va@example.com\f"}}).status == 429);
    CHECK(f.post("/auth/users/reset_username/", json::object{{"email", "A@Example.COM"}}).status == 429);
    CHECK(f.post("/users/reset-password", json::object{{"email", " a@example.com "}}).status == 429);
    CHECK(f.post("/auth/users/reset_password/", json::object{{"email", "b@example.com"}}).status == 204);
}

TEST_CASE("One account has one login limit across styles - however it is spelled", "[http][server][throttle]")
{
    HttpFixture f([](Config& c, http::HttpSettings&, http::ServerSettings&) {
        c.throttle.login_per_account = RateLimit{3, std::chrono::seconds(60)};
    });
    f.make_user("amy");
    const json::object wrong{{"username", "amy"}, {"password", "wrong-password-1"}};
    CHECK(f.post("/auth/jwt/create/", wrong).status == 401);
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "AMY"}, {"password", "wrong-password-1"}}).status == 401);
    CHECK(f.post("/users/login", json::object{{"email", "amy@example.com"}, {"password", "x-Password-1"}}).status == 401);
    // The fourth attempt fails whichever name and style it uses, the right password too, with
    // the answer of a wrong password (a 429 would tell that the email is amy's).
    CHECK(f.post("/users/login", json::object{{"email", "amy@example.com"}, {"password", strong_password}}).status == 401);
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}}).status == 401);
}

TEST_CASE("Authenticated password checks get 429 in each style past the per-user limit", "[http][server][throttle]")
{
    HttpFixture f([](Config& c, http::HttpSettings&, http::ServerSettings&) {
        c.throttle.password_check_per_user = RateLimit{2, std::chrono::seconds(60)};
    });
    const auto id = f.make_user("amy");
    const auto amy = f.bearer("amy");
    const json::object wrong{{"current_password", "wrong-Password-1"}, {"new_password", "another-Horse-battery-7"},
                             {"re_new_password", "another-Horse-battery-7"}};
    CHECK(f.post("/auth/users/set_password/", wrong, amy).status == 400);
    CHECK(f.post("/auth/users/set_username/", json::object{{"current_password", "wrong-Password-1"}, {"new_username", "amy2"}}, amy)
              .status == 400);
    auto limited = f.post("/auth/users/set_password/", wrong, amy);
    CHECK(limited.status == 429);
    CHECK(limited.body == R"({"detail":"Request was throttled. Expected available in 60 seconds."})");
    CHECK(limited.header("retry-after") == "60");
    CHECK(f.send(verb::delete_, "/auth/users/me/", json::serialize(json::object{{"current_password", strong_password}}), amy)
              .status == 429);
    auto users = f.send(verb::put, "/users/" + std::to_string(id),
                        json::serialize(json::object{{"email", "amy@example.com"}, {"password", "another-Horse-battery-7"}}),
                        amy);
    CHECK(users.status == 429);
    CHECK(users.body == R"({"message":"Too many requests, try again in 60 seconds."})");
    // Nothing changed: the old password still logs in.
    CHECK(f.post("/auth/jwt/create/", json::object{{"username", "amy"}, {"password", strong_password}}).status == 200);
}

TEST_CASE("X-Forwarded-For counts only from a trusted proxy", "[http][server][throttle]")
{
    HttpFixture f([](Config& c, http::HttpSettings& s, http::ServerSettings&) {
        c.throttle.reset_request_per_client = RateLimit{1, std::chrono::seconds(60)};
        s.trusted_proxies = {"127.0.0.1"};
    });
    const json::object body{{"email", "a@example.com"}};
    // Behind the trusted proxy, two clients are two clients ...
    CHECK(f.post("/auth/users/reset_password/", body, {{"X-Forwarded-For", "203.0.113.1"}}).status == 204);
    CHECK(f.post("/auth/users/reset_password/", body, {{"X-Forwarded-For", "203.0.113.2, 127.0.0.1"}}).status == 204);
    CHECK(f.post("/auth/users/reset_password/", body, {{"X-Forwarded-For", "203.0.113.1"}}).status == 429);

    HttpFixture direct([](Config& c, http::HttpSettings&, http::ServerSettings&) {
        c.throttle.reset_request_per_client = RateLimit{1, std::chrono::seconds(60)};
    });
    // ... while without it the header is ignored: one peer, one client.
    CHECK(direct.post("/auth/users/reset_password/", body, {{"X-Forwarded-For", "203.0.113.1"}}).status == 204);
    CHECK(direct.post("/auth/users/reset_password/", body, {{"X-Forwarded-For", "203.0.113.2"}}).status == 429);
}

TEST_CASE("A locked database answers 503 with Retry-After - then recovers", "[http][server][storage][sqlite]")
{
    // One I/O thread: if the waiting write held it, no read could be answered meanwhile.
    HttpFixture f([](Config&, http::HttpSettings&, http::ServerSettings& server) { server.threads = 1; });
    f.make_user("amy");
    const auto amy = f.bearer("amy");
    // Another process takes the write lock and keeps it past the busy timeout (5 s).
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open((f.dir / "users.db").c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    std::atomic<bool> write_answered{false};
    Reply locked;
    std::thread writer([&] {
        locked = f.send(verb::patch, "/auth/users/me/", R"({"first_name":"Locked"})", amy);
        write_answered = true;
    });
    // While the write waits for the lock, reads are answered (WAL lets them run, and the write
    // waits on a store thread, not on the only I/O thread).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int reads_while_waiting = 0;
    for (int i = 0; i < 5; ++i) {
        const bool waiting = !write_answered;
        if (f.send(verb::get, "/auth/users/me/", {}, amy).status == 200 && waiting && !write_answered) ++reads_while_waiting;
    }
    writer.join();
    CHECK(reads_while_waiting == 5);
    CHECK(locked.status == 503);
    CHECK(locked.header("retry-after") == "1");
    CHECK(locked.body == R"({"detail":"Service temporarily unavailable, try again later."})");
    REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    auto after = f.send(verb::patch, "/auth/users/me/", R"({"first_name":"Free"})", amy);
    CHECK(after.status == 200);
    CHECK(after.json().at("first_name") == "Free");
}

TEST_CASE("Writes waiting on a locked database fill a bounded queue - then 503 at once", "[http][server][storage][sqlite]")
{
    SqliteOptions quick;
    quick.busy_timeout = std::chrono::milliseconds(1500);
    HttpFixture f([](Config&, http::HttpSettings& settings, http::ServerSettings&) {
        settings.store_threads = 1;
        settings.store_queue = 1;
    }, quick);
    const auto id = std::to_string(f.make_user("amy"));
    const auto amy = f.bearer("amy");
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open((f.dir / "users.db").c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    // The first write waits on the only store thread, the second in the queue of one.
    std::vector<Reply> waited(2);
    std::vector<std::thread> writers;
    for (int i = 0; i < 2; ++i) {
        writers.emplace_back([&, i] { waited[i] = f.send(verb::patch, "/auth/users/me/", R"({"first_name":"W"})", amy); });
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    // A third finds the queue full and is answered before the others, in each style's format.
    const auto full = f.send(verb::patch, "/auth/users/me/", R"({"first_name":"X"})", amy);
    CHECK(full.status == 503);
    CHECK(full.header("retry-after") == "1");
    CHECK(full.body == R"({"detail":"Too many requests are waiting for the database; try again shortly."})");
    const auto full_users = f.send(verb::delete_, "/users/" + id, {}, amy);  // not run: refused at the queue
    CHECK(full_users.status == 503);
    CHECK(full_users.body == R"({"message":"Too many requests are waiting for the database; try again shortly."})");
    for (auto& w : writers) w.join();
    for (const auto& w : waited) CHECK(w.status == 503);  // the lock outlived the busy timeout
    REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    CHECK(f.send(verb::patch, "/auth/users/me/", R"({"first_name":"Free"})", amy).status == 200);
}

TEST_CASE("Concurrent registrations of one name over HTTP: exactly one 201", "[http][server][concurrency]")
{
    HttpFixture f;
    std::atomic<int> created{0};
    std::atomic<int> refused{0};
    std::atomic<int> other{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 6; ++t) {
        clients.emplace_back([&, t] {
            for (int i = 0; i < 3; ++i) {
                // One username for all; one email for half of them: every refusal names a taken field.
                auto reply = f.post("/auth/users/", json::object{{"username", "same"},
                                                                 {"email", t % 2 ? "same@example.com" : "s" + std::to_string(t * 10 + i) + "@example.com"},
                                                                 {"password", strong_password},
                                                                 {"re_password", strong_password}});
                if (reply.status == 201) ++created;
                // The pre-check names every taken field; a race caught by the database names one.
                else if (reply.status == 400 && (reply.json().as_object().contains("username") ||
                                                 reply.json().as_object().contains("email")))
                    ++refused;
                else ++other;
            }
        });
    }
    for (auto& c : clients) c.join();
    CHECK(created == 1);
    CHECK(refused == 17);
    CHECK(other == 0);
}

TEST_CASE("Concurrent updates of one user over HTTP lose no acknowledged field", "[http][server][concurrency]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto amy = f.bearer("amy");
    std::string last_first;
    std::string last_last;
    const auto writer = [&](const char* field, std::string& last) {
        Client client(f.port());
        for (int i = 0; i < 25; ++i) {
            const std::string value = std::string(field) + std::to_string(i);
            auto reply = client.send(verb::patch, "/auth/users/me/", json::serialize(json::object{{field, value}}), amy);
            if (reply.status == 200) last = value;
        }
    };
    std::thread a([&] { writer("first_name", last_first); });
    std::thread b([&] { writer("last_name", last_last); });
    a.join();
    b.join();
    auto me = f.send(verb::get, "/auth/users/me/", {}, amy).json();
    CHECK(me.at("first_name") == json::value(last_first));
    CHECK(me.at("last_name") == json::value(last_last));
    CHECK(last_first == "first_name24");
}
