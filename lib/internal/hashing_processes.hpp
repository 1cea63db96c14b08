#pragma once
// Child processes that compute password hashes for the threads that wait for them.
//
// Why processes: libsodium maps a hash's memory (19 MiB by default) afresh for every hash and
// unmaps it after, and a process has one lock over its memory map. A hashing thread preempted
// while its new mapping is being filled holds that lock; the other hashing threads' unmapping,
// and any page fault of the server's threads queued behind it, wait meanwhile, and their cores
// idle. Beside PostgreSQL's processes, which wake for every statement and preempt the hashes,
// that costs logins several percent of the machine (docs/performance.md has the measurements).
// A child has a memory map of its own: nothing else ever waits for its lock.
// (A program that keeps Argon2's memory, kept_argon2_memory.hpp, maps nothing a hash, and its
// threads wait on no such lock: usermgmt-server keeps it and hashes on threads, which did as
// well or better there.)
//
// The children are forked when the pool is made, and again to replace one that died. A child
// runs only the given work function on the requests it reads from its socket; it closes every
// other descriptor it inherited and ends when its socket closes (the pool is destroyed, or the
// process that made it died).

#include "usermgmt/export.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace usermgmt::detail {

class USERMGMT_EXPORT HashingProcesses {
public:
    /// What a child makes of a request: the answer's bytes. Runs in the children only, so it
    /// must use nothing another thread of the parent could have held locked at the fork (no
    /// locks of its own; malloc is safe, glibc resets its locks in the child).
    using Work = std::string (*)(std::string_view request);

    /// Forks `count` children (0: one per core), scheduled `nice` lower than the caller (as
    /// WorkerPool's threads). A child that cannot be forked now is forked at its first request.
    /// A child that has not answered within `answer_timeout` (hung, stopped) is ended.
    HashingProcesses(unsigned count, int nice, Work work,
                     std::chrono::milliseconds answer_timeout = std::chrono::minutes(10));
    /// Ends every child and reaps it. No call may still be running.
    ~HashingProcesses();
    HashingProcesses(const HashingProcesses&) = delete;
    HashingProcesses& operator=(const HashingProcesses&) = delete;

    /// Hands `request` to a free child, waiting for one, and returns its answer. A child that
    /// died (killed, out of memory) or did not answer in time is replaced and asked once more;
    /// nullopt when that fails too, and in a process forked from the one that made the pool
    /// (its children are that process's: make a hasher after forking, as a database connection).
    std::optional<std::string> ask(std::string_view request);

    /// The children no call holds now (for tests).
    std::vector<pid_t> children();

private:
    struct Child {
        pid_t pid = -1;
        int socket = -1;
        int pidfd = -1;  ///< to end and reap it (-1: by pid, on kernels without pidfds)
    };
    bool spawn(Child& child) const;
    static void end(Child& child);
    std::optional<std::string> exchange(const Child& child, std::string_view request) const;

    const pid_t owner_;  ///< the process whose children these are
    const int nice_;
    const Work work_;
    const std::chrono::milliseconds answer_timeout_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<Child> children_;
    /// Indexes into children_ of the children no call holds, in turn: each child is used (and a
    /// dead one found, reaped and replaced) before any is used again.
    std::deque<std::size_t> free_;
};

}  // namespace usermgmt::detail
