#pragma once
// The server's mail: the durable queue with the transport the options name (SMTP, an .eml
// outbox, or the console), the templates and the retry settings.

#include "options.hpp"

#include <usermgmt/mail_queue.hpp>
#include <usermgmt/result.hpp>

namespace usermgmt::server {

/// The mail queue settings from `options`. The SMTP password comes from the environment
/// (USERMGMT_SMTP_PASSWORD) or `smtp_password_file`, never from a flag other users can see.
Result<MailQueueSettings> mail_settings(const Options& options);

}  // namespace usermgmt::server
