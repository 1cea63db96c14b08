#pragma once
// Argon2's working memory kept between hashes, for a program that links
// lib/kept_argon2_memory.cpp (usermgmt-server, the benchmark's raw program; never the library
// itself: it replaces mmap and munmap for the whole process, which only a program may choose).
//
// libsodium maps a hash's memory afresh for every hash, populated (MAP_POPULATE), and unmaps it
// after: the kernel faults in, zeroes and frees the whole of it (19 MiB with the default
// parameters) for every hash. On the benchmark machine that was 42 % of a hash's time; two
// processes hashed 110 times a second, and 173 with the memory kept (docs/performance.md).
//
// Each thread keeps the one region it was last given. A populated private anonymous mapping
// asked for with nothing else (libsodium's call) is answered with the kept region when the
// length matches; its munmap wipes it and keeps it instead of unmapping it. Every other call
// goes to the kernel unchanged. A region is mapped on a 2 MiB boundary and advised
// MADV_HUGEPAGE before it is populated: Argon2 reads its blocks all over it, and with 4 KiB
// pages most reads missed the TLB (9 % more hashes with huge pages). A kept region is wiped
// on fork in the child (MADV_WIPEONFORK); where the kernel cannot do that, nothing is kept. A
// thread that has computed no hash for a while gives its region back (WorkerPool and the
// hashing processes call the function below, which the library declares weak: it exists only
// where this file is linked).

#include <cstddef>

/// Unmaps the calling thread's kept region unless it is lent; nothing when there is none.
extern "C" void usermgmt_give_back_kept_argon2_memory() noexcept;

namespace usermgmt::detail {

/// The calling thread's kept region (nullptr, 0: none), for tests.
struct KeptRegion {
    const unsigned char* base = nullptr;
    std::size_t length = 0;
    bool lent = false;  ///< handed out by mmap and not yet given back by munmap
};
KeptRegion kept_argon2_region();

/// How many mappings the calling thread was answered with its kept region, for tests.
unsigned long kept_argon2_reuses();

}  // namespace usermgmt::detail
