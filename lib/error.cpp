#include "usermgmt/error.hpp"

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

void FieldErrors::add(std::string_view field, std::string message)
{
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.field == field; });
    if (it == entries_.end()) it = entries_.insert(entries_.end(), Entry{std::string(field), {}});
    it->messages.push_back(std::move(message));
}

void FieldErrors::merge(const FieldErrors& other)
{
    for (const auto& entry : other.entries_)
        for (const auto& message : entry.messages) add(entry.field, message);
}

const std::vector<std::string>* FieldErrors::find(std::string_view field) const noexcept
{
    for (const auto& entry : entries_)
        if (entry.field == field) return &entry.messages;
    return nullptr;
}

void FieldErrors::rename(std::string_view from, std::string_view to)
{
    for (auto& entry : entries_)
        if (entry.field == from) entry.field = std::string(to);
}

Error field_error(std::string_view field, std::string message)
{
    FieldErrors fields;
    fields.add(field, message);
    return Error{Errc::invalid_argument, std::string(field) + ": " + message, std::move(fields)};
}

}  // namespace usermgmt
