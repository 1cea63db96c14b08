#pragma once
// Field errors in a route style's own words. The core reports codes (field, Reason, limit); each
// style has one catalogue of its words (auth/words.cpp, users/words.cpp) that names the fields
// and says each problem, most of them with Django's words (django_words.cpp).

#include "usermgmt/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace usermgmt::http::detail {

/// A route style's words.
struct Words {
    /// The style's name of a field the core (or the style's own reader) reports.
    std::string (*field_name)(std::string_view field);
    /// The text of one problem of `field` (a name as reported, before `field_name`).
    std::string (*text)(std::string_view field, const Problem& problem);
};

/// One field's errors as a style shows them.
struct ShownField {
    std::string field;               ///< the style's name
    std::vector<std::string> texts;  ///< in the order reported
};
using ShownErrors = std::vector<ShownField>;

/// `errors` in `words`, in the order reported; fields that get one name are joined.
ShownErrors show(const FieldErrors& errors, const Words& words);

/// Django's and DRF's words for a problem: the messages of its fields and validators, which
/// both styles use for the value rules.
std::string django_text(std::string_view field, const Problem& problem);

}  // namespace usermgmt::http::detail
