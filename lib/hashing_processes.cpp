#include "hashing_processes.hpp"

#include "worker_pool.hpp"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <thread>

#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace usermgmt::detail {
namespace {

// A message is its length (4 bytes, host order) and its bytes; a request longer than this is
// refused (a password is bounded far below it by the password policy).
constexpr std::uint32_t max_message = 64u << 20;

bool send_all(int socket, const void* data, std::size_t size)
{
    const auto* at = static_cast<const char*>(data);
    while (size > 0) {
        // MSG_NOSIGNAL: a dead child is an error here, not a SIGPIPE for the whole process.
        const ssize_t sent = ::send(socket, at, size, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        at += sent;
        size -= static_cast<std::size_t>(sent);
    }
    return true;
}

bool receive_all(int socket, void* data, std::size_t size)
{
    auto* at = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t got = ::recv(socket, at, size, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        at += got;
        size -= static_cast<std::size_t>(got);
    }
    return true;
}

bool send_message(int socket, std::string_view bytes)
{
    const auto size = static_cast<std::uint32_t>(bytes.size());
    return bytes.size() <= max_message && send_all(socket, &size, sizeof size) && send_all(socket, bytes.data(), size);
}

std::optional<std::string> receive_message(int socket)
{
    std::uint32_t size = 0;
    if (!receive_all(socket, &size, sizeof size) || size > max_message) return std::nullopt;
    std::string bytes(size, '\0');
    if (!receive_all(socket, bytes.data(), size)) return std::nullopt;
    return bytes;
}

// The child: answers requests until its socket closes. Requests carry passwords: each is wiped
// once answered.
[[noreturn]] void serve(int socket, int nice, HashingProcesses::Work work)
{
    // Only the socket stays open (as descriptor 3; 0-2 are kept for a sanitizer's report): no
    // listening socket, database connection or file of the parent lives on in a hashing child,
    // and the parent's end of every other child's socket is closed, so that each child sees its
    // own socket close when the parent goes.
    if (socket != 3) {
        if (::dup2(socket, 3) < 0) ::_exit(1);
        socket = 3;
    }
    if (::close_range(4, ~0u, 0) != 0) ::_exit(1);
    // A Ctrl-C or a supervisor's signal to the process group is the parent's to act on: it ends
    // the children by closing their sockets once the hashes in flight are answered. Any other
    // signal the parent handles (a test framework's, a crash reporter's) ends a child as it
    // would a process without handlers.
    for (int signal = 1; signal < NSIG; ++signal) {
        struct sigaction action {};
        if (::sigaction(signal, nullptr, &action) != 0 || action.sa_handler == SIG_IGN) continue;
        const bool ignored = signal == SIGINT || signal == SIGTERM || signal == SIGHUP || signal == SIGQUIT ||
                             signal == SIGPIPE;
        if (!ignored && action.sa_handler == SIG_DFL) continue;
        action = {};
        action.sa_handler = ignored ? SIG_IGN : SIG_DFL;
        (void)::sigaction(signal, &action, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    lower_priority(nice);
    while (auto request = receive_message(socket)) {
        std::string answer = work(*request);
        sodium_memzero(request->data(), request->size());
        const bool sent = send_message(socket, answer);
        sodium_memzero(answer.data(), answer.size());
        if (!sent) break;
    }
    ::_exit(0);  // no atexit handlers or destructors of the parent's objects in the child
}

}  // namespace

HashingProcesses::HashingProcesses(unsigned count, int nice, Work work) : nice_(nice), work_(work)
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
    child = Child{pid, sockets[0]};
    return true;
}

void HashingProcesses::end(Child& child)
{
    if (child.socket >= 0) ::close(child.socket);  // a waiting child reads the end and exits
    if (child.pid > 0) {
        ::kill(child.pid, SIGKILL);  // one in the middle of a hash need not finish it
        while (::waitpid(child.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    child = Child{};
}

std::optional<std::string> HashingProcesses::exchange(const Child& child, std::string_view request)
{
    if (child.socket < 0 || !send_message(child.socket, request)) return std::nullopt;
    return receive_message(child.socket);
}

std::optional<std::string> HashingProcesses::ask(std::string_view request)
{
    std::size_t index = 0;
    {
        std::unique_lock lock(mutex_);
        freed_.wait(lock, [this] { return !free_.empty(); });
        index = free_.front();
        free_.pop_front();
    }
    // The child is this call's alone until it is given back.
    Child& child = children_[index];
    auto answer = exchange(child, request);
    if (!answer) {
        // Dead, or never forked: a fresh one, asked once more.
        end(child);
        if (spawn(child)) answer = exchange(child, request);
        if (!answer) end(child);
    }
    {
        std::lock_guard lock(mutex_);
        free_.push_back(index);
    }
    freed_.notify_one();
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
