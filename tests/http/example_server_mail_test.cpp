// usermgmt-server's mail as an operator sets it up: SMTP with STARTTLS and AUTH (the password
// from the environment), mail that survives kill -9, and options that refuse to start wrong.
#include "example_server.hpp"
#include "../support/smtp_test_server.hpp"

#include <set>

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

Reply register_over_http(Client& client, const std::string& name)
{
    return client.send(verb::post, "/auth/users/",
                       json::serialize(json::object{{"username", name}, {"email", name + "@example.com"},
                                                    {"password", strong_password}, {"re_password", strong_password}}));
}

// uid and token of the activation link in a received mail.
std::pair<std::string, std::string> activation_link(const std::string& mail)
{
    const std::regex link("https://app\\.example/#/activate/([A-Za-z0-9_-]+)/([0-9a-f]{64})");
    std::smatch m;
    REQUIRE(std::regex_search(mail, m, link));
    return {m[1].str(), m[2].str()};
}

}  // namespace

TEST_CASE("usermgmt-server --smtp-url: the activation mail goes by SMTP (STARTTLS, AUTH) and its link activates",
          "[example][mail]")
{
    TempDir dir;
    TestCertificate certificate(dir.path());
    SmtpTestServer smtp(dir.path(), SmtpBehaviour{.starttls = true, .auth = "mailer:s3cret pass"}, &certificate);
    ExampleServer server(dir, args(dir, {"--smtp-url", smtp.url(), "--smtp-user", "mailer", "--smtp-ca-file",
                                         certificate.cert.string(), "--site-url", "https://app.example/",
                                         "--site-name", "Example", "--mail-from", "Example <noreply@example.com>",
                                         "--mail-reply-to", "help@example.com"}),
                         {"USERMGMT_SMTP_PASSWORD=s3cret pass"});
    Client client(server.port());
    REQUIRE(register_over_http(client, "amy").status == 201);
    const auto mails = smtp.wait_for(1);
    REQUIRE(mails.size() == 1);
    CHECK(mails[0].find("From: Example <noreply@example.com>\r\n") != std::string::npos);
    CHECK(mails[0].find("Reply-To: help@example.com\r\n") != std::string::npos);
    CHECK(mails[0].find("X-Envelope-From: noreply@example.com\r\n") == 0);
    const auto [uid, token] = activation_link(mails[0]);
    CHECK(client.send(verb::post, "/auth/users/activation/", json::serialize(json::object{{"uid", uid}, {"token", token}})).status == 204);
    CHECK(server.log().find("s3cret") == std::string::npos);
    CHECK(server.log().find(token) == std::string::npos);
    CHECK(server.stop() == 0);
}

TEST_CASE("usermgmt-server killed with -9 while mails wait: restarted, every mail arrives", "[example][mail]")
{
    TempDir dir;
    const unsigned short smtp_port = SmtpTestServer::free_port();  // the mail server is down
    const auto options = args(dir, {"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port), "--smtp-starttls",
                                    "off", "--site-url", "https://app.example/", "--mail-retry-seconds", "1",
                                    "--smtp-timeout", "2", "--mail-lease-seconds", "10"});
    {
        ExampleServer server(dir, options);
        Client client(server.port());
        for (int i = 0; i < 5; ++i) REQUIRE(register_over_http(client, "user" + std::to_string(i)).status == 201);
        // Every mail was tried and failed once, then the process dies (most likely between two
        // rounds of attempts; a mail it held at that moment waits out its lease).
        const auto deferred = [&] {
            const std::string log = server.log();
            std::size_t n = 0;
            for (auto at = log.find("deferred"); at != std::string::npos; at = log.find("deferred", at + 1)) ++n;
            return n;
        };
        for (int i = 0; i < 250 && deferred() < 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CHECK(deferred() >= 5);
        server.crash();
    }
    SmtpTestServer smtp(dir.path(), SmtpBehaviour{.port = smtp_port});
    ExampleServer restarted(dir, options);
    const unsigned short port = restarted.port();
    const auto mails = smtp.wait_for(5, std::chrono::seconds(40));  // a mail held at the kill waits out its lease
    REQUIRE(mails.size() == 5);
    std::set<std::string> recipients;
    Client client(port);  // after the wait: an idle connection would have timed out
    for (const auto& mail : mails) {
        const auto at = mail.find("X-Envelope-To: ");
        recipients.insert(mail.substr(at, mail.find("\r\n", at) - at));
        const auto [uid, token] = activation_link(mail);
        CHECK(client.send(verb::post, "/auth/users/activation/", json::serialize(json::object{{"uid", uid}, {"token", token}})).status == 204);
    }
    CHECK(recipients.size() == 5);
    CHECK(restarted.stop() == 0);
}

TEST_CASE("usermgmt-server: a silent SMTP server never holds an HTTP answer", "[example][mail]")
{
    TempDir dir;
    SmtpTestServer silent(dir.path(), SmtpBehaviour{.silent = true});
    ExampleServer server(dir, args(dir, {"--smtp-url", silent.url(), "--smtp-starttls", "off", "--smtp-timeout", "30"}));
    Client client(server.port());
    // The sender hangs on the first mail for up to 30 s. Had any answer waited for it, that
    // attempt would have ended (and logged "deferred") before the answer came.
    for (int i = 0; i < 3; ++i) REQUIRE(register_over_http(client, "user" + std::to_string(i)).status == 201);
    CHECK(client.send(verb::post, "/auth/users/reset_password/", json::serialize(json::object{{"email", "user0@example.com"}}))
              .status == 204);
    CHECK(server.log().find("deferred") == std::string::npos);
    CHECK(server.stop() == 0);  // the hung send is cut short: the server stops at once
}

TEST_CASE("Mail options that cannot work refuse to start - the SMTP password is no flag", "[example][mail]")
{
    TempDir dir;
    const auto refused = [&](std::vector<std::string> extra) { return refused_at_start(dir, std::move(extra)); };
    CHECK(refused({"--smtp-password", "visible-in-ps"}).find("unknown option") != std::string::npos);
    CHECK(refused({"--smtp-url", "smtp://127.0.0.1:25", "--smtp-starttls", "sometimes"}).find("smtp_starttls") !=
          std::string::npos);
    CHECK(refused({"--smtp-url", "http://127.0.0.1:25"}).find("smtp://") != std::string::npos);
    CHECK(refused({"--mail-templates", (dir / "missing").string()}).find("not a directory") != std::string::npos);
    std::filesystem::create_directories(dir / "templates");
    std::ofstream(dir / "templates" / "activation.txt") << "{{ token }}";
    CHECK(refused({"--mail-templates", (dir / "templates").string()}).find("unknown variable") != std::string::npos);
    CHECK(refused({"--smtp-url", "smtp://127.0.0.1:25", "--smtp-password-file", (dir / "nope").string()})
              .find("password file") != std::string::npos);
}

TEST_CASE("usermgmt-server --mail-templates: the operator's wording goes out", "[example][mail]")
{
    TempDir dir;
    std::filesystem::create_directories(dir / "templates");
    std::ofstream(dir / "templates" / "activation.subject.txt") << "Welcome, {{ username }}!";
    std::ofstream(dir / "templates" / "activation.txt") << "Open {{ link }} to start.\n";
    const auto outbox = dir / "outbox";
    ExampleServer server(dir, args(dir, {"--mail-outbox", outbox.string(), "--mail-templates", (dir / "templates").string(),
                                         "--site-url", "https://app.example/"}));
    Client client(server.port());
    REQUIRE(register_over_http(client, "amy").status == 201);
    const auto mail = newest_mail(outbox);
    CHECK(mail.find("Subject: Welcome, amy!\r\n") != std::string::npos);
    CHECK(mail.find("Open https://app.example/#/activate/") != std::string::npos);
    CHECK(server.stop() == 0);
}
