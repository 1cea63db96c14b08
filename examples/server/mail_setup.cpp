#include "mail_setup.hpp"

#include <usermgmt/smtp_transport.hpp>

#include <cctype>
#include <cstdlib>
#include <fstream>

namespace usermgmt::server {
namespace {

Result<std::string> smtp_password(const Options& options)
{
    if (const char* from_env = std::getenv("USERMGMT_SMTP_PASSWORD")) {
        std::string password = from_env;
        unsetenv("USERMGMT_SMTP_PASSWORD");  // read once; no child process inherits it
        return password;
    }
    if (options.smtp_password_file.empty()) return std::string();
    std::ifstream in(options.smtp_password_file);
    if (!in) return fail(Errc::bad_config, "cannot read the SMTP password file " + options.smtp_password_file);
    std::string password;
    std::getline(in, password);
    while (!password.empty() && std::isspace(static_cast<unsigned char>(password.back()))) password.pop_back();
    return password;
}

Result<std::unique_ptr<MailTransport>> transport_of(const Options& options)
{
    if (options.smtp_url.empty()) {
        if (options.mail_outbox.empty()) return std::unique_ptr<MailTransport>(std::make_unique<ConsoleTransport>());
        return std::unique_ptr<MailTransport>(std::make_unique<OutboxTransport>(options.mail_outbox));
    }
    SmtpSettings smtp;
    smtp.url = options.smtp_url;
    smtp.username = options.smtp_user;
    auto password = smtp_password(options);
    if (!password) return std::move(password).error();
    smtp.password = std::move(*password);
    if (!smtp.username.empty() && smtp.password.empty())
        return fail(Errc::bad_config, "--smtp-user needs a password: USERMGMT_SMTP_PASSWORD or --smtp-password-file");
    if (options.smtp_starttls == "required") smtp.starttls = StartTls::required;
    else if (options.smtp_starttls == "optional") smtp.starttls = StartTls::optional;
    else if (options.smtp_starttls == "off") smtp.starttls = StartTls::off;
    else return fail(Errc::bad_config, "--smtp-starttls must be required, optional or off");
    smtp.ca_file = options.smtp_ca_file;
    smtp.envelope_from = options.mail_envelope_from;
    smtp.timeout = std::chrono::seconds(options.smtp_timeout);
    smtp.connect_timeout = std::min(smtp.timeout, std::chrono::milliseconds(std::chrono::seconds(10)));
    return make_smtp_transport(std::move(smtp));
}

}  // namespace

Result<MailQueueSettings> mail_settings(const Options& options)
{
    MailTemplates templates;
    const std::string scheme = options.tls_cert.empty() ? "http://" : "https://";
    // By default the links open this server's own pages (where they are served).
    const std::string pages = options.pages_prefix == "off" ? "/" : options.pages_prefix;
    templates.site_url = options.site_url.empty() ? scheme + options.listen + pages : options.site_url;
    templates.site_name = options.site_name;
    templates.from = options.mail_from;
    templates.reply_to = options.mail_reply_to;
    MailQueueSettings mail;
    if (options.mail_templates.empty()) {
        mail.composer = MailComposer(templates);
    } else {
        auto composer = MailComposer::load(templates, options.mail_templates);
        if (!composer) return std::move(composer).error();
        mail.composer = std::move(*composer);
    }
    auto transport = transport_of(options);
    if (!transport) return std::move(transport).error();
    mail.transport = std::move(*transport);
    mail.senders = options.mail_senders;
    mail.max_attempts = static_cast<int>(options.mail_max_attempts);
    mail.first_retry = std::chrono::seconds(options.mail_retry_seconds);
    mail.max_retry = std::max(mail.first_retry, std::chrono::milliseconds(std::chrono::hours(1)));
    // Longer than one SMTP exchange can take, so a slow send is never claimed twice.
    mail.lease = std::chrono::seconds(std::max(options.mail_lease_seconds, options.smtp_timeout + 5));
    return mail;
}

}  // namespace usermgmt::server
