#include "usermgmt/mailer.hpp"
#include "usermgmt/uid.hpp"

#include "crypto.hpp"

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

namespace usermgmt {
namespace {

// Header values never carry CR or LF: a name or address cannot inject headers.
std::string header_safe(std::string_view value)
{
    std::string out;
    for (char c : value) out += (c == '\r' || c == '\n') ? ' ' : c;
    return out;
}

bool is_ascii(std::string_view s)
{
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

// RFC 2047 encoded-word for a non-ASCII subject.
std::string encode_subject(std::string_view subject)
{
    if (is_ascii(subject)) return std::string(subject);
    std::string b64;
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 2 < subject.size(); i += 3) {
        const unsigned n = (static_cast<unsigned char>(subject[i]) << 16) | (static_cast<unsigned char>(subject[i + 1]) << 8) |
                           static_cast<unsigned char>(subject[i + 2]);
        b64 += alphabet[(n >> 18) & 63];
        b64 += alphabet[(n >> 12) & 63];
        b64 += alphabet[(n >> 6) & 63];
        b64 += alphabet[n & 63];
    }
    if (i < subject.size()) {
        unsigned n = static_cast<unsigned char>(subject[i]) << 16;
        if (i + 1 < subject.size()) n |= static_cast<unsigned char>(subject[i + 1]) << 8;
        b64 += alphabet[(n >> 18) & 63];
        b64 += alphabet[(n >> 12) & 63];
        b64 += i + 1 < subject.size() ? alphabet[(n >> 6) & 63] : '=';
        b64 += '=';
    }
    return "=?UTF-8?B?" + b64 + "?=";
}

std::string rfc5322_date(TimePoint t)
{
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

// The domain of an address, "Name <user@domain>" included; "localhost" when there is none.
std::string domain_of(std::string_view address)
{
    if (const auto close = address.rfind('>'); close != std::string_view::npos) address = address.substr(0, close);
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return "localhost";
    std::string domain;
    for (char c : address.substr(at + 1))
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') domain += c;
    return domain.empty() ? std::string("localhost") : domain;
}

}  // namespace

namespace {

// Body text with CRLF line ends, as RFC 5322 requires, ending in one.
std::string with_crlf(std::string_view body)
{
    std::string out;
    for (char c : body) {
        if (c == '\n') out += "\r\n";
        else if (c != '\r') out += c;
    }
    if (body.empty() || body.back() != '\n') out += "\r\n";
    return out;
}

bool has_long_line(std::string_view crlf_text)
{
    std::size_t line = 0;
    for (char c : crlf_text) {
        line = c == '\n' ? 0 : line + 1;
        if (line > 998) return true;
    }
    return false;
}

// Quoted-printable (RFC 2045 6.7): for a part with a line longer than SMTP carries (998
// octets), such as an HTML template written on one line.
std::string quoted_printable(std::string_view crlf_text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    std::size_t column = 0;
    for (std::size_t i = 0; i < crlf_text.size(); ++i) {
        const auto c = static_cast<unsigned char>(crlf_text[i]);
        if (c == '\r' && i + 1 < crlf_text.size() && crlf_text[i + 1] == '\n') {
            out += "\r\n";
            ++i;
            column = 0;
            continue;
        }
        const bool at_line_end = i + 1 == crlf_text.size() || crlf_text[i + 1] == '\r';
        const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
        const std::size_t width = literal ? 1 : 3;
        if (column + width > 75) {  // a soft break keeps every line within 76 characters
            out += "=\r\n";
            column = 0;
        }
        if (literal) {
            out += static_cast<char>(c);
        } else {
            out += '=';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
        column += width;
    }
    return out;
}

// One part's headers and body: 8bit as written, or quoted-printable when a line is too long.
void append_part(std::string& out, std::string_view type, std::string_view body)
{
    std::string text = with_crlf(body);
    const bool encode = has_long_line(text);
    out += std::string("Content-Type: ") + std::string(type) + "; charset=utf-8\r\n";
    out += encode ? "Content-Transfer-Encoding: quoted-printable\r\n\r\n" : "Content-Transfer-Encoding: 8bit\r\n\r\n";
    out += encode ? quoted_printable(text) : text;
    if (encode && (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)) out += "\r\n";
    detail::wipe(text);  // it may hold a link
}

}  // namespace

std::string to_rfc5322(const MailMessage& message, TimePoint date)
{
    std::string out;
    out += "From: " + header_safe(message.from) + "\r\n";
    out += "To: " + header_safe(message.to) + "\r\n";
    if (!message.reply_to.empty()) out += "Reply-To: " + header_safe(message.reply_to) + "\r\n";
    out += "Subject: " + encode_subject(header_safe(message.subject)) + "\r\n";
    out += "Date: " + rfc5322_date(date) + "\r\n";
    out += "Message-ID: <" + detail::to_hex(detail::random_bytes(16)) + "@" + domain_of(message.from) + ">\r\n";
    out += "MIME-Version: 1.0\r\n";
    if (message.html.empty()) {
        append_part(out, "text/plain", message.body);
        return out;
    }
    // Random, so that no text of the parts can end them early.
    const std::string boundary = "=_" + detail::to_hex(detail::random_bytes(16));
    out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    for (const auto& [type, part] : {std::pair{"text/plain", &message.body}, std::pair{"text/html", &message.html}}) {
        out += "--" + boundary + "\r\n";
        append_part(out, type, *part);
    }
    out += "--" + boundary + "--\r\n";
    return out;
}

ConsoleTransport::ConsoleTransport() : out_(&std::cout) {}
ConsoleTransport::ConsoleTransport(std::ostream& out) : out_(&out) {}

Result<void> ConsoleTransport::send(const MailMessage& message)
{
    std::string text = to_rfc5322(message, std::chrono::system_clock::now());
    text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
    std::lock_guard lock(mutex_);
    *out_ << "----- mail -----\n" << text << "----- end of mail -----\n" << std::flush;
    if (!*out_) return fail(Errc::internal, "console mail transport: write failed");
    return {};
}

OutboxTransport::OutboxTransport(std::filesystem::path directory) : directory_(std::move(directory)) {}

Result<void> OutboxTransport::send(const MailMessage& message)
{
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec) return fail(Errc::internal, "outbox: cannot create " + directory_.string() + ": " + ec.message());
    // Time first so names sort in sending order; a counter and random bytes keep them unique.
    static std::atomic<unsigned> counter{0};
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    char name[96];
    std::snprintf(name, sizeof name, "%020lld-%06u-%s.eml", static_cast<long long>(micros), counter++ % 1000000u,
                  detail::to_hex(detail::random_bytes(4)).c_str());
    const auto final_path = directory_ / name;
    const auto temp_path = directory_ / (std::string(".") + name + ".tmp");
    {
        std::ofstream out(temp_path, std::ios::binary);
        out << to_rfc5322(message, std::chrono::system_clock::now());
        if (!out.flush()) return fail(Errc::internal, "outbox: cannot write " + temp_path.string());
    }
    // A reader never sees a half-written message.
    std::filesystem::rename(temp_path, final_path, ec);
    if (ec) return fail(Errc::internal, "outbox: cannot rename into " + final_path.string() + ": " + ec.message());
    return {};
}

TemplateMailer::TemplateMailer(MailTemplates templates, std::unique_ptr<MailTransport> transport, ErrorSink on_error)
    : TemplateMailer(MailComposer(std::move(templates)), std::move(transport), std::move(on_error))
{
}

TemplateMailer::TemplateMailer(MailComposer composer, std::unique_ptr<MailTransport> transport, ErrorSink on_error)
    : composer_(std::move(composer)), transport_(std::move(transport)), on_error_(std::move(on_error))
{
    if (!on_error_) on_error_ = [](const std::string& line) { std::cerr << line << '\n'; };
}

void TemplateMailer::notify(const Notification& notification)
{
    auto sent = transport_->send(render(notification));
    // The line names the kind and the user id, never the token or the link.
    if (!sent)
        on_error_("usermgmt: could not send " + std::string(to_string(notification.kind)) + " mail to user " +
                  std::to_string(notification.user.id) + ": " + sent.error().message);
}

std::string_view to_string(NotificationKind kind) noexcept
{
    switch (kind) {
    case NotificationKind::activation: return "activation";
    case NotificationKind::password_reset: return "password_reset";
    case NotificationKind::username_reset: return "username_reset";
    case NotificationKind::activation_confirmed: return "activation_confirmed";
    case NotificationKind::password_changed: return "password_changed";
    }
    return "unknown";
}

}  // namespace usermgmt
