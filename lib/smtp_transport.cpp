// The SMTP transport on libcurl: one easy handle per message (the transport is shared by the
// sender threads), the message rendered once and read out by libcurl.

#include "usermgmt/smtp_transport.hpp"
#include "usermgmt/mailer.hpp"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace usermgmt {
namespace {

// The address inside "Name <addr>", or the whole text.
std::string bare_address(const std::string& address)
{
    const auto open = address.rfind('<');
    const auto close = address.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open)
        return address.substr(open + 1, close - open - 1);
    return address;
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

class SmtpTransport final : public MailTransport {
public:
    explicit SmtpTransport(SmtpSettings settings) : settings_(std::move(settings)) {}

    Result<void> send(const MailMessage& message) override
    {
        std::unique_ptr<CURL, FreeEasy> curl(curl_easy_init());
        if (!curl) return fail(Errc::storage_failure, "SMTP: libcurl could not start a session");
        const std::string text = to_rfc5322(message, std::chrono::system_clock::now());
        Upload upload{text};
        const std::string from = "<" + bare_address(settings_.envelope_from.empty() ? message.from : settings_.envelope_from) + ">";
        std::unique_ptr<curl_slist, FreeList> recipients(curl_slist_append(nullptr, ("<" + bare_address(message.to) + ">").c_str()));
        char error[CURL_ERROR_SIZE] = {0};
        CURL* c = curl.get();
        curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
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
        if (rc == CURLE_OK) return {};
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        std::string reason = "SMTP: ";
        reason += error[0] ? error : curl_easy_strerror(rc);
        if (code != 0) reason += " (server answered " + std::to_string(code) + ")";
        // A 5xx to the sender, a recipient or the message is the server's final word on this
        // mail. A 5xx at AUTH or a failed TLS is the setup's fault: fixed, the mail can go.
        const bool refused = code >= 500 && code < 600 &&
                             (rc == CURLE_SEND_ERROR || rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_RECV_ERROR);
        return fail(refused ? Errc::invalid_argument : Errc::storage_failure, reason);
    }

private:
    SmtpSettings settings_;
};

}  // namespace

Result<std::unique_ptr<MailTransport>> make_smtp_transport(SmtpSettings settings)
{
    if (settings.url.rfind("smtp://", 0) != 0 && settings.url.rfind("smtps://", 0) != 0)
        return fail(Errc::bad_config, "the SMTP URL must start with smtp:// or smtps://");
    // Once per process, before any thread uses libcurl.
    static const CURLcode initialised = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (initialised != CURLE_OK) return fail(Errc::bad_config, "libcurl could not be initialised");
    return std::unique_ptr<MailTransport>(std::make_unique<SmtpTransport>(std::move(settings)));
}

}  // namespace usermgmt
