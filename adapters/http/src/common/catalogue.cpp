#include "common/catalogue.hpp"

#include <algorithm>

namespace usermgmt::http::detail {

ShownErrors show(const FieldErrors& errors, const Words& words)
{
    ShownErrors shown;
    for (const auto& entry : errors.entries()) {
        std::string name = words.field_name(entry.field);
        auto it = std::find_if(shown.begin(), shown.end(), [&](const ShownField& f) { return f.field == name; });
        if (it == shown.end()) it = shown.insert(shown.end(), ShownField{std::move(name), {}});
        for (const auto& problem : entry.problems) it->texts.push_back(words.text(entry.field, problem));
    }
    return shown;
}

}  // namespace usermgmt::http::detail
