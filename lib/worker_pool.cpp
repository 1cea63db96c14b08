#include "worker_pool.hpp"

#include <algorithm>
#include <cerrno>

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

// Defined only in a program that keeps Argon2's memory (lib/kept_argon2_memory.cpp): weak,
// so that it is null everywhere else.
extern "C" [[gnu::weak]] void usermgmt_give_back_kept_argon2_memory() noexcept;

namespace usermgmt::detail {

void give_back_idle_memory()
{
    if (usermgmt_give_back_kept_argon2_memory != nullptr) usermgmt_give_back_kept_argon2_memory();
}

void lower_priority(int nice)
{
    // On Linux a thread has a nice value of its own.
    if (nice <= 0) return;
    const auto self = static_cast<id_t>(gettid());
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, self);
    if (errno == 0) (void)setpriority(PRIO_PROCESS, self, std::min(current + nice, 19));
    // Past 19: the idle class, below any nice value (a thread of it yields to any other).
    if (nice > 19) {
        sched_param none{};
        (void)sched_setscheduler(self, SCHED_IDLE, &none);
    }
}

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue_capacity, int nice, std::chrono::milliseconds idle_after)
    : capacity_(queue_capacity), idle_after_(idle_after)
{
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this, nice] { run(nice); });
}

WorkerPool::~WorkerPool()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

bool WorkerPool::try_post(std::function<void()> job)
{
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= capacity_) return false;
        queue_.push_back(std::move(job));
    }
    ready_.notify_one();
    return true;
}

bool WorkerPool::full()
{
    std::lock_guard lock(mutex_);
    return queue_.size() >= capacity_;
}

std::size_t WorkerPool::queued()
{
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void WorkerPool::run(int nice)
{
    lower_priority(nice);
    while (true) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            const auto ready = [this] { return stopping_ || !queue_.empty(); };
            // Idle for a while: what the thread keeps for its next hash goes back, once a time it
            // idles (then it waits as long as it takes).
            if (!ready_.wait_for(lock, idle_after_, ready)) {
                lock.unlock();
                give_back_idle_memory();
                lock.lock();
                ready_.wait(lock, ready);
            }
            // Drain the queue before stopping: every accepted request gets its answer.
            if (queue_.empty()) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job();
    }
}

}  // namespace usermgmt::detail
