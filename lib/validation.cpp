#include "validation.hpp"

#include <algorithm>
#include <cctype>

namespace usermgmt::detail {
namespace {


bool is_ascii_alnum(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// One dot-atom word of an email's local part (RFC 5322 atext).
bool is_atext(char c) noexcept
{
    return is_ascii_alnum(c) || std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s) noexcept
{
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    char previous = '\0';
    for (char c : s) {
        if (c == '.' ? previous == '.' : !is_atext(c)) return false;
        previous = c;
    }
    return true;
}

// Django's quoted-string alternative: "..." with printable ASCII and backslash escapes.
bool is_quoted_local(std::string_view s) noexcept
{
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '\\') {
            if (++i + 1 >= s.size()) return false;
            const auto e = static_cast<unsigned char>(s[i]);
            if (e == 0 || e == '\n' || e == '\r' || e > 0x7F) return false;
        } else if (c == 0 || c == '\n' || c == '\r' || c == '"' || c > 0x7F) {
            return false;
        }
    }
    return true;
}

bool is_label(std::string_view label) noexcept
{
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    return std::all_of(label.begin(), label.end(), [](char c) { return is_ascii_alnum(c) || c == '-'; });
}

bool is_domain(std::string_view domain) noexcept
{
    // At least two labels; the last one (Django's TLD rule) at least two characters.
    const auto last_dot = domain.rfind('.');
    if (last_dot == std::string_view::npos) return false;
    if (domain.size() - last_dot - 1 < 2) return false;
    std::size_t start = 0;
    while (start <= domain.size()) {
        const auto dot = domain.find('.', start);
        const auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (!is_label(label)) return false;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return true;
}

bool is_ipv4(std::string_view s) noexcept
{
    int parts = 0;
    std::size_t start = 0;
    while (true) {
        const auto dot = s.find('.', start);
        const auto part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
        int value = 0;
        for (char c : part) {
            if (c < '0' || c > '9') return false;
            value = value * 10 + (c - '0');
        }
        if (value > 255) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return parts == 4;
}

bool is_ipv6(std::string_view s) noexcept
{
    if (s.find(':') == std::string_view::npos || s.size() > 45) return false;
    int groups = 0;
    bool compressed = false;
    std::size_t start = 0;
    if (s.substr(0, 2) == "::") {
        compressed = true;
        start = 2;
        if (s.size() == 2) return true;
    }
    while (start < s.size()) {
        const auto colon = s.find(':', start);
        const auto group = s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
        if (group.find('.') != std::string_view::npos) {
            // An embedded IPv4 address ends the address and counts as two groups.
            if (colon != std::string_view::npos || !is_ipv4(group)) return false;
            groups += 2;
            break;
        }
        if (group.empty() || group.size() > 4) return false;
        if (!std::all_of(group.begin(), group.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
            return false;
        ++groups;
        if (colon == std::string_view::npos) break;
        start = colon + 1;
        if (start < s.size() && s[start] == ':') {
            if (compressed) return false;
            compressed = true;
            ++start;
        } else if (start == s.size()) {
            return false;
        }
    }
    return compressed ? groups < 8 : groups == 8;
}

}  // namespace

std::size_t utf8_length(std::string_view text) noexcept
{
    // Continuation bytes (10xxxxxx) do not start a code point.
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

namespace {

// Well-formed UTF-8; with `reject_controls`, also free of C0 controls (but tab and newline) and DEL.
bool scan_utf8(std::string_view text, bool reject_controls) noexcept
{
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (reject_controls && ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)) return false;
            ++i;
            continue;
        }
        std::size_t extra = 0;
        unsigned cp = 0;
        if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; }
        else return false;
        if (i + extra >= text.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        static constexpr unsigned minimum[] = {0, 0x80, 0x800, 0x10000};
        if (cp < minimum[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
        i += extra + 1;
    }
    return true;
}

}  // namespace

bool is_clean_text(std::string_view text) noexcept
{
    return scan_utf8(text, true);
}

bool is_valid_utf8(std::string_view text) noexcept
{
    return scan_utf8(text, false);
}

bool is_valid_email(std::string_view email) noexcept
{
    if (email.empty() || email.size() > max_email_length) return false;
    const auto at = email.rfind('@');
    if (at == std::string_view::npos) return false;
    const auto local = email.substr(0, at);
    const auto domain = email.substr(at + 1);
    if (!is_dot_atom(local) && !is_quoted_local(local)) return false;
    if (domain == "localhost" || domain == "LOCALHOST") return true;
    if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
        const auto literal = domain.substr(1, domain.size() - 2);
        if (literal.substr(0, 5) == "IPv6:" || literal.substr(0, 5) == "ipv6:") return is_ipv6(literal.substr(5));
        return is_ipv4(literal) || is_ipv6(literal);
    }
    return is_domain(domain);
}

std::string normalize_email(std::string_view email)
{
    std::string out(email);
    const auto at = out.rfind('@');
    if (at != std::string::npos)
        std::transform(out.begin() + static_cast<std::ptrdiff_t>(at), out.end(), out.begin() + static_cast<std::ptrdiff_t>(at),
                       [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return out;
}

bool is_valid_username_chars(std::string_view username) noexcept
{
    return !username.empty() && std::all_of(username.begin(), username.end(), [](char c) {
        return is_ascii_alnum(c) || c == '@' || c == '.' || c == '+' || c == '-' || c == '_';
    });
}

void check_email(std::string_view field, std::string_view email, FieldErrors& errors)
{
    if (email.empty()) {
        errors.add(field, Reason::blank);
        return;
    }
    if (!is_valid_email(email)) errors.add(field, Reason::invalid_email);
    if (utf8_length(email) > max_email_length) errors.add(field, Reason::too_long, max_email_length);
}

void check_username(std::string_view field, std::string_view username, FieldErrors& errors)
{
    if (username.empty()) {
        errors.add(field, Reason::blank);
        return;
    }
    if (utf8_length(username) > max_username_length) errors.add(field, Reason::too_long, max_username_length);
    if (!is_valid_username_chars(username)) errors.add(field, Reason::invalid_username);
}

void check_name(std::string_view field, std::string_view name, FieldErrors& errors)
{
    if (utf8_length(name) > max_name_length) errors.add(field, Reason::too_long, max_name_length);
    if (!is_clean_text(name) || name.find('\n') != std::string_view::npos || name.find('\t') != std::string_view::npos)
        errors.add(field, Reason::invalid_characters);
}

void check_birthdate(std::string_view field, const Date& birthdate, const Date& today, FieldErrors& errors)
{
    if (!birthdate.is_valid()) errors.add(field, Reason::invalid_date);
    else if (birthdate > today) errors.add(field, Reason::date_in_future);
}

void check_avatar_text(std::string_view field, std::string_view avatar, FieldErrors& errors)
{
    if (avatar.size() > max_avatar_length) errors.add(field, Reason::too_long, max_avatar_length);
    if (!is_clean_text(avatar) || avatar.find('\n') != std::string_view::npos) errors.add(field, Reason::invalid_characters);
}

void check_group_name(std::string_view field, std::string_view name, FieldErrors& errors)
{
    if (name.empty()) errors.add(field, Reason::blank);
    else if (utf8_length(name) > max_group_name_length) errors.add(field, Reason::too_long, max_group_name_length);
    else if (!is_clean_text(name) || name.find('\n') != std::string_view::npos) errors.add(field, Reason::invalid_characters);
}

}  // namespace usermgmt::detail
