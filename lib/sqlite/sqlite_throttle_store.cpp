// ThrottleStore over a SQLite file that several processes share. Each attempt is one small
// write transaction: BEGIN IMMEDIATE takes the file's write lock, so reading the window and
// counting in it are atomic across processes.
#include "usermgmt/throttle_store.hpp"

#include "connection.hpp"

#include <mutex>

namespace usermgmt {
namespace {

using detail::sqlite::Connection;
using detail::sqlite::from_micros;
using detail::sqlite::to_micros;
using detail::sqlite::WriteTransaction;

// Windows that ended are deleted every this many attempts, so the table holds only live keys.
constexpr unsigned sweep_every = 1000;

class SqliteThrottleStore final : public ThrottleStore {
public:
    explicit SqliteThrottleStore(std::unique_ptr<Connection> connection) : c_(std::move(connection)) {}

    Result<long long> hit(std::string_view key, const RateLimit& limit, TimePoint now) override
    {
        if (limit.requests == 0) return 0LL;
        // One connection, one caller at a time: an attempt is a few microseconds of work.
        std::lock_guard lock(mutex_);
        WriteTransaction tx(*c_);
        if (auto ok = tx.begin(); !ok) return std::move(ok).error();
        if (++hits_ % sweep_every == 0) {
            if (auto ok = sweep(now); !ok) return std::move(ok).error();
        }
        auto read = c_->prepare("SELECT ends_at, attempts FROM throttle_windows WHERE key = ?1");
        if (!read) return std::move(read).error();
        read->bind(1, key);
        auto row = read->next("read throttle window");
        if (!row) return std::move(row).error();
        const bool open = *row && from_micros(read->integer(0)) > now;
        const TimePoint ends_at = open ? from_micros(read->integer(0)) : now + limit.per;
        const std::int64_t attempts = open ? read->integer(1) : 0;
        read->reset();  // done with the row: release the statement before writing
        long long wait = 0;
        if (attempts >= limit.requests) {
            // Refused, and not counted.
            const auto left = std::chrono::ceil<std::chrono::seconds>(ends_at - now).count();
            wait = left > 0 ? static_cast<long long>(left) : 1LL;
        } else {
            auto write = c_->prepare(
                "INSERT INTO throttle_windows (key, ends_at, attempts) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (key) DO UPDATE SET ends_at = excluded.ends_at, attempts = excluded.attempts");
            if (!write) return std::move(write).error();
            write->bind(1, key).bind(2, to_micros(ends_at)).bind(3, attempts + 1);
            if (auto ok = write->run("count throttle attempt"); !ok) return std::move(ok).error();
        }
        // Committed either way, so a sweep done in this transaction is kept.
        if (auto ok = tx.commit(); !ok) return std::move(ok).error();
        return wait;
    }

    Result<void> purge(TimePoint now) override
    {
        std::lock_guard lock(mutex_);
        WriteTransaction tx(*c_);
        if (auto ok = tx.begin(); !ok) return ok;
        if (auto ok = sweep(now); !ok) return ok;
        return tx.commit();
    }

private:
    Result<void> sweep(TimePoint now)
    {
        auto s = c_->prepare("DELETE FROM throttle_windows WHERE ends_at <= ?1");
        if (!s) return std::move(s).error();
        return s->bind(1, to_micros(now)).run("sweep throttle windows");
    }

    std::mutex mutex_;
    std::unique_ptr<Connection> c_;
    unsigned hits_ = 0;
};

}  // namespace

Result<std::unique_ptr<ThrottleStore>> open_sqlite_throttle_store(const std::filesystem::path& path,
                                                                  std::chrono::milliseconds busy_timeout)
{
    auto connection = Connection::open(path.string(), busy_timeout);
    if (!connection) return std::move(connection).error();
    // Counts survive a process crash without a flush per attempt (WAL + NORMAL).
    if (auto ok = (*connection)->exec("PRAGMA synchronous=NORMAL"); !ok) return std::move(ok).error();
    if (auto ok = (*connection)->exec_when_free("CREATE TABLE IF NOT EXISTS throttle_windows ("
                                                "key TEXT PRIMARY KEY, ends_at INTEGER NOT NULL, attempts INTEGER NOT NULL"
                                                ") WITHOUT ROWID",
                                                busy_timeout);
        !ok)
        return std::move(ok).error();
    return std::unique_ptr<ThrottleStore>(std::make_unique<SqliteThrottleStore>(std::move(*connection)));
}

}  // namespace usermgmt
