// The UserStore operations that have a default in terms of the others.
#include "usermgmt/user_store.hpp"

#include "crypto.hpp"

namespace usermgmt {

Result<void> UserStore::record_login(UserId id, std::string_view verified_hash, TimePoint at,
                                     const SessionRecord& session)
{
    return in_transaction([&](UserStore& s) -> Result<void> {
        auto row = s.find_user(id);
        if (!row) return std::move(row).error();
        if (!row->user.is_active || !detail::equal_constant_time(row->password_hash, verified_hash))
            return fail(Errc::not_found, "the account changed since its password was checked");
        row->user.last_login = at;
        if (auto ok = s.update_user(*row); !ok) return ok;
        return s.create_session(session);
    });
}

}  // namespace usermgmt
