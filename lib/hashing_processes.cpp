#include "hashing_processes.hpp"

#include "worker_pool.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

namespace usermgmt::detail {
namespace {

// A message is its length (4 bytes, host order) and its bytes; a request longer than this is
// refused (a password is bounded far below it by the password policy).
constexpr std::uint32_t max_message = 64u << 20;

// One message is sent by one call while the socket's buffer takes it whole (a request or an
// answer is a few hundred bytes): the length and the bytes arrive together, so the side that
// waits wakes once for them, not once for each. (A woken parent preempts the hashing child it
// waits for: a second wake would be two more switches between them.)
bool send_message(int socket, std::string_view bytes)
{
    if (bytes.size() > max_message) return false;
    const auto size = static_cast<std::uint32_t>(bytes.size());
    iovec parts[2] = {{const_cast<std::uint32_t*>(&size), sizeof size},
                      {const_cast<char*>(bytes.data()), bytes.size()}};
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = 2;
    std::size_t left = sizeof size + bytes.size();
    while (left > 0) {
        // MSG_NOSIGNAL: a dead child is an error here, not a SIGPIPE for the whole process.
        const ssize_t sent = ::sendmsg(socket, &message, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        left -= static_cast<std::size_t>(sent);
        // A partial send (a message larger than the buffer): the rest from where it stopped.
        for (auto done = static_cast<std::size_t>(sent); done > 0;) {
            iovec& part = message.msg_iov[0];
            const std::size_t step = std::min(done, part.iov_len);
            part.iov_base = static_cast<char*>(part.iov_base) + step;
            part.iov_len -= step;
            done -= step;
            if (part.iov_len == 0 && message.msg_iovlen > 1) {
                ++message.msg_iov;
                --message.msg_iovlen;
            }
        }
    }
    return true;
}

// Reads `size` bytes. The parent waits at most until `deadline` (a child that hangs, or was
// stopped, must not hold its caller forever); the child (no deadline) waits for its parent.
bool receive_all(int socket, void* data, std::size_t size,
                 std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt)
{
    auto* at = static_cast<char*>(data);
    while (size > 0) {
        // What has arrived is taken at once; the parent polls (for its deadline) only when
        // nothing has.
        const ssize_t got = ::recv(socket, at, size, deadline ? MSG_DONTWAIT : 0);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && deadline && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd readable{socket, POLLIN, 0};
            const int ready = ::poll(&readable, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
            if (ready < 0 && errno != EINTR) return false;
            continue;  // readable, interrupted or timed out: the deadline is checked again above
        }
        if (got <= 0) return false;
        at += got;
        size -= static_cast<std::size_t>(got);
    }
    return true;
}

std::optional<std::string> receive_message(int socket,
                                           std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt)
{
    std::uint32_t size = 0;
    if (!receive_all(socket, &size, sizeof size, deadline) || size > max_message) return std::nullopt;
    std::string bytes(size, '\0');
    if (!receive_all(socket, bytes.data(), size, deadline)) return std::nullopt;
    return bytes;
}

// Closes every descriptor from `first` on: close_range, or one by one where the kernel (before
// 5.9) or a seccomp profile refuses it.
void close_from(int first)
{
    if (::close_range(static_cast<unsigned>(first), ~0u, 0) == 0) return;
    const long open_max = ::sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd < (open_max > 0 ? open_max : 65536); ++fd) ::close(static_cast<int>(fd));
}

// Signals that report the child's own fault: their default action (a core dump is refused:
// the child is not dumpable).
bool fault_signal(int signal)
{
    return signal == SIGSEGV || signal == SIGBUS || signal == SIGFPE || signal == SIGILL || signal == SIGABRT ||
           signal == SIGTRAP || signal == SIGSYS;
}

// The child: answers requests until its socket closes. Requests carry passwords: each is wiped
// once answered.
[[noreturn]] void serve(int socket, int nice, HashingProcesses::Work work)
{
    // Nothing of the parent's memory leaves through a core dump or a debugger attaching to a
    // child (it holds a copy of the parent as it was at the fork: secrets, buffers).
    (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // Only the socket stays open (as descriptor 3; 0 and 1 become /dev/null, 2 is kept for a
    // sanitizer's report): no listening socket, client connection, database connection or file
    // of the parent lives on in a hashing child, and the parent's end of every other child's
    // socket is closed, so that each child sees its own socket close when the parent goes.
    if (socket != 3) {
        if (::dup2(socket, 3) < 0) ::_exit(1);
        socket = 3;
    }
    close_from(4);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        (void)::dup2(null, 0);
        (void)::dup2(null, 1);
        if (null > 3) ::close(null);
    }
    // A Ctrl-C or a supervisor's signal to the process group is the parent's to act on: it ends
    // the children by closing their sockets once the hashes in flight are answered. So is any
    // other signal the parent handles (log rotation, say): ignored here. A fault of the child's
    // own takes its default action.
    for (int signal = 1; signal < NSIG; ++signal) {
        struct sigaction action {};
        if (::sigaction(signal, nullptr, &action) != 0 || action.sa_handler == SIG_IGN) continue;
        const bool terminal = signal == SIGINT || signal == SIGTERM || signal == SIGHUP || signal == SIGQUIT ||
                              signal == SIGPIPE;
        if (!terminal && action.sa_handler == SIG_DFL) continue;
        action = {};
        action.sa_handler = fault_signal(signal) ? SIG_DFL : SIG_IGN;
        (void)::sigaction(signal, &action, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    lower_priority(nice);
    while (true) {
        // Idle for a while: the kept Argon2 memory goes back (a new region at the next hash).
        pollfd readable{socket, POLLIN, 0};
        int ready = 0;
        while ((ready = ::poll(&readable, 1, static_cast<int>(idle_give_back_after.count()))) < 0 && errno == EINTR) {
        }
        if (ready == 0) give_back_idle_memory();
        auto request = receive_message(socket);
        if (!request) break;
        std::string answer = work(*request);
        sodium_memzero(request->data(), request->size());
        const bool sent = send_message(socket, answer);
        sodium_memzero(answer.data(), answer.size());
        if (!sent) break;
    }
    ::_exit(0);  // no atexit handlers or destructors of the parent's objects in the child
}

}  // namespace

HashingProcesses::HashingProcesses(unsigned count, int nice, Work work, std::chrono::milliseconds answer_timeout)
    : owner_(::getpid()), nice_(nice), work_(work), answer_timeout_(answer_timeout)
{
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    children_.resize(count);
    for (std::size_t i = 0; i < children_.size(); ++i) {
        (void)spawn(children_[i]);  // retried at the child's first request
        free_.push_back(i);
    }
}

HashingProcesses::~HashingProcesses()
{
    // In a process forked from the owner the children are the owner's: not this one's to end.
    if (::getpid() != owner_) return;
    for (auto& child : children_) end(child);
}

bool HashingProcesses::spawn(Child& child) const
{
    int sockets[2];
    // Close-on-exec: a program the application starts never holds a child's socket open.
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) return false;
    // Signals wait until the child has chosen which it ignores: none may run one of the
    // parent's handlers in it meanwhile.
    sigset_t all;
    sigset_t before;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &before);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(sockets[0]);
        serve(sockets[1], nice_, work_);
    }
    ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
    ::close(sockets[1]);
    if (pid < 0) {
        ::close(sockets[0]);
        return false;
    }
    // The child is ended and reaped through a descriptor of its own, never by its pid: should
    // the application reap it first (SIGCHLD ignored, a waitpid(-1) loop), the pid may name
    // another process by the time the pool ends it. (No pidfd before Linux 5.3: by pid.)
    // (Through syscall(2): Debian 12's <sys/pidfd.h> declares its wrappers without C linkage.)
    child = Child{pid, sockets[0], static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
    return true;
}

void HashingProcesses::end(Child& child)
{
    if (child.socket >= 0) ::close(child.socket);  // a waiting child reads the end and exits
    // One in the middle of a hash need not finish it.
    if (child.pidfd >= 0) {
        (void)::syscall(SYS_pidfd_send_signal, child.pidfd, SIGKILL, nullptr, 0);
        siginfo_t info{};
        while (::waitid(P_PIDFD, static_cast<id_t>(child.pidfd), &info, WEXITED) < 0 && errno == EINTR) {
        }
        ::close(child.pidfd);
    } else if (child.pid > 0) {
        ::kill(child.pid, SIGKILL);
        while (::waitpid(child.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    child = Child{};
}

std::optional<std::string> HashingProcesses::exchange(const Child& child, std::string_view request) const
{
    if (child.socket < 0 || !send_message(child.socket, request)) return std::nullopt;
    return receive_message(child.socket, std::chrono::steady_clock::now() + answer_timeout_);
}

std::optional<std::string> HashingProcesses::ask(std::string_view request)
{
    // A process forked from the owner shares the owner's sockets: answers meant for one could
    // reach the other. It gets none (an application that forks workers makes its hasher in each).
    if (::getpid() != owner_) return std::nullopt;
    std::size_t index = 0;
    {
        std::unique_lock lock(mutex_);
        freed_.wait(lock, [this] { return !free_.empty(); });
        index = free_.front();
        free_.pop_front();
    }
    // The child is this call's alone until it is given back, whatever happens meanwhile (an
    // allocation that throws included); one left mid-exchange is ended, not reused.
    Child& child = children_[index];
    bool settled = false;
    struct GiveBack {
        HashingProcesses& pool;
        std::size_t index;
        const bool& settled;
        ~GiveBack()
        {
            if (!settled) end(pool.children_[index]);
            {
                std::lock_guard lock(pool.mutex_);
                pool.free_.push_back(index);
            }
            pool.freed_.notify_one();
        }
    } give_back{*this, index, settled};
    auto answer = exchange(child, request);
    if (!answer) {
        // Dead, hung, or never forked: a fresh one, asked once more.
        end(child);
        if (spawn(child)) answer = exchange(child, request);
        if (!answer) end(child);
    }
    settled = true;
    return answer;
}

std::vector<pid_t> HashingProcesses::children()
{
    std::lock_guard lock(mutex_);
    std::vector<pid_t> running;
    for (const std::size_t index : free_)
        if (children_[index].pid > 0) running.push_back(children_[index].pid);
    return running;
}

}  // namespace usermgmt::detail
