// The store contract for PostgreSQL: each test on a schema of its own in the test server
// (ctest starts one for this binary; see scripts/postgres.sh).
#include "usermgmt/postgres_store.hpp"

#include "../support/temp_dir.hpp"
#include "../support/test_store.hpp"

#include <list>

using namespace usermgmt;

namespace {

// Each contract test gets its own directory, and so its own schema; they live until the process ends.
std::list<test::TempDir>& dirs()
{
    static std::list<test::TempDir> all;
    return all;
}

struct PostgresBackend {
    static std::unique_ptr<UserStore> make()
    {
        REQUIRE(test::on_postgres());
        auto& dir = dirs().emplace_back();
        auto store = open_postgres_store(test::test_postgres_conninfo(), test::test_postgres_options(dir.path()));
        REQUIRE(store);
        return std::move(*store);
    }
};

}  // namespace

#define USERMGMT_CONTRACT_BACKENDS PostgresBackend
#include "user_store_contract.hpp"
