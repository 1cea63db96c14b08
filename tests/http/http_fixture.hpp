#pragma once
// A real server on an ephemeral loopback port, over a real SQLite file and a real .eml outbox,
// with a real Beast client.

#include "usermgmt/http/server.hpp"
#include "usermgmt/usermgmt.hpp"

#include "../support/temp_dir.hpp"
#include "../support/test_store.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace usermgmt::test {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

inline const std::string strong_password = "correct-Horse-battery-9";

struct Reply {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;

    json::value json() const { return json::parse(body); }
    std::string header(const std::string& name) const
    {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// When USERMGMT_RECORD_ANSWERS names a directory, appends one JSON line {method, target, status,
/// content_type, body} for the answer to DIR/answers-<pid>.jsonl, in one write (many threads and
/// test processes may record at once). tests/openapi/validate_answers.py checks the lines against
/// docs/openapi.json.
inline void record_answer(std::string_view method, const std::string& target, const Reply& reply)
{
    static const char* const dir = [] {
        const char* named = std::getenv("USERMGMT_RECORD_ANSWERS");
        if (named && *named) std::filesystem::create_directories(named);
        return named;
    }();
    if (!dir || !*dir) return;
    const std::string line = json::serialize(json::object{{"method", method},
                                                          {"target", target},
                                                          {"status", reply.status},
                                                          {"content_type", reply.header("content-type")},
                                                          {"body", reply.body}}) +
                             "\n";
    const std::string path = std::string(dir) + "/answers-" + std::to_string(::getpid()) + ".jsonl";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const bool whole = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    if (fd >= 0) ::close(fd);
    if (!whole) {
        // Not Catch's REQUIRE: clients answer on other threads too. A lost line must not pass unseen.
        std::fprintf(stderr, "cannot record an answer in %s\n", path.c_str());
        std::abort();
    }
}

/// One keep-alive connection to the server.
class Client {
public:
    explicit Client(unsigned short port) : stream_(ioc_)
    {
        stream_.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    }

    Reply send(bhttp::verb method, const std::string& target, const std::string& body = {},
               const std::map<std::string, std::string>& headers = {})
    {
        bhttp::request<bhttp::string_body> request{method, target, 11};
        request.set(bhttp::field::host, "127.0.0.1");
        for (const auto& [name, value] : headers) request.set(name, value);
        if (!body.empty() && !headers.count("Content-Type")) request.set(bhttp::field::content_type, "application/json");
        request.body() = body;
        request.prepare_payload();
        bhttp::write(stream_, request);
        Reply reply = read(method == bhttp::verb::head);
        record_answer(bhttp::to_string(method), target, reply);
        return reply;
    }

    Reply read(bool head = false)
    {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        parser.skip(head);
        bhttp::read(stream_, buffer_, parser);
        Reply reply;
        const auto& response = parser.get();
        reply.status = response.result_int();
        for (const auto& field : response) {
            std::string name(field.name_string());
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            reply.headers[name] = std::string(field.value());
        }
        reply.body = response.body();
        return reply;
    }

    boost::beast::tcp_stream& stream() { return stream_; }

private:
    boost::asio::io_context ioc_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
};

struct HttpFixture {
    explicit HttpFixture(const std::function<void(Config&, http::HttpSettings&, http::ServerSettings&)>& tweak = {},
                         const SqliteOptions& store_options = {}, std::unique_ptr<PasswordHasher> hasher = nullptr)
    {
        Config config;
        config.jwt_secret = "http-test-secret-http-test-secret-0123456789";
        config.argon2 = Argon2Params::cheapest_for_tests();
        http::HttpSettings settings;
        http::ServerSettings server_settings;
        server_settings.port = 0;
        if (tweak) tweak(config, settings, server_settings);
        Ports ports;
        auto store = test::open_test_store(dir.path(), store_options);
        REQUIRE(store);
        ports.store = std::move(*store);
        ports.hasher = std::move(hasher);  // null: Argon2id with config.argon2
        MailTemplates mail;
        mail.site_url = "http://frontend.example/";
        ports.notifier = std::make_unique<TemplateMailer>(mail, std::make_unique<OutboxTransport>(dir / "outbox"));
        ports.media = make_directory_media_store(dir / "media");
        auto made = UserService::create(config, std::move(ports));
        REQUIRE(made);
        service = std::move(*made);
        handler = std::make_unique<http::Handler>(*service, settings);
        auto started = http::Server::start(*handler, server_settings);
        REQUIRE(started);
        server = std::move(*started);
    }

    unsigned short port() const { return server->port(); }

    /// A request on a fresh connection.
    Reply send(bhttp::verb method, const std::string& target, const std::string& body = {},
               const std::map<std::string, std::string>& headers = {})
    {
        Client client(port());
        return client.send(method, target, body, headers);
    }

    Reply post(const std::string& target, const json::value& body, const std::map<std::string, std::string>& headers = {})
    {
        return send(bhttp::verb::post, target, json::serialize(body), headers);
    }

    /// `Authorization: Bearer <access>` of a fresh login.
    std::map<std::string, std::string> bearer(const std::string& username, const std::string& password = strong_password)
    {
        auto reply = post("/auth/jwt/create/", json::object{{"username", username}, {"password", password}});
        REQUIRE(reply.status == 200);
        return {{"Authorization", "Bearer " + std::string(reply.json().at("access").as_string())}};
    }

    /// An active account made through the API: register, then activate with the mailed link.
    std::int64_t make_user(const std::string& username)
    {
        auto reply = post("/auth/users/", json::object{{"username", username},
                                                       {"email", username + "@example.com"},
                                                       {"password", strong_password},
                                                       {"re_password", strong_password}});
        REQUIRE(reply.status == 201);
        auto [uid, token] = link_parts("#/activate/");
        REQUIRE(post("/auth/users/activation/", json::object{{"uid", uid}, {"token", token}}).status == 204);
        return reply.json().at("id").as_int64();
    }

    /// A staff superuser made through the core (as the example server does from its environment).
    void make_superuser(const std::string& username)
    {
        REQUIRE(service->create_superuser(username, username + "@example.com", strong_password));
    }

    /// The newest mail in the outbox.
    std::string last_mail() const
    {
        std::filesystem::path newest;
        for (const auto& e : std::filesystem::directory_iterator(dir / "outbox"))
            if (e.path().extension() == ".eml" && e.path() > newest) newest = e.path();
        REQUIRE_FALSE(newest.empty());
        std::ifstream in(newest, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    std::size_t mail_count() const
    {
        if (!std::filesystem::exists(dir / "outbox")) return 0;
        std::size_t n = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir / "outbox"))
            if (e.path().extension() == ".eml") ++n;
        return n;
    }

    /// uid and token of the newest mail's link that contains `marker`.
    std::pair<std::string, std::string> link_parts(const std::string& marker) const
    {
        const std::string mail = last_mail();
        const auto at = mail.find(marker);
        REQUIRE(at != std::string::npos);
        const auto start = at + marker.size();
        const std::string rest = mail.substr(start, mail.find("\r\n", start) - start);
        const auto slash = rest.find('/');
        return {rest.substr(0, slash), rest.substr(slash + 1)};
    }

    TempDir dir;
    std::unique_ptr<UserService> service;
    std::unique_ptr<http::Handler> handler;
    std::unique_ptr<http::Server> server;
};

/// `{"field": ["message", ...]}` as a JSON text, for exact comparisons.
inline std::string body_of(const json::value& v)
{
    return json::serialize(v);
}

}  // namespace usermgmt::test
