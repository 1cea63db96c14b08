// The SMTP transport against a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS with a
// certificate the test makes, implicit TLS, AUTH, refusals, and servers that are down or silent.
#include "usermgmt/smtp_transport.hpp"

#include "../support/smtp_test_server.hpp"
#include "../support/temp_dir.hpp"

using namespace usermgmt;
using namespace usermgmt::test;

namespace {

MailMessage message()
{
    MailMessage m;
    m.from = "Example <webmaster@example.com>";
    m.to = "amy@example.com";
    m.reply_to = "help@example.com";
    m.subject = "Password reset on Example";
    m.body = "Go to https://app.example/#/reset/abc\n.\nA line with only a dot above.\n";
    m.html = "<p><a href=\"https://app.example/#/reset/abc\">reset</a></p>\n";
    return m;
}

SmtpSettings plain(const SmtpTestServer& server)
{
    SmtpSettings s;
    s.url = server.url();
    s.starttls = StartTls::off;
    s.connect_timeout = std::chrono::seconds(5);
    s.timeout = std::chrono::seconds(10);
    return s;
}

Result<void> send(SmtpSettings settings, const MailMessage& m = message())
{
    auto transport = make_smtp_transport(std::move(settings));
    REQUIRE(transport);
    return (*transport)->send(m);
}

}  // namespace

TEST_CASE("SMTP: a message arrives with its headers, envelope and both parts", "[mail][smtp]")
{
    TempDir dir;
    SmtpTestServer server(dir.path(), {});
    auto settings = plain(server);
    settings.envelope_from = "bounces@example.com";
    REQUIRE(send(settings));
    const auto received = server.wait_for(1);
    REQUIRE(received.size() == 1);
    const std::string& mail = received[0];
    CHECK(mail.find("X-Envelope-From: bounces@example.com\r\n") == 0);
    CHECK(mail.find("X-Envelope-To: amy@example.com\r\n") != std::string::npos);
    CHECK(mail.find("From: Example <webmaster@example.com>\r\n") != std::string::npos);
    CHECK(mail.find("To: amy@example.com\r\n") != std::string::npos);
    CHECK(mail.find("Reply-To: help@example.com\r\n") != std::string::npos);
    CHECK(mail.find("Subject: Password reset on Example\r\n") != std::string::npos);
    CHECK(mail.find("Content-Type: multipart/alternative; boundary=") != std::string::npos);
    CHECK(mail.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
    CHECK(mail.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
    CHECK(mail.find("<a href=\"https://app.example/#/reset/abc\">") != std::string::npos);
    // The lone dot did not end the message early (libcurl stuffs it, the server unstuffs it).
    CHECK(mail.find("\r\n.\r\nA line with only a dot above.\r\n") != std::string::npos);
    // Without an envelope setting, the From address is the sender.
    REQUIRE(send(plain(server)));
    CHECK(server.wait_for(2).at(1).find("X-Envelope-From: webmaster@example.com\r\n") == 0);
}

TEST_CASE("SMTP: STARTTLS with a verified certificate and AUTH", "[mail][smtp]")
{
    TempDir dir;
    TestCertificate certificate(dir.path());
    SmtpTestServer server(dir.path(), SmtpBehaviour{.starttls = true, .auth = "mailer:s3cret"}, &certificate);
    SmtpSettings s = plain(server);
    s.starttls = StartTls::required;
    s.ca_file = certificate.cert.string();
    s.username = "mailer";
    s.password = "s3cret";
    REQUIRE(send(s));
    CHECK(server.wait_for(1).size() == 1);

    SECTION("a wrong password is a temporary failure (the setup's fault), nothing sent")
    {
        s.password = "wrong";
        auto failed = send(s);
        REQUIRE_FALSE(failed);
        CHECK(failed.error().code == Errc::storage_failure);
        CHECK(failed.error().message.find("wrong") == std::string::npos);  // no password in the reason
    }
    SECTION("a certificate the CA file does not vouch for is refused")
    {
        s.ca_file.clear();  // the system's CAs do not know the test's
        auto failed = send(s);
        REQUIRE_FALSE(failed);
        CHECK(failed.error().code == Errc::storage_failure);
    }
    CHECK(server.messages().size() == 1);
}

TEST_CASE("SMTP: STARTTLS required and not offered - nothing is sent in the clear", "[mail][smtp]")
{
    TempDir dir;
    SmtpTestServer server(dir.path(), {});
    SmtpSettings s = plain(server);
    s.starttls = StartTls::required;
    auto failed = send(s);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == Errc::storage_failure);
    s.starttls = StartTls::optional;  // the setting that allows it
    REQUIRE(send(s));
    CHECK(server.wait_for(1).size() == 1);
}

TEST_CASE("SMTP: implicit TLS (smtps://)", "[mail][smtp]")
{
    TempDir dir;
    TestCertificate certificate(dir.path());
    SmtpTestServer server(dir.path(), SmtpBehaviour{.smtps = true}, &certificate);
    SmtpSettings s = plain(server);
    s.url = server.url("smtps");
    s.ca_file = certificate.cert.string();
    REQUIRE(send(s));
    CHECK(server.wait_for(1).size() == 1);
}

TEST_CASE("SMTP: a 5xx refusal is permanent - a 4xx, a refused connection and a silent server are temporary",
          "[mail][smtp]")
{
    TempDir dir;
    {
        SmtpTestServer rejecting(dir.path(), SmtpBehaviour{.reject = "550"});
        auto refused = send(plain(rejecting));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == Errc::invalid_argument);
        CHECK(refused.error().message.find("550") != std::string::npos);
    }
    {
        SmtpTestServer busy(dir.path(), SmtpBehaviour{.fail = "451"});
        auto later = send(plain(busy));
        REQUIRE_FALSE(later);
        CHECK(later.error().code == Errc::storage_failure);
        CHECK(later.error().message.find("451") != std::string::npos);
        REQUIRE(send(plain(busy)));  // its second answer is 250
    }
    SmtpSettings nobody;
    nobody.url = "smtp://127.0.0.1:" + std::to_string(SmtpTestServer::free_port());
    nobody.starttls = StartTls::off;
    auto refused_connection = send(nobody);
    REQUIRE_FALSE(refused_connection);
    CHECK(refused_connection.error().code == Errc::storage_failure);

    SmtpTestServer silent(dir.path(), SmtpBehaviour{.silent = true});
    SmtpSettings s = plain(silent);
    s.timeout = std::chrono::seconds(1);  // the bound on one exchange
    auto timed_out = send(s);
    REQUIRE_FALSE(timed_out);
    CHECK(timed_out.error().code == Errc::storage_failure);
}

TEST_CASE("SMTP: only smtp:// and smtps:// URLs", "[mail][smtp]")
{
    for (const char* url : {"http://127.0.0.1:25", "file:///etc/passwd", "", "smtp:/x"}) {
        SmtpSettings s;
        s.url = url;
        auto made = make_smtp_transport(s);
        REQUIRE_FALSE(made);
        CHECK(made.error().code == Errc::bad_config);
    }
}

TEST_CASE("SMTP: the recipient is used whole or not at all - a bracket in a quoted local part sends nothing",
          "[mail][smtp]")
{
    TempDir dir;
    SmtpTestServer server(dir.path(), {});
    for (const char* to : {"\"<attacker@evil.example>\"@corp.example", "a>b@example.com", "a b@example.com", "nobody"}) {
        MailMessage m = message();
        m.to = to;
        auto refused = send(plain(server), m);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == Errc::invalid_argument);  // permanent: the address never works
    }
    CHECK(server.messages().empty());
}

TEST_CASE("SMTP: a 5xx before the recipient (AUTH required, none set up) is the setup's fault - tried again",
          "[mail][smtp]")
{
    TempDir dir;
    SmtpTestServer server(dir.path(), SmtpBehaviour{.auth = "mailer:s3cret"});  // plain AUTH: 530 to MAIL FROM
    auto failed = send(plain(server));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == Errc::storage_failure);
    CHECK(failed.error().message.find("530") != std::string::npos);
}

TEST_CASE("SMTP: AUTH over a connection that may stay plain only to this host", "[mail][smtp]")
{
    SmtpSettings s;
    s.url = "smtp://mail.example.com:587";
    s.username = "user";
    s.password = "password";
    for (auto mode : {StartTls::optional, StartTls::off}) {
        s.starttls = mode;
        auto made = make_smtp_transport(s);
        REQUIRE_FALSE(made);
        CHECK(made.error().code == Errc::bad_config);
    }
    s.starttls = StartTls::required;
    CHECK(make_smtp_transport(s));
    s.url = "smtps://mail.example.com:465";
    s.starttls = StartTls::off;
    CHECK(make_smtp_transport(s));  // TLS from the first byte
    s.url = "smtp://127.0.0.1:2525";
    CHECK(make_smtp_transport(s));  // a relay on this host
}
