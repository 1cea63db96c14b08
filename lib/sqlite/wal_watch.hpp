#pragma once
// Whether anyone committed, read from the WAL index itself: the header every connection of
// every process updates at each commit (sqlite.org/walformat.html, "The WAL-Index Header": two
// copies of 48 bytes at the start of the -shm file, written second copy first). Reading it
// through the connection's own mapping (the VFS's xShmMap) costs a few loads, where
// `PRAGMA data_version` opens and closes a read transaction with file-lock system calls on every
// request. What changes the header (a commit, a WAL restart after a checkpoint) moves the
// version; a header caught mid-update counts as a change too, so a change is never missed,
// only sometimes seen where there was none.

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>

namespace usermgmt::detail::sqlite {

class WalWatch {
public:
    /// Watches the WAL index of `db`, a connection in WAL mode that has read once (so that its
    /// index is mapped). Null when the VFS does not share its index this way.
    static std::unique_ptr<WalWatch> open(sqlite3* db);

    /// A number that differs from the last one returned whenever a transaction committed
    /// between the two calls (by any connection of any process). Thread-safe.
    std::uint64_t version();

private:
    using Header = std::array<std::uint32_t, 12>;  ///< one 48-byte copy
    explicit WalWatch(const volatile void* index) : index_(static_cast<const std::uint32_t*>(const_cast<const void*>(index))) {}

    const std::uint32_t* index_;  ///< the mapped first region of the WAL index
    std::mutex mutex_;
    Header last_{};
    std::uint64_t version_ = 0;
};

}  // namespace usermgmt::detail::sqlite
