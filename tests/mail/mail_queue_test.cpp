// The durable mail queue end to end: a real store (SQLite file, or the test PostgreSQL in the
// "postgres: " copies), the service's sender threads, the SMTP transport and a real SMTP server
// (aiosmtpd) on loopback that misbehaves as each test asks.
#include "usermgmt/smtp_transport.hpp"
#include "usermgmt/uid.hpp"
#include "usermgmt/user_service.hpp"

#include "../support/service_fixture.hpp"
#include "../support/smtp_test_server.hpp"
#include "../support/test_store.hpp"

#include <regex>
#include <set>

using namespace usermgmt;
using namespace usermgmt::test;

namespace {

// A service whose mail goes through the queue to an SMTP server at `port`, with short retry
// times so that the tests wait milliseconds, not minutes.
struct QueueFixture {
    explicit QueueFixture(unsigned short smtp_port, const std::function<void(MailQueueSettings&)>& tweak = {},
                          const std::function<void(Config&)>& tweak_config = {},
                          std::optional<std::filesystem::path> database_dir = std::nullopt)
    {
        Config config;
        config.jwt_secret = test_secret;
        config.argon2 = Argon2Params::cheapest_for_tests();
        if (tweak_config) tweak_config(config);
        Ports ports;
        auto store = open_test_store(database_dir.value_or(dir.path()));
        REQUIRE(store);
        ports.store = std::move(*store);
        MailTemplates templates;
        templates.site_url = "https://app.example/";
        templates.site_name = "Example";
        MailQueueSettings mail;
        mail.composer = MailComposer(templates);
        SmtpSettings smtp;
        smtp.url = "smtp://127.0.0.1:" + std::to_string(smtp_port);
        smtp.starttls = StartTls::off;
        smtp.connect_timeout = std::chrono::seconds(2);
        smtp.timeout = std::chrono::seconds(5);
        mail.transport = std::move(*make_smtp_transport(smtp));
        mail.first_retry = std::chrono::milliseconds(50);
        mail.max_retry = std::chrono::milliseconds(200);
        mail.poll_interval = std::chrono::milliseconds(50);
        mail.on_error = [this](const std::string& line) {
            std::lock_guard lock(log_mutex);
            log.push_back(line);
        };
        if (tweak) tweak(mail);
        ports.mail = std::move(mail);
        auto made = UserService::create(std::move(config), std::move(ports));
        REQUIRE(made);
        service = std::move(*made);
    }

    User register_inactive(const std::string& name)
    {
        NewUser in;
        in.username = name;
        in.email = name + "@example.com";
        in.password = good_password;
        in.require_activation = true;
        auto made = service->register_user(in);
        REQUIRE(made);
        return made->user;
    }

    MailQueueCounts counts() const
    {
        auto c = service->mail_queue_counts();
        REQUIRE(c);
        return *c;
    }

    // Waits (bounded) until the queue holds no mail waiting.
    bool drained(int dead = 0) const
    {
        for (int i = 0; i < 500; ++i) {
            const auto c = counts();
            if (c.queued == 0 && c.dead == static_cast<std::uint64_t>(dead)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    std::vector<std::string> errors() const
    {
        std::lock_guard lock(log_mutex);
        return log;
    }

    TempDir dir;
    mutable std::mutex log_mutex;
    std::vector<std::string> log;
    // Last: its sender threads write to `log` until it is gone.
    std::unique_ptr<UserService> service;
};

// The uid and token of the link of `kind` in a received mail's text part.
OneTimeCode code_in(const std::string& mail, const std::string& path)
{
    const std::regex link("https://app\\.example/#/" + path + "/([A-Za-z0-9_-]+)/([0-9a-f]{64})");
    std::smatch m;
    REQUIRE(std::regex_search(mail, m, link));
    const auto id = decode_uid(m[1].str());
    REQUIRE(id);
    return OneTimeCode{NamedUser{*id}, m[2].str()};
}

}  // namespace

TEST_CASE("Queue: the activation and reset mails arrive through SMTP - and their links work", "[mail][queue]")
{
    TempDir smtp_dir;
    SmtpTestServer smtp(smtp_dir.path(), {});
    QueueFixture f(smtp.port());
    const User amy = f.register_inactive("amy");
    auto mails = smtp.wait_for(1);
    REQUIRE(mails.size() == 1);
    CHECK(mails[0].find("Subject: Account activation on Example\r\n") != std::string::npos);
    CHECK(mails[0].find("To: amy@example.com\r\n") != std::string::npos);
    CHECK(mails[0].find("text/html") != std::string::npos);
    REQUIRE(f.service->activate(code_in(mails[0], "activate")));

    REQUIRE(f.service->request_password_reset("amy@example.com"));
    mails = smtp.wait_for(2);
    REQUIRE(mails.size() == 2);
    CHECK(mails[1].find("Subject: Password reset on Example\r\n") != std::string::npos);
    CHECK(mails[1].find("Your username, in case you've forgotten: amy") != std::string::npos);
    REQUIRE(f.service->confirm_password_reset(code_in(mails[1], "password/reset/confirm"), "another-Horse-battery-7",
                                              std::nullopt));
    CHECK(f.service->login("amy", "another-Horse-battery-7"));
    // Sent mails leave the queue: no token stays in the store.
    CHECK(f.drained());
    CHECK(f.service->list_mail(MailState::queued)->empty());
    (void)amy;
}

TEST_CASE("Queue: 451 and 421 twice, then accepted - delivered on the third try", "[mail][queue]")
{
    TempDir smtp_dir;
    SmtpTestServer smtp(smtp_dir.path(), SmtpBehaviour{.fail = "451,421"});
    QueueFixture f(smtp.port());
    f.register_inactive("amy");
    const auto mails = smtp.wait_for(1);
    REQUIRE(mails.size() == 1);
    REQUIRE(f.service->activate(code_in(mails[0], "activate")));
    CHECK(f.drained());
    const auto errors = f.errors();
    REQUIRE(errors.size() == 2);  // one line per failed attempt
    CHECK(errors[0].find("451") != std::string::npos);
    CHECK(errors[1].find("421") != std::string::npos);
    for (const auto& line : errors) CHECK(line.find("#/activate/") == std::string::npos);  // never the link
}

TEST_CASE("Queue: a 550 kills the mail at once, with the reason - retry sends a fresh link", "[mail][queue]")
{
    TempDir smtp_dir;
    const unsigned short port = SmtpTestServer::free_port();
    std::optional<SmtpTestServer> smtp;
    smtp.emplace(smtp_dir.path(), SmtpBehaviour{.port = port, .reject = "550"});
    QueueFixture f(port);
    f.register_inactive("amy");
    REQUIRE(f.drained(1));
    auto dead = f.service->list_mail(MailState::dead);
    REQUIRE(dead);
    REQUIRE(dead->size() == 1);
    const QueuedMail& mail = (*dead)[0];
    CHECK(mail.attempts == 1);  // never retried
    CHECK(mail.last_error.find("550") != std::string::npos);
    CHECK(mail.kind == NotificationKind::activation);
    CHECK(mail.message.to == "amy@example.com");
    CHECK(smtp->messages().empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several poll intervals
    CHECK(f.counts().dead == 1);
    CHECK(f.counts().queued == 0);

    // The address is fixed on the mail server's side: the operator sends it again.
    smtp.reset();
    smtp.emplace(smtp_dir.path(), SmtpBehaviour{.port = port});
    auto again = f.service->retry_mail(mail.id);
    REQUIRE(again);
    CHECK(*again != mail.id);
    const auto mails = smtp->wait_for(1);
    REQUIRE(mails.size() == 1);
    REQUIRE(f.service->activate(code_in(mails[0], "activate")));
    CHECK(f.drained(0));
    // Errors of the operator's call.
    CHECK(f.service->retry_mail(mail.id).error().code == Errc::not_found);
    CHECK(f.service->retry_mail(*again).error().code == Errc::not_found);  // sent: gone
}

TEST_CASE("Queue: retrying a dead mail the account no longer needs is refused", "[mail][queue]")
{
    TempDir smtp_dir;
    SmtpTestServer smtp(smtp_dir.path(), SmtpBehaviour{.reject = "550"});
    QueueFixture f(smtp.port(), [](MailQueueSettings& s) { s.senders = 1; });
    const User amy = f.register_inactive("amy");
    REQUIRE(f.drained(1));
    const MailId id = f.service->list_mail(MailState::dead)->at(0).id;
    // Staff activated the account meanwhile: no activation link goes out any more.
    auto root = f.service->create_superuser("root", "root@example.com", good_password);
    REQUIRE(root);
    auto tokens = f.service->login("root", good_password);
    REQUIRE(tokens);
    UserPatch patch;
    patch.is_active = true;
    REQUIRE(f.service->update_user(*f.service->authenticate(tokens->access), amy.id, patch));
    auto refused = f.service->retry_mail(id);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_argument);
    CHECK(f.counts().dead == 1);  // left as it was
}

TEST_CASE("Queue: the SMTP server is down while users register - every mail arrives once it starts", "[mail][queue]")
{
    TempDir smtp_dir;
    const unsigned short port = SmtpTestServer::free_port();
    QueueFixture f(port);
    for (int i = 0; i < 5; ++i) f.register_inactive("user" + std::to_string(i));
    // Every registration answered; the mails wait.
    for (int i = 0; i < 100 && f.errors().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(f.counts().queued == 5);
    SmtpTestServer smtp(smtp_dir.path(), SmtpBehaviour{.port = port});
    const auto mails = smtp.wait_for(5);
    REQUIRE(mails.size() == 5);
    for (const auto& mail : mails) CHECK(f.service->activate(code_in(mail, "activate")));
    CHECK(f.drained());
}

TEST_CASE("Queue: a silent SMTP server never holds a service call", "[mail][queue]")
{
    TempDir smtp_dir;
    SmtpTestServer smtp(smtp_dir.path(), SmtpBehaviour{.silent = true});
    QueueFixture f(smtp.port(), [](MailQueueSettings& s) { s.lease = std::chrono::minutes(5); });
    // The sender hangs on the first mail (until the 5 s transfer timeout); the calls return
    // meanwhile, and their mails wait in the queue.
    for (int i = 0; i < 4; ++i) f.register_inactive("user" + std::to_string(i));
    REQUIRE(f.service->request_password_reset("nobody@example.com"));
    const auto c = f.counts();
    CHECK(c.queued == 4);
    CHECK(c.sending <= 1);
}

TEST_CASE("Queue: two nodes on one database, three senders each - every mail goes exactly once", "[mail][queue]")
{
    TempDir smtp_dir;
    SmtpTestServer smtp(smtp_dir.path(), {});
    TempDir shared;
    const auto three = [](MailQueueSettings& s) { s.senders = 3; };
    QueueFixture a(smtp.port(), three, {}, shared.path());
    QueueFixture b(smtp.port(), three, {}, shared.path());
    constexpr int users = 20;
    for (int i = 0; i < users; ++i) (i % 2 ? a : b).register_inactive("user" + std::to_string(i));
    CHECK(a.drained());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a duplicate would arrive meanwhile
    const auto mails = smtp.messages();
    CHECK(mails.size() == static_cast<std::size_t>(users));
    std::set<std::string> recipients;
    for (const auto& mail : mails) recipients.insert(mail.substr(0, mail.find("\r\n", mail.find("X-Envelope-To"))));
    CHECK(recipients.size() == static_cast<std::size_t>(users));
}

TEST_CASE("Queue: a mail whose link expired before it could go is given up", "[mail][queue]")
{
    const unsigned short port = SmtpTestServer::free_port();  // nobody listens: every attempt fails
    QueueFixture f(
        port, [](MailQueueSettings& s) { s.max_attempts = 1000; },
        [](Config& c) { c.activation_token_lifetime = std::chrono::seconds(1); });
    f.register_inactive("amy");
    REQUIRE(f.drained(1));
    auto dead = f.service->list_mail(MailState::dead);
    REQUIRE(dead);
    REQUIRE(dead->size() == 1);
    CHECK((*dead)[0].last_error.find("expired") != std::string::npos);
    CHECK((*dead)[0].attempts > 1);
}

TEST_CASE("Queue: without a transport, or beside a notifier, the service refuses to start", "[mail][queue]")
{
    TempDir dir;
    Config config;
    config.jwt_secret = test_secret;
    {
        Ports ports;
        ports.store = std::move(*open_test_store(dir.path()));
        ports.mail = MailQueueSettings{};
        auto made = UserService::create(config, std::move(ports));
        REQUIRE_FALSE(made);
        CHECK(made.error().code == Errc::bad_config);
    }
    {
        Ports ports;
        ports.store = std::move(*open_test_store(dir.path()));
        MailQueueSettings mail;
        mail.transport = std::make_unique<OutboxTransport>(dir / "outbox");
        ports.mail = std::move(mail);
        ports.notifier = std::make_unique<NullNotifier>();
        auto made = UserService::create(config, std::move(ports));
        REQUIRE_FALSE(made);
        CHECK(made.error().code == Errc::bad_config);
    }
    // Settings that would send one mail twice at once (no lease) or spin (no wait).
    for (const auto& broken : std::vector<std::function<void(MailQueueSettings&)>>{
             [](MailQueueSettings& m) { m.lease = std::chrono::milliseconds(0); },
             [](MailQueueSettings& m) { m.poll_interval = std::chrono::milliseconds(-1); },
             [](MailQueueSettings& m) { m.first_retry = std::chrono::milliseconds(0); },
             [](MailQueueSettings& m) { m.max_retry = std::chrono::hours(24 * 365); },
             [](MailQueueSettings& m) { m.max_attempts = 0; }}) {
        Ports ports;
        ports.store = std::move(*open_test_store(dir.path()));
        MailQueueSettings mail;
        mail.transport = std::make_unique<OutboxTransport>(dir / "outbox");
        broken(mail);
        ports.mail = std::move(mail);
        auto made = UserService::create(config, std::move(ports));
        REQUIRE_FALSE(made);
        CHECK(made.error().code == Errc::bad_config);
    }
}
