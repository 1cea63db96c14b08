#pragma once
/// @file mail_message.hpp
/// One e-mail, and the transport port that sends it somewhere.

#include "usermgmt/export.hpp"
#include "usermgmt/result.hpp"

#include <string>

namespace usermgmt {

/// One e-mail: a text part, and an HTML alternative when `html` is not empty.
struct USERMGMT_EXPORT MailMessage {
    std::string from;
    std::string to;
    std::string subject;
    std::string body;      ///< the text part
    std::string html;      ///< the HTML part; empty: a text-only message
    std::string reply_to;  ///< empty: no Reply-To header
};

/// Sends a message somewhere. Implementations are thread-safe.
///
/// A failure whose code is `Errc::invalid_argument` is permanent: the server refused this
/// message or recipient for good (an SMTP 5xx), and sending it again cannot help. Every other
/// failure is temporary (connection refused, timeout, SMTP 4xx): the mail queue tries again later.
class USERMGMT_EXPORT MailTransport {
public:
    virtual ~MailTransport() = default;
    [[nodiscard]] virtual Result<void> send(const MailMessage& message) = 0;
    /// The process is stopping: sends in progress and later ones give up soon, as temporary
    /// failures, rather than wait out their timeouts. For good. Default: nothing to cut short.
    virtual void cancel() noexcept {}
};

}  // namespace usermgmt
