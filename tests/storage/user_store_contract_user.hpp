#pragma once
// The user row the store contract and the backends' own tests insert.

#include "usermgmt/user_store.hpp"

#include <chrono>
#include <string>

namespace usermgmt::test {

inline StoredUser contract_user(const std::string& name)
{
    StoredUser r;
    r.user.username = name;
    r.user.email = name + "@example.com";
    r.user.first_name = "First";
    r.user.is_active = true;
    r.user.date_joined = r.user.updated_at = TimePoint(std::chrono::seconds(1'700'000'000));
    r.password_hash = "$argon2id$fake";
    return r;
}

}  // namespace usermgmt::test
