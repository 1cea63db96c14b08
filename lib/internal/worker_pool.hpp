#pragma once
// A fixed set of threads with a bounded queue. The Argon2id hasher computes on one; the HTTP
// adapter runs hash-bound requests and writes on two others, off its I/O threads.

#include "usermgmt/export.hpp"
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace usermgmt::detail {

/// Schedules the calling thread `nice` lower than it is (0: unchanged; 1-19 a nice increment;
/// past 19: SCHED_IDLE). Needs no privilege; should it fail, the thread keeps its priority.
void lower_priority(int nice);

/// How long a thread that computes hashes waits without work before it gives back the memory
/// it keeps for the next one (Argon2's, in a program that keeps it: kept_argon2_memory.hpp).
inline constexpr std::chrono::milliseconds idle_give_back_after{std::chrono::seconds(10)};

/// Gives back the calling thread's kept Argon2 memory, in a program that keeps it; nothing
/// otherwise.
void give_back_idle_memory();

class USERMGMT_EXPORT WorkerPool {
public:
    /// `nice`: how much lower than the calling thread the workers are scheduled (0: the same;
    /// 1-19 a nice increment; 20: SCHED_IDLE). A worker without work for `idle_after` gives
    /// back what it keeps for its next job (give_back_idle_memory), once a time it idles
    /// (`idle_after` is added to the steady clock's now: not duration::max()).
    WorkerPool(std::size_t threads, std::size_t queue_capacity, int nice = 0,
               std::chrono::milliseconds idle_after = idle_give_back_after);
    /// Finishes the queued work, then joins the threads.
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues `job`; false (and `job` dropped) when the queue is full.
    bool try_post(std::function<void()> job);
    [[nodiscard]] std::size_t thread_count() const noexcept { return threads_.size(); }
    /// True while `try_post` would refuse for a full queue (for readiness checks).
    [[nodiscard]] bool full();
    /// Jobs waiting for a thread (for metrics).
    [[nodiscard]] std::size_t queued();
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    void run(int nice);

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> queue_;
    std::size_t capacity_;
    const std::chrono::milliseconds idle_after_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace usermgmt::detail
