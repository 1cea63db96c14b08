// The store contract for PostgreSQL: each test on a schema of its own in the test server
// (ctest starts one for this binary; see scripts/postgres.sh).
#include "usermgmt/postgres_store.hpp"

#include "../support/temp_dir.hpp"
#include "../support/test_store.hpp"


using namespace usermgmt;

namespace {

struct PostgresBackend {
    static std::unique_ptr<UserStore> make()
    {
        REQUIRE(test::on_postgres());
        const auto& dir = test::lasting_temp_dir();  // its own file (or schema) per test
        auto store = open_postgres_store(test::test_postgres_conninfo(), test::test_postgres_options(dir.path()));
        REQUIRE(store);
        return std::move(*store);
    }
};

}  // namespace

#define USERMGMT_CONTRACT_BACKENDS PostgresBackend
#include "user_store_contract.hpp"
#include "mail_queue_contract.hpp"
