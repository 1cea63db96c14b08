// The background notifier leaves no raw token in freed memory. A binary of its own: it replaces
// the global operator new/delete to look at the one block that held a token when it is freed.
#include "usermgmt/notifier.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>

namespace {

std::atomic<const void*> watched{nullptr};
std::atomic<std::size_t> watched_size{0};
std::atomic<int> freed_zeroed{-1};  // -1: not freed yet; 0: freed holding the token; 1: freed wiped

void inspect(void* p) noexcept
{
    if (!p || p != watched.load()) return;
    const auto* bytes = static_cast<const unsigned char*>(p);
    const bool zero = std::all_of(bytes, bytes + watched_size.load(), [](unsigned char b) { return b == 0; });
    freed_zeroed = zero ? 1 : 0;
    watched = nullptr;
}

}  // namespace

void* operator new(std::size_t size)
{
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept
{
    inspect(p);
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    inspect(p);
    std::free(p);
}

namespace {

using namespace usermgmt;

// Remembers where the token it was handed lives, and signals each delivery.
class WatchingNotifier final : public Notifier {
public:
    void notify(const Notification& n) override
    {
        if (!n.token.empty()) {
            watched_size = n.token.size();
            watched = n.token.data();
        }
        std::lock_guard lock(mutex);
        ++delivered;
        done.notify_all();
    }
    std::mutex mutex;
    std::condition_variable done;
    int delivered = 0;
};

}  // namespace

TEST_CASE("The background notifier wipes a delivered token before its memory is freed", "[notifier]")
{
    auto watching = std::make_unique<WatchingNotifier>();
    WatchingNotifier& inner = *watching;
    auto notifier = make_background_notifier(std::move(watching));
    Notification n;
    n.kind = NotificationKind::password_reset;
    n.token = std::string(64, 'a');  // as long as a real one: on the heap, not in the string itself
    notifier->notify(n);
    {
        std::unique_lock lock(inner.mutex);
        inner.done.wait(lock, [&] { return inner.delivered == 1; });
    }
    notifier.reset();  // the worker ends: whatever held the token is freed by now
    REQUIRE(freed_zeroed.load() != -1);
    CHECK(freed_zeroed.load() == 1);
}
