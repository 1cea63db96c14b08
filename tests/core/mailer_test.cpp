#include "usermgmt/mailer.hpp"

#include "../support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>
#include <sstream>

using namespace usermgmt;

namespace {

Notification activation_for(const std::string& email)
{
    Notification n;
    n.kind = NotificationKind::activation;
    n.user.id = 2;
    n.user.username = "alice";
    n.user.email = email;
    n.token = std::string(64, 'a');
    return n;
}

class FailingTransport final : public MailTransport {
public:
    Result<void> send(const MailMessage&) override { return fail(Errc::internal, "smtp down"); }
};

}  // namespace

TEST_CASE("Templates build the links of the /auth style", "[mail]")
{
    MailTemplates t;
    t.site_url = "https://app.example/";
    t.site_name = "Example";
    TemplateMailer mailer(t, std::make_unique<FailingTransport>(), [](const std::string&) {});
    auto m = mailer.render(activation_for("alice@example.com"));
    CHECK(m.subject == "Account activation on Example");
    CHECK(m.to == "alice@example.com");
    CHECK(m.from == "webmaster@localhost");
    CHECK(m.body.find("https://app.example/#/activate/Mg/" + std::string(64, 'a')) != std::string::npos);

    auto reset = activation_for("alice@example.com");
    reset.kind = NotificationKind::password_reset;
    CHECK(mailer.render(reset).body.find("#/password/reset/confirm/Mg/") != std::string::npos);
    reset.kind = NotificationKind::username_reset;
    auto username_mail = mailer.render(reset);
    CHECK(username_mail.subject == "Username reset on Example");
    CHECK(username_mail.body.find("#/username/reset/confirm/Mg/") != std::string::npos);
    CHECK(username_mail.body.find("alice") != std::string::npos);  // states the current username
}

TEST_CASE("The outbox writes one RFC 5322 file per message", "[mail]")
{
    test::TempDir dir;
    TemplateMailer mailer(MailTemplates{}, std::make_unique<OutboxTransport>(dir / "outbox"));
    mailer.notify(activation_for("a@example.com"));
    mailer.notify(activation_for("b@example.com"));
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir / "outbox")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() == 2);
    CHECK(files[0].extension() == ".eml");
    std::ifstream in(files[0], std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const auto eml = text.str();
    CHECK(eml.find("To: a@example.com\r\n") != std::string::npos);  // sending order
    CHECK(eml.find("Subject: Account activation on usermgmt\r\n") != std::string::npos);
    CHECK(eml.find("MIME-Version: 1.0\r\n") != std::string::npos);
    CHECK(eml.find("\r\n\r\n") != std::string::npos);
    CHECK(eml.find("\n") == eml.find("\r\n") + 1);  // CRLF line ends
}

TEST_CASE("Header injection through names and addresses is neutralised", "[mail]")
{
    MailMessage m{"from@example.com", "victim@example.com\r\nBcc: evil@example.com", "Hi\nX-Evil: 1", "body", "",
                  "reply@example.com\r\nX-Reply-Evil: 1"};
    const auto text = to_rfc5322(m, std::chrono::system_clock::now());
    CHECK(text.find("\r\nBcc:") == std::string::npos);
    CHECK(text.find("\r\nX-Evil:") == std::string::npos);
    CHECK(text.find("\r\nX-Reply-Evil:") == std::string::npos);
    MailMessage utf{"f@example.com", "t@example.com", "Grüße", "x", "", ""};
    CHECK(to_rfc5322(utf, std::chrono::system_clock::now()).find("Subject: =?UTF-8?B?R3LDvMOfZQ==?=") != std::string::npos);
}

TEST_CASE("A failing transport is reported without the token", "[mail]")
{
    std::string logged;
    TemplateMailer mailer(MailTemplates{}, std::make_unique<FailingTransport>(),
                          [&](const std::string& line) { logged += line; });
    mailer.notify(activation_for("a@example.com"));
    CHECK(logged.find("activation") != std::string::npos);
    CHECK(logged.find(std::string(64, 'a')) == std::string::npos);
}

TEST_CASE("The console transport prints the message", "[mail]")
{
    std::ostringstream out;
    TemplateMailer mailer(MailTemplates{}, std::make_unique<ConsoleTransport>(out));
    mailer.notify(activation_for("a@example.com"));
    CHECK(out.str().find("#/activate/Mg/") != std::string::npos);
    CHECK(out.str().find('\r') == std::string::npos);
}

TEST_CASE("The background notifier returns at once and delivers everything in order", "[mail]")
{
    // A slow transport: each delivery takes 20 ms.
    class Slow final : public Notifier {
    public:
        Slow(std::vector<std::string>& seen, std::atomic<int>& delivered) : seen_(seen), delivered_(delivered) {}
        void notify(const Notification& n) override
        {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            seen_.push_back(n.user.email);
            ++delivered_;
        }

    private:
        std::vector<std::string>& seen_;
        std::atomic<int>& delivered_;
    };
    std::vector<std::string> seen;
    std::atomic<int> delivered{0};
    {
        auto notifier = make_background_notifier(std::make_unique<Slow>(seen, delivered));
        for (int i = 0; i < 5; ++i) notifier->notify(activation_for("u" + std::to_string(i) + "@example.com"));
        // Queued, not delivered: the callers did not wait for the slow transport.
        CHECK(delivered < 5);
    }  // the destructor delivers what is queued
    CHECK(delivered == 5);
    CHECK(seen == std::vector<std::string>{"u0@example.com", "u1@example.com", "u2@example.com", "u3@example.com",
                                           "u4@example.com"});
}

TEST_CASE("Templates: an HTML part beside the text - values escaped there, the subject one line", "[mail][templates]")
{
    MailTemplates t;
    t.site_name = "A & B";
    t.reply_to = "help@example.com";
    MailComposer composer(t);
    Notification n = activation_for("alice@example.com");
    n.user.first_name = "<script>alert(1)</script>";
    n.kind = NotificationKind::password_reset;
    n.user.username = "al\"ice";
    const auto m = composer.compose(n);
    CHECK(m.reply_to == "help@example.com");
    CHECK(m.subject == "Password reset on A & B");
    CHECK(m.html.find("<!DOCTYPE html>") == 0);
    CHECK(m.html.find("A &amp; B") != std::string::npos);
    CHECK(m.html.find("al&quot;ice") != std::string::npos);
    CHECK(m.html.find("<a href=\"http://127.0.0.1:8000/#/password/reset/confirm/Mg/" + std::string(64, 'a') + "\">") !=
          std::string::npos);
    CHECK(m.body.find("A & B") != std::string::npos);  // the text part as written

    const auto rfc = to_rfc5322(m, std::chrono::system_clock::now());
    const auto boundary_at = rfc.find("boundary=\"");
    REQUIRE(boundary_at != std::string::npos);
    const auto boundary = rfc.substr(boundary_at + 10, rfc.find('"', boundary_at + 10) - boundary_at - 10);
    CHECK(rfc.find("Reply-To: help@example.com\r\n") != std::string::npos);
    const auto text_at = rfc.find("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n");
    const auto html_at = rfc.find("--" + boundary + "\r\nContent-Type: text/html; charset=utf-8\r\n");
    CHECK(text_at != std::string::npos);
    CHECK(html_at > text_at);  // the preferred part last, as RFC 2046 orders alternatives
    CHECK(rfc.find("--" + boundary + "--\r\n") > html_at);
}

TEST_CASE("Templates: files in a directory override the shipped ones - mistakes refuse to load", "[mail][templates]")
{
    test::TempDir dir;
    const auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    };
    write("activation.subject.txt", "Welcome to {{site_name}}, {{ first_name }}\n");
    write("activation.txt", "Hi {{ username }}, click {{ link }}\n");
    MailTemplates t;
    t.site_name = "Example";
    auto composer = MailComposer::load(t, dir.path());
    REQUIRE(composer);
    Notification n = activation_for("alice@example.com");
    n.user.first_name = "Al\nBcc: x@example.com";
    const auto m = composer->compose(n);
    CHECK(m.subject == "Welcome to Example, Al Bcc: x@example.com");  // one line
    CHECK(m.body == "Hi alice, click http://127.0.0.1:8000/#/activate/Mg/" + std::string(64, 'a') + "\n");
    CHECK(m.html.find("You're receiving this email") != std::string::npos);  // not overridden: the default
    // Kinds without an override keep theirs.
    n.kind = NotificationKind::password_changed;
    CHECK(composer->compose(n).subject == "Example - Your password has been successfully changed!");

    write("password_reset.html", "<p>{{ nonsense }}</p>");
    auto unknown = MailComposer::load(t, dir.path());
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == Errc::bad_config);
    CHECK(unknown.error().message.find("nonsense") != std::string::npos);
    write("password_reset.html", "<p>{{ link </p>");
    CHECK(MailComposer::load(t, dir.path()).error().code == Errc::bad_config);
    CHECK(MailComposer::load(t, dir / "missing").error().code == Errc::bad_config);
}

TEST_CASE("Mail text: the Message-ID domain comes from the From address - a line too long for SMTP is quoted-printable",
          "[mail]")
{
    MailMessage m{"Example <noreply@example.com>", "a@example.com", "s", "short\n", std::string(1500, 'x') + "=\n", ""};
    const auto text = to_rfc5322(m, std::chrono::system_clock::now());
    const auto id_at = text.find("Message-ID: <");
    REQUIRE(id_at != std::string::npos);
    CHECK(text.substr(text.find('@', id_at), 15) == "@example.com>\r\n");
    CHECK(text.find("Content-Transfer-Encoding: 8bit\r\n\r\nshort\r\n") != std::string::npos);  // short lines as they are
    CHECK(text.find("Content-Transfer-Encoding: quoted-printable\r\n") != std::string::npos);
    std::size_t longest = 0, line = 0;
    for (char c : text) {
        line = c == '\n' ? 0 : line + 1;
        longest = std::max(longest, line);
    }
    CHECK(longest <= 998);
    // Decoded, the part is what was written.
    const auto html_at = text.find("quoted-printable\r\n\r\n") + 20;
    const auto html_end = text.find("\r\n--", html_at);
    std::string decoded;
    const std::string encoded = text.substr(html_at, html_end - html_at);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded.compare(i, 3, "=\r\n") == 0) {
            i += 2;
        } else if (encoded[i] == '=') {
            decoded += static_cast<char>(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            decoded += encoded[i];
        }
    }
    CHECK(decoded == std::string(1500, 'x') + "=");  // the part's last CRLF belongs to the boundary
}

TEST_CASE("Templates: an empty override file keeps the shipped template", "[mail][templates]")
{
    test::TempDir dir;
    std::ofstream(dir / "activation.html", std::ios::binary) << "";
    auto composer = MailComposer::load(MailTemplates{}, dir.path());
    REQUIRE(composer);
    CHECK(composer->compose(activation_for("a@example.com")).html.find("<!DOCTYPE html>") == 0);
}
