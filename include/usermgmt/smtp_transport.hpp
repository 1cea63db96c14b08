#pragma once
/// @file smtp_transport.hpp
/// Mail through an SMTP server (libcurl): STARTTLS or implicit TLS, AUTH, verified certificates.

#include "usermgmt/export.hpp"
#include "usermgmt/mail_message.hpp"
#include "usermgmt/result.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace usermgmt {

/// Whether an `smtp://` connection upgrades to TLS with STARTTLS before it authenticates or
/// sends. (`smtps://` is TLS from the first byte and ignores this.)
enum class StartTls {
    required,  ///< the server must offer it, or nothing is sent (the default)
    optional,  ///< used when the server offers it; plain text otherwise
    off,       ///< never (a relay on the same host or network only)
};

/// Where and how mail is handed over.
struct USERMGMT_EXPORT SmtpSettings {
    /// `smtp://HOST[:PORT]` (port 25 or 587, STARTTLS) or `smtps://HOST[:PORT]` (port 465).
    std::string url;
    /// AUTH credentials; no AUTH when `username` is empty.
    std::string username;
    std::string password;
    StartTls starttls = StartTls::required;
    /// The envelope sender (MAIL FROM, where bounces go); empty: the message's From address.
    std::string envelope_from;
    /// A PEM file of the CAs to trust (a private CA); empty: the system's.
    std::string ca_file;
    /// Verify the server's certificate and name. Turn off only against a test server.
    bool verify_certificate = true;
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    /// The whole exchange of one message, connection included.
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

/// A transport that sends each message in its own SMTP session. A refusal of the message or
/// recipient (5xx) is permanent (`Errc::invalid_argument`); a connection, TLS or AUTH failure
/// or a 4xx is temporary (`Errc::storage_failure`), so the mail queue tries again. `bad_config`
/// for an URL that is not smtp:// or smtps://.
[[nodiscard]] USERMGMT_EXPORT Result<std::unique_ptr<MailTransport>> make_smtp_transport(SmtpSettings settings);

}  // namespace usermgmt
