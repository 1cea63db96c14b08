#pragma once
// A bounded pool of PostgreSQL connections, shared by the user store and the throttle store:
// a call borrows one (opening it while under the limit, else waiting at most `wait`), and it goes
// back only when healthy and outside any transaction; a broken one is dropped and replaced later.

#include "connection.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace usermgmt::detail::postgres {

class ConnectionPool {
public:
    ConnectionPool(std::string conninfo, std::string schema, std::size_t max_connections, std::chrono::milliseconds wait)
        : conninfo_(std::move(conninfo)), schema_(std::move(schema)), max_(max_connections ? max_connections : 1), wait_(wait)
    {
    }

    /// Adds an open connection (the one a store migrated with at start).
    void give(std::unique_ptr<Connection> connection)
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(connection));
        ++open_;
    }

    /// Runs `call(Connection&)` on a borrowed connection; `storage_failure` when none becomes
    /// free within the wait or none can be opened.
    template <class Call>
    auto with(Call call) -> decltype(call(std::declval<Connection&>()))
    {
        std::unique_ptr<Connection> connection;
        {
            std::unique_lock lock(mutex_);
            const auto may_take = [&] { return !idle_.empty() || open_ < max_; };
            if (!available_.wait_for(lock, wait_, may_take))
                return fail(Errc::storage_failure, "no database connection became free within the wait timeout");
            if (!idle_.empty()) {
                connection = std::move(idle_.back());
                idle_.pop_back();
            } else {
                ++open_;  // a slot for the connection opened below
            }
        }
        // Whatever happens from here (an error, an exception), the slot or connection goes back.
        struct GiveBack {
            ConnectionPool& pool;
            std::unique_ptr<Connection>& connection;
            ~GiveBack() { pool.give_back(connection); }
        } give_back{*this, connection};
        if (!connection) {
            auto opened = Connection::open(conninfo_, schema_);
            if (!opened) return std::move(opened).error();
            connection = std::move(*opened);
        }
        return call(*connection);
    }

private:
    void give_back(std::unique_ptr<Connection>& connection)
    {
        {
            std::lock_guard lock(mutex_);
            if (connection && connection->usable() && PQtransactionStatus(connection->handle()) == PQTRANS_IDLE)
                idle_.push_back(std::move(connection));
            else
                --open_;
        }
        available_.notify_one();
    }

    const std::string conninfo_;
    const std::string schema_;
    const std::size_t max_;
    const std::chrono::milliseconds wait_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;  ///< idle and lent connections, and ones being opened
};

}  // namespace usermgmt::detail::postgres
