// usermgmt-server over HTTPS: a certificate the test makes with openssl, a real TLS client that
// verifies it, and a reload on SIGHUP.
#include "example_server.hpp"
#include "../support/smtp_test_server.hpp"  // TestCertificate

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <csignal>

namespace usermgmt::test {
namespace {

namespace ssl = boost::asio::ssl;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

struct TlsReply {
    bool handshake = false;  ///< the client accepted the server's certificate
    unsigned status = 0;
    std::string body;
};

// One request over TLS that trusts only `ca_file` and checks the name "localhost" (the test
// certificate's); `version`: 0 for any, else the one TLS version the client offers.
TlsReply tls_request(unsigned short port, const std::filesystem::path& ca_file, bhttp::verb method,
                     const std::string& target, const std::string& body = {}, int version = 0)
{
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(ca_file.string());
    context.set_verify_mode(ssl::verify_peer);
    if (version) {
        SSL_CTX_set_min_proto_version(context.native_handle(), version);
        SSL_CTX_set_max_proto_version(context.native_handle(), version);
    }
    boost::asio::io_context ioc;
    TlsStream stream(ioc, context);
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    stream.set_verify_callback(ssl::host_name_verification("localhost"));
    boost::beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    boost::beast::get_lowest_layer(stream).connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    TlsReply reply;
    boost::beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) return reply;
    reply.handshake = true;
    bhttp::request<bhttp::string_body> request{method, target, 11};
    request.set(bhttp::field::host, "localhost");
    if (!body.empty()) request.set(bhttp::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    bhttp::write(stream, request);
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    reply.status = response.result_int();
    reply.body = response.body();
    stream.shutdown(ec);  // close_notify both ways
    return reply;
}

// Waits (up to 10 s) until the server's log says `text` `count` times.
bool log_says(ExampleServer& server, const std::string& text, std::size_t count = 1)
{
    for (int i = 0; i < 200; ++i) {
        const std::string log = server.log();
        std::size_t n = 0;
        for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
        if (n >= count) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace

TEST_CASE("usermgmt-server over HTTPS: a verifying client, TLS 1.2 and 1.3, plain HTTP refused, SIGHUP reloads", "[example][tls]")
{
    TempDir dir;
    const auto certs = dir / "certs";
    std::filesystem::create_directories(certs);
    TestCertificate first(certs);  // certs/cert.pem, certs/key.pem
    const auto trusted_first = dir / "first.pem";
    std::filesystem::copy_file(first.cert, trusted_first);

    ExampleServer server(dir, args(dir, {"--tls-cert", first.cert.string(), "--tls-key", first.key.string(),
                                         "--mail-outbox", (dir / "outbox").string()}));
    const unsigned short port = server.port();
    REQUIRE(server.log().find("listening on https://127.0.0.1:") != std::string::npos);

    auto health = tls_request(port, trusted_first, bhttp::verb::get, "/healthz");
    REQUIRE(health.handshake);
    CHECK(health.status == 200);
    auto made = tls_request(port, trusted_first, bhttp::verb::post, "/auth/users/",
                            json::serialize(json::object{{"username", "amy"}, {"email", "amy@example.com"},
                                                         {"password", strong_password}, {"re_password", strong_password}}));
    CHECK(made.status == 201);
    CHECK(newest_mail(dir / "outbox").find("https://127.0.0.1:0/#/activate/") != std::string::npos);
    CHECK(tls_request(port, trusted_first, bhttp::verb::get, "/healthz", {}, TLS1_2_VERSION).status == 200);
    CHECK(tls_request(port, trusted_first, bhttp::verb::get, "/healthz", {}, TLS1_3_VERSION).status == 200);

    // A client that trusts another certificate refuses the server; plain HTTP gets no answer
    // (the handshake fails and the connection closes), and the server serves on.
    TempDir elsewhere;
    TestCertificate stranger(elsewhere.path());
    CHECK_FALSE(tls_request(port, stranger.cert, bhttp::verb::get, "/healthz").handshake);
    {
        Client plain(port);
        CHECK_THROWS(plain.send(bhttp::verb::get, "/healthz"));
    }
    CHECK(tls_request(port, trusted_first, bhttp::verb::get, "/healthz").status == 200);

    // A renewed certificate in place, then SIGHUP: new connections get it.
    std::filesystem::remove(first.cert);
    std::filesystem::remove(first.key);
    TestCertificate second(certs);
    server.signal(SIGHUP);
    REQUIRE(log_says(server, "TLS certificate reloaded"));
    CHECK(tls_request(port, second.cert, bhttp::verb::get, "/healthz").status == 200);
    CHECK_FALSE(tls_request(port, trusted_first, bhttp::verb::get, "/healthz").handshake);

    // A broken file at the next SIGHUP: the certificate in use stays.
    const auto trusted_second = dir / "second.pem";
    std::filesystem::copy_file(second.cert, trusted_second);
    {
        std::ofstream broken(second.cert);
        broken << "not a certificate\n";
    }
    server.signal(SIGHUP);
    REQUIRE(log_says(server, "TLS certificate kept: "));
    CHECK(tls_request(port, trusted_second, bhttp::verb::get, "/healthz").status == 200);
    CHECK(server.stop() == 0);
}

TEST_CASE("usermgmt-server refuses unusable TLS files at start", "[example][tls]")
{
    TempDir dir;
    TestCertificate certificate(dir.path());
    TempDir other;
    TestCertificate foreign(other.path());
    CHECK(refused_at_start(dir, {"--tls-cert", certificate.cert.string()}).find("tls_cert and tls_key go together") !=
          std::string::npos);
    CHECK(refused_at_start(dir, {"--tls-cert", (dir / "missing.pem").string(), "--tls-key", certificate.key.string()})
              .find("cannot read") != std::string::npos);
    CHECK(refused_at_start(dir, {"--tls-cert", certificate.key.string(), "--tls-key", certificate.key.string()})
              .find("not a PEM certificate chain") != std::string::npos);
    CHECK(refused_at_start(dir, {"--tls-cert", certificate.cert.string(), "--tls-key", foreign.key.string()})
              .find("is not the key of") != std::string::npos);
}

}  // namespace usermgmt::test
