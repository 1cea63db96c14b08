#include "usermgmt/error.hpp"
#include "usermgmt/result.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <algorithm>

namespace usermgmt {

std::string_view to_string(Errc code) noexcept
{
    switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::invalid_credentials: return "invalid_credentials";
    case Errc::inactive_account: return "inactive_account";
    case Errc::token_invalid: return "token_invalid";
    case Errc::token_expired: return "token_expired";
    case Errc::token_wrong_type: return "token_wrong_type";
    case Errc::stale_token: return "stale_token";
    case Errc::forbidden: return "forbidden";
    case Errc::rate_limited: return "rate_limited";
    case Errc::storage_failure: return "storage_failure";
    case Errc::crypto_failure: return "crypto_failure";
    case Errc::bad_config: return "bad_config";
    case Errc::internal: return "internal";
    }
    return "internal";
}

std::string_view to_string(Reason reason) noexcept
{
    switch (reason) {
    case Reason::required: return "required";
    case Reason::blank: return "blank";
    case Reason::null_value: return "null_value";
    case Reason::wrong_type: return "wrong_type";
    case Reason::null_character: return "null_character";
    case Reason::too_long: return "too_long";
    case Reason::below_minimum: return "below_minimum";
    case Reason::invalid_email: return "invalid_email";
    case Reason::invalid_username: return "invalid_username";
    case Reason::invalid_characters: return "invalid_characters";
    case Reason::invalid_date: return "invalid_date";
    case Reason::date_in_future: return "date_in_future";
    case Reason::taken: return "taken";
    case Reason::passwords_mismatch: return "passwords_mismatch";
    case Reason::wrong_password: return "wrong_password";
    case Reason::too_many: return "too_many";
    case Reason::unknown_user: return "unknown_user";
    case Reason::invalid_token: return "invalid_token";
    case Reason::password_not_utf8: return "password_not_utf8";
    case Reason::password_too_long: return "password_too_long";
    case Reason::password_too_similar: return "password_too_similar";
    case Reason::password_too_short: return "password_too_short";
    case Reason::password_too_common: return "password_too_common";
    case Reason::password_numeric: return "password_numeric";
    case Reason::uploads_disabled: return "uploads_disabled";
    case Reason::file_too_large: return "file_too_large";
    case Reason::not_an_image: return "not_an_image";
    case Reason::empty_file: return "empty_file";
    }
    return "unknown";
}

void FieldErrors::add(std::string_view field, Problem problem)
{
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.field == field; });
    if (it == entries_.end()) it = entries_.insert(entries_.end(), Entry{std::string(field), {}});
    it->problems.push_back(std::move(problem));
}

void FieldErrors::merge(const FieldErrors& other)
{
    for (const auto& entry : other.entries_)
        for (const auto& problem : entry.problems) add(entry.field, problem);
}

const std::vector<Problem>* FieldErrors::find(std::string_view field) const noexcept
{
    for (const auto& entry : entries_)
        if (entry.field == field) return &entry.problems;
    return nullptr;
}

bool FieldErrors::has(std::string_view field, Reason reason) const noexcept
{
    const auto* problems = find(field);
    return problems && std::any_of(problems->begin(), problems->end(), [&](const Problem& p) { return p.reason == reason; });
}

Error field_error(std::string_view field, Reason reason, long long limit)
{
    FieldErrors fields;
    fields.add(field, reason, limit);
    return Error{Errc::invalid_argument, std::string(field) + ": " + std::string(to_string(reason)), std::move(fields)};
}

void detail::abort_on_wrong_access(const Error* held_error, bool asked_for_value) noexcept
{
    std::string line = "usermgmt: ";
    try {
        if (asked_for_value && held_error) {
            line += "the value of a Result that holds an error was used: ";
            line += to_string(held_error->code);
            if (!held_error->message.empty()) line += ": " + held_error->message;
            for (const auto& entry : held_error->fields.entries())
                for (const auto& problem : entry.problems)
                    line += " [" + (entry.field.empty() ? std::string("(input)") : entry.field) + ": " +
                            std::string(to_string(problem.reason)) + "]";
            line += " (check has_value() first)";
        } else {
            line += "the error of a Result that holds a value was asked for";
        }
    } catch (...) {
        line = "usermgmt: a Result was used wrongly";
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    std::abort();
}

}  // namespace usermgmt
