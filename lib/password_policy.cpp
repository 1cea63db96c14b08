#include "validation.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

namespace usermgmt::detail {

// The list in data/common-passwords.txt, compiled in by lib/CMakeLists.txt.
std::string_view builtin_common_passwords() noexcept;

namespace {

// Decodes UTF-8 into code points, ASCII lower-cased (Python's str.lower() for ASCII). A
// malformed byte stands for itself, so nothing is skipped.
std::u32string lower_code_points(std::string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
        if (c < 0x80 || i + extra >= text.size()) extra = 0;
        char32_t cp = extra == 0 ? c : c & (0x3F >> extra);
        for (std::size_t k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        if (cp >= U'A' && cp <= U'Z') cp += 32;
        out.push_back(cp);
        i += extra + 1;
    }
    return out;
}

// Python's `\w` for our purposes: ASCII letters, digits, underscore, and any non-ASCII code
// point (almost all of which that appear in names are letters).
bool is_word(char32_t c)
{
    return c >= 0x80 || c == U'_' || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9');
}

// re.split(r'\W+', value) + [value]
std::vector<std::u32string> value_parts(const std::u32string& value)
{
    std::vector<std::u32string> parts(1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (is_word(value[i])) {
            parts.back() += value[i];
        } else if (i == 0 || is_word(value[i - 1])) {
            parts.emplace_back();
        }
    }
    parts.push_back(value);
    return parts;
}

// difflib.SequenceMatcher(a=a, b=b).quick_ratio(): 2 * shared characters / total length.
double quick_ratio(const std::u32string& a, const std::u32string& b)
{
    if (a.empty() && b.empty()) return 1.0;
    std::map<char32_t, int> available;
    for (char32_t c : b) ++available[c];
    int matches = 0;
    for (char32_t c : a) {
        auto it = available.find(c);
        if (it != available.end() && it->second > 0) {
            --it->second;
            ++matches;
        }
    }
    return 2.0 * matches / double(a.size() + b.size());
}

// Django's exceeds_maximum_length_ratio: a value far shorter than the password is skipped.
bool exceeds_maximum_length_ratio(std::size_t password_length, double max_similarity, std::size_t value_length)
{
    return password_length >= 10 * value_length && double(value_length) < max_similarity / 2 * double(password_length);
}

bool too_similar(const std::u32string& password, std::string_view value, double max_similarity)
{
    if (value.empty()) return false;
    for (const auto& part : value_parts(lower_code_points(value))) {
        if (exceeds_maximum_length_ratio(password.size(), max_similarity, part.size())) continue;
        if (quick_ratio(password, part) >= max_similarity) return true;
    }
    return false;
}

std::string_view trim(std::string_view s)
{
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string ascii_lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

}  // namespace

Result<std::shared_ptr<const PasswordValidator>> PasswordValidator::create(const PasswordPolicy& policy)
{
    std::shared_ptr<PasswordValidator> validator(new PasswordValidator(policy));
    if (policy.reject_common) {
        if (policy.common_passwords_file.empty()) {
            validator->list_storage_ = std::string(builtin_common_passwords());
        } else {
            std::ifstream in(policy.common_passwords_file, std::ios::binary);
            if (!in) return fail(Errc::bad_config, "cannot read common password list " + policy.common_passwords_file);
            validator->list_storage_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        // The set holds views into list_storage_, which lives as long as the validator.
        std::string_view rest = validator->list_storage_;
        while (!rest.empty()) {
            const auto nl = rest.find('\n');
            const auto line = trim(rest.substr(0, nl));
            if (!line.empty()) validator->common_.insert(line);
            rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        }
    }
    return std::shared_ptr<const PasswordValidator>(std::move(validator));
}

std::vector<Problem> PasswordValidator::check(std::string_view password, const PasswordContext* context) const
{
    std::vector<Problem> problems;
    const auto add = [&](Reason reason, long long limit = 0, std::string detail = {}) {
        problems.push_back(Problem{reason, limit, std::move(detail)});
    };
    if (password.empty()) {
        add(Reason::blank);
        return problems;
    }
    if (!is_valid_utf8(password)) {
        // Stray bytes would count as no characters: the length rule could not bound the input.
        add(Reason::password_not_utf8);
        return problems;
    }
    const std::size_t length = utf8_length(password);
    if (length > policy_.max_length || password.size() > max_password_bytes(policy_.max_length)) {
        // Nothing else is worth computing on an oversized input.
        add(Reason::password_too_long, static_cast<long long>(policy_.max_length));
        return problems;
    }

    if (context && policy_.max_similarity > 0) {
        const auto lowered = lower_code_points(password);
        const std::pair<std::string_view, std::string_view> attributes[] = {
            {context->username, "username"},
            {context->first_name, "first_name"},
            {context->last_name, "last_name"},
            {context->email, "email"},
        };
        for (const auto& [value, attribute] : attributes) {
            if (too_similar(lowered, value, policy_.max_similarity)) {
                add(Reason::password_too_similar, 0, std::string(attribute));
                break;  // Django's validator stops at the first similar attribute
            }
        }
    }
    if (length < policy_.min_length) add(Reason::password_too_short, static_cast<long long>(policy_.min_length));
    if (policy_.reject_common && common_.contains(trim(ascii_lower(password)))) add(Reason::password_too_common);
    if (policy_.reject_numeric &&
        std::all_of(password.begin(), password.end(), [](char c) { return c >= '0' && c <= '9'; }))
        add(Reason::password_numeric);
    return problems;
}

}  // namespace usermgmt::detail
