#pragma once
// Password hashes of other systems, made once per test process by their real libraries
// (tests/import/foreign_hashes.py: Django, python3-bcrypt, python3-argon2).

#include "flat_json.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace usermgmt::test {

struct ForeignSample {
    std::string format;    ///< what foreign_hash_format should say
    std::string password;  ///< the password it was made from
    std::string hash;
};

inline const std::vector<ForeignSample>& foreign_samples()
{
    static const std::vector<ForeignSample> samples = [] {
        std::vector<ForeignSample> out;
        FILE* pipe = popen("/usr/bin/python3 " USERMGMT_FOREIGN_HASHES_SCRIPT, "r");
        REQUIRE(pipe);
        std::string text;
        char buf[4096];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) text.append(buf, n);
        if (pclose(pipe) != 0)
            FAIL("tests/import/foreign_hashes.py failed: python3-django, python3-bcrypt and python3-argon2 are needed "
                 "(scripts/install-deps.sh installs them)");
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            auto object = detail::parse_flat_json_object(line);
            REQUIRE(object.has_value());
            out.push_back({std::get<std::string>(object->at("format")), std::get<std::string>(object->at("password")),
                           std::get<std::string>(object->at("hash"))});
        }
        REQUIRE(out.size() >= 20);
        return out;
    }();
    return samples;
}

}  // namespace usermgmt::test
