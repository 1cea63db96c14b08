#pragma once
/// @file sqlite_store.hpp
/// The SQLite implementation of `UserStore`.

#include "usermgmt/export.hpp"
#include "usermgmt/result.hpp"
#include "usermgmt/user_store.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

namespace usermgmt {

struct USERMGMT_EXPORT SqliteOptions {
    /// How long a statement waits for a lock held by another connection or process.
    std::chrono::milliseconds busy_timeout{5000};
    /// Most connections kept open; each thread borrows one per call. A quarter of them (at
    /// least one, when there are two or more) is kept for reads, so token checks and health
    /// checks never wait behind writers stuck on a locked database. A call that finds no free
    /// connection within `busy_timeout` fails with `storage_failure`.
    std::size_t max_connections = 8;
};

/// Opens (creating if missing) the database at `path` in WAL mode with foreign keys on, and
/// brings its schema up to date in place. `storage_failure` when the file cannot be opened or
/// was written by a newer version of the library (its schema is newer than this one knows).
///
/// Thread-safety: the store is safe to use from many threads. It keeps a small pool of
/// connections; a call borrows one for its duration (SQLite connections are never shared
/// between threads at once), plus one that only reads `PRAGMA data_version` for caches. Write transactions start with BEGIN IMMEDIATE, so concurrent
/// writers wait for each other (up to `busy_timeout`) instead of failing.
[[nodiscard]] USERMGMT_EXPORT Result<std::unique_ptr<UserStore>> open_sqlite_store(const std::filesystem::path& path,
                                                                   SqliteOptions options = {});

/// The schema version this library writes.
[[nodiscard]] USERMGMT_EXPORT int sqlite_schema_version() noexcept;

}  // namespace usermgmt
