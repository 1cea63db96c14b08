#pragma once
// The core's coded field problems as short strings for assertions: "reason", "reason:limit" or
// "reason:detail". Their texts in each route style are the catalogues', tested in http_tests.

#include "usermgmt/error.hpp"

#include <string>
#include <vector>

namespace usermgmt::test {

inline std::vector<std::string> described(const std::vector<Problem>& problems)
{
    std::vector<std::string> out;
    for (const auto& p : problems) {
        std::string text(to_string(p.reason));
        if (p.limit != 0) text += ":" + std::to_string(p.limit);
        if (!p.detail.empty()) text += ":" + p.detail;
        out.push_back(std::move(text));
    }
    return out;
}

/// The problems of `field` in an error, described; empty when it has none.
inline std::vector<std::string> problems(const Error& e, const std::string& field)
{
    const auto* found = e.fields.find(field);
    return found ? described(*found) : std::vector<std::string>{};
}

}  // namespace usermgmt::test
