#pragma once
/// @file mailer.hpp
/// The shipped notifier: a template mailer that builds messages and hands them to a transport.

#include "usermgmt/export.hpp"
#include "usermgmt/mail_message.hpp"
#include "usermgmt/notifier.hpp"
#include "usermgmt/result.hpp"

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace usermgmt {

/// Writes each message, as RFC 5322 text, to a stream (stdout by default): for development.
class USERMGMT_EXPORT ConsoleTransport final : public MailTransport {
public:
    ConsoleTransport();
    explicit ConsoleTransport(std::ostream& out);
    [[nodiscard]] Result<void> send(const MailMessage& message) override;

private:
    std::ostream* out_;
    std::mutex mutex_;
};

/// Writes each message as one `.eml` file (RFC 5322, CRLF line ends) into a directory,
/// created if missing. File names sort in sending order.
class USERMGMT_EXPORT OutboxTransport final : public MailTransport {
public:
    explicit OutboxTransport(std::filesystem::path directory);
    [[nodiscard]] Result<void> send(const MailMessage& message) override;
    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }

private:
    std::filesystem::path directory_;
};

/// Renders a message as RFC 5322 text with CRLF line ends (headers folded and encoded).
[[nodiscard]] USERMGMT_EXPORT std::string to_rfc5322(const MailMessage& message, TimePoint date);

/// Where the links of one frontend point. `{uid}` and `{token}` are replaced; the result is
/// appended to `MailTemplates::site_url`.
struct USERMGMT_EXPORT LinkTemplates {
    std::string activation_url;
    std::string password_reset_url;
    std::string username_reset_url;
};

/// What the messages say and where their links point.
struct USERMGMT_EXPORT MailTemplates {
    std::string site_url = "http://127.0.0.1:8000/";
    std::string site_name = "usermgmt";
    std::string from = "webmaster@localhost";
    /// The Reply-To header of every mail; empty: none.
    std::string reply_to;
    /// Djoser's defaults.
    LinkTemplates links{"#/activate/{uid}/{token}", "#/password/reset/confirm/{uid}/{token}",
                        "#/username/reset/confirm/{uid}/{token}"};
    /// Links for notifications with an `origin` (a route style); a missing entry or an empty
    /// template falls back to `links`. The /users style sends a reset link with the token alone.
    std::map<std::string, LinkTemplates, std::less<>> links_by_origin{
        {"users", LinkTemplates{"", "#/reset-password/{token}", ""}}};
};

/// Turns notifications into messages: a subject, a text part and an HTML part per kind, from
/// the shipped templates (worded as Djoser's) or from files that override them.
///
/// A directory of overrides holds, for any of the kinds (`activation`, `password_reset`,
/// `username_reset`, `activation_confirmed`, `password_changed`), any of `KIND.subject.txt`,
/// `KIND.txt` and `KIND.html`; what it lacks keeps the default. Templates name variables as
/// `{{ name }}`: `site_name`, `site_url`, `username`, `email`, `first_name`, `last_name` and
/// `link` (the page the mail sends the user to; empty for the confirmations). Values are
/// HTML-escaped in the HTML part; a subject is one line whatever a value holds.
class USERMGMT_EXPORT MailComposer {
public:
    /// The shipped templates, with the default `MailTemplates`.
    MailComposer() : MailComposer(MailTemplates{}) {}
    /// The shipped templates.
    explicit MailComposer(MailTemplates templates);
    /// The shipped templates overridden by the files in `directory`. `bad_config` for an
    /// unreadable file, an unknown variable or an unclosed `{{`.
    [[nodiscard]] static Result<MailComposer> load(MailTemplates templates, const std::filesystem::path& directory);

    /// The message a notification becomes.
    [[nodiscard]] MailMessage compose(const Notification& notification) const;
    [[nodiscard]] const MailTemplates& templates() const noexcept { return templates_; }

    struct Parts;  ///< the parsed templates of one kind

private:
    MailTemplates templates_;
    std::shared_ptr<const std::vector<Parts>> kinds_;  ///< by NotificationKind
};

/// A `Notifier` that builds each message with a `MailComposer` and sends it through a transport
/// at once, from the caller's thread (wrap it in `make_background_notifier`, or use the durable
/// queue, `Ports::mail`). A failed send is reported to `on_error` (default: one line on stderr
/// without the token) and never to the caller.
class USERMGMT_EXPORT TemplateMailer final : public Notifier {
public:
    using ErrorSink = std::function<void(const std::string& line)>;
    TemplateMailer(MailTemplates templates, std::unique_ptr<MailTransport> transport, ErrorSink on_error = {});
    TemplateMailer(MailComposer composer, std::unique_ptr<MailTransport> transport, ErrorSink on_error = {});
    void notify(const Notification& notification) override;
    /// The message a notification becomes (exposed for tests and previews).
    [[nodiscard]] MailMessage render(const Notification& notification) const { return composer_.compose(notification); }

private:
    MailComposer composer_;
    std::unique_ptr<MailTransport> transport_;
    ErrorSink on_error_;
};

}  // namespace usermgmt
