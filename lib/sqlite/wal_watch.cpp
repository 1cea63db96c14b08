#include "wal_watch.hpp"

#include <atomic>

namespace usermgmt::detail::sqlite {
namespace {

constexpr int first_region_bytes = 32 * 1024;  // WALINDEX_PGSZ: the header lives in region 0

}  // namespace

std::unique_ptr<WalWatch> WalWatch::open(sqlite3* db)
{
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file || !file->pMethods)
        return nullptr;
    const sqlite3_io_methods* methods = file->pMethods;
    if (methods->iVersion < 2 || !methods->xShmMap) return nullptr;
    volatile void* region = nullptr;
    // bExtend 0: only an index that exists (the connection opened it when it first read).
    if (methods->xShmMap(file, 0, first_region_bytes, 0, &region) != SQLITE_OK || !region) return nullptr;
    return std::unique_ptr<WalWatch>(new WalWatch(region));
}

std::uint64_t WalWatch::version()
{
    // As SQLite's walIndexTryHdr: the first copy, a barrier, the second; equal and initialised
    // means a consistent header (writers write the second copy first).
    Header first{}, second{};
    for (std::size_t i = 0; i < first.size(); ++i)
        first[i] = __atomic_load_n(index_ + i, __ATOMIC_RELAXED);
    std::atomic_thread_fence(std::memory_order_acquire);
    for (std::size_t i = 0; i < second.size(); ++i)
        second[i] = __atomic_load_n(index_ + second.size() + i, __ATOMIC_RELAXED);
    const bool initialised = reinterpret_cast<const unsigned char*>(first.data())[12] != 0;  // isInit
    const bool consistent = first == second && initialised;

    std::lock_guard lock(mutex_);
    if (!consistent || first != last_) {
        last_ = first;
        ++version_;
    }
    return version_;
}

}  // namespace usermgmt::detail::sqlite
