// The SMTP transport on libcurl: one easy handle per message (the transport is shared by the
// sender threads), the message rendered once and read out by libcurl.

#include "usermgmt/smtp_transport.hpp"
#include "usermgmt/mailer.hpp"

#include <curl/curl.h>

#include <atomic>
#include <algorithm>
#include <cstring>
#include <string_view>
#include <mutex>

namespace usermgmt {
namespace {

// The address inside "Name <addr>" (the operator's From), or the whole text.
std::string bare_address(const std::string& address)
{
    const auto open = address.rfind('<');
    const auto close = address.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open)
        return address.substr(open + 1, close - open - 1);
    return address;
}

// An address that can stand between < and > in MAIL FROM / RCPT TO as it is: no brackets, no
// control characters, no space. (A quoted local part may hold "<x@y>": used as the recipient
// it would send the mail elsewhere.)
bool is_plain_address(std::string_view address)
{
    if (address.empty() || address.find('@') == std::string_view::npos) return false;
    for (char c : address) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '<' || c == '>') return false;
    }
    return true;
}

bool starts_with(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

struct Upload {
    std::string_view rest;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user)
{
    auto* upload = static_cast<Upload*>(user);
    const std::size_t n = std::min(size * count, upload->rest.size());
    std::memcpy(buffer, upload->rest.data(), n);
    upload->rest.remove_prefix(n);
    return n;
}

struct FreeEasy {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct FreeList {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

// libcurl calls it about once a second during a transfer, also while it waits for the server.
int keep_going(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    return static_cast<const std::atomic<bool>*>(cancelled)->load() ? 1 : 0;
}

class SmtpTransport final : public MailTransport {
public:
    explicit SmtpTransport(SmtpSettings settings) : settings_(std::move(settings)) {}

    void cancel() noexcept override { cancelled_ = true; }

    Result<void> send(const MailMessage& message) override
    {
        std::unique_ptr<CURL, FreeEasy> curl(curl_easy_init());
        if (!curl) return fail(Errc::storage_failure, "SMTP: libcurl could not start a session");
        const std::string sender = bare_address(settings_.envelope_from.empty() ? message.from : settings_.envelope_from);
        if (!is_plain_address(sender)) return fail(Errc::storage_failure, "SMTP: the sender address is not usable in SMTP");
        // The recipient exactly as stored (never a part of it), or not at all.
        if (!is_plain_address(message.to))
            return fail(Errc::invalid_argument, "SMTP: the recipient address cannot be used in SMTP");
        std::string text = to_rfc5322(message, std::chrono::system_clock::now());
        Upload upload{text};
        const std::string from = "<" + sender + ">";
        std::unique_ptr<curl_slist, FreeList> recipients(curl_slist_append(nullptr, ("<" + message.to + ">").c_str()));
        char error[CURL_ERROR_SIZE] = {0};
        CURL* c = curl.get();
        curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, keep_going);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &cancelled_);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
        curl_easy_setopt(c, CURLOPT_READDATA, &upload);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout.count()));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
        const long tls = settings_.starttls == StartTls::required   ? CURLUSESSL_ALL
                         : settings_.starttls == StartTls::optional ? CURLUSESSL_TRY
                                                                    : CURLUSESSL_NONE;
        curl_easy_setopt(c, CURLOPT_USE_SSL, tls);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, settings_.verify_certificate ? 1L : 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, settings_.verify_certificate ? 2L : 0L);
        if (!settings_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
        if (!settings_.username.empty()) {
            curl_easy_setopt(c, CURLOPT_USERNAME, settings_.username.c_str());
            curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
        }
        const CURLcode rc = curl_easy_perform(c);
        std::fill(text.begin(), text.end(), '\0');  // it holds the link
        if (rc == CURLE_OK) return {};
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        std::string reason = "SMTP: ";
        reason += error[0] ? error : curl_easy_strerror(rc);
        if (code != 0) reason += " (server answered " + std::to_string(code) + ")";
        // A 5xx to the recipient, or to the message once sent, is the server's final word on
        // this mail. A 5xx anywhere else (the greeting, AUTH, MAIL FROM: relaying denied, sender
        // not verified, a quota) or a failed TLS is the setup's or the moment's: once fixed, the
        // mail can go, so it is tried again. libcurl names the failed step in its message.
        const std::string_view said = error;
        const bool refused = code >= 500 && code < 600 &&
                             ((rc == CURLE_SEND_ERROR && starts_with(said, "RCPT failed")) ||
                              (rc == CURLE_WEIRD_SERVER_REPLY && !starts_with(said, "Got unexpected")));
        return fail(refused ? Errc::invalid_argument : Errc::storage_failure, reason);
    }

private:
    SmtpSettings settings_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace

Result<std::unique_ptr<MailTransport>> make_smtp_transport(SmtpSettings settings)
{
    const bool implicit_tls = starts_with(settings.url, "smtps://");
    if (!starts_with(settings.url, "smtp://") && !implicit_tls)
        return fail(Errc::bad_config, "the SMTP URL must start with smtp:// or smtps://");
    // AUTH over a connection that may stay plain would show the password to the network (a
    // man in the middle strips the STARTTLS offer): only to a server on this host.
    const std::string_view host = std::string_view(settings.url).substr(implicit_tls ? 8 : 7);
    const bool loopback = starts_with(host, "127.") || starts_with(host, "localhost") || starts_with(host, "[::1]");
    if (!settings.username.empty() && !implicit_tls && settings.starttls != StartTls::required && !loopback)
        return fail(Errc::bad_config, "SMTP AUTH needs TLS: set STARTTLS to required, or use smtps://");
    // Once per process, before any thread uses libcurl.
    static const CURLcode initialised = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (initialised != CURLE_OK) return fail(Errc::bad_config, "libcurl could not be initialised");
    return std::unique_ptr<MailTransport>(std::make_unique<SmtpTransport>(std::move(settings)));
}

}  // namespace usermgmt
