#include "usermgmt/password_hasher.hpp"

#include "crypto.hpp"
#include "foreign_hashes.hpp"
#include "hashing_processes.hpp"
#include "worker_pool.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace usermgmt {
namespace {

// A request to compute: 'h', the passes and memory (8 bytes each), the password (to hash); or
// 'v', the stored hash's length (4 bytes), the stored hash, the password (to verify). The same
// bytes go to a hashing thread or a hashing process.
std::string hash_request(std::uint64_t ops, std::uint64_t memory, std::string_view password)
{
    std::string request(1, 'h');
    request.append(reinterpret_cast<const char*>(&ops), sizeof ops);
    request.append(reinterpret_cast<const char*>(&memory), sizeof memory);
    request.append(password);
    return request;
}

std::string verify_request(std::string_view stored, std::string_view password)
{
    const auto size = static_cast<std::uint32_t>(stored.size());
    std::string request(1, 'v');
    request.append(reinterpret_cast<const char*>(&size), sizeof size);
    request.append(stored);
    request.append(password);
    return request;
}

// Computes a request: "1" and the hash string, or "1" for a password that matches; "0" when it
// does not, or the hash could not be made (out of memory). Runs on a hashing thread, or in a
// hashing process (HashingProcesses::Work: libsodium only, nothing that takes a lock).
std::string answer(std::string_view request)
{
    const auto take = [&](void* out, std::size_t size) {
        if (request.size() < size) return false;
        std::memcpy(out, request.data(), size);
        request.remove_prefix(size);
        return true;
    };
    char op = 0;
    if (!take(&op, 1)) return "0";
    if (op == 'h') {
        std::uint64_t ops = 0;
        std::uint64_t memory = 0;
        if (!take(&ops, sizeof ops) || !take(&memory, sizeof memory)) return "0";
        std::string out(crypto_pwhash_STRBYTES + 1, '\0');
        out[0] = '1';
        if (crypto_pwhash_str_alg(out.data() + 1, request.data(), request.size(), ops, static_cast<std::size_t>(memory),
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
            return "0";
        out.resize(1 + std::strlen(out.c_str() + 1));
        return out;
    }
    std::uint32_t size = 0;
    if (op != 'v' || !take(&size, sizeof size) || request.size() < size) return "0";
    const std::string stored(request.substr(0, size));  // NUL-terminated for libsodium
    request.remove_prefix(size);
    return crypto_pwhash_str_verify(stored.c_str(), request.data(), request.size()) == 0 ? "1" : "0";
}

// Hashes are computed on the hasher's own threads, or in its own processes, one hash each at a
// time, while the caller waits. This bounds hashing memory (threads x mem_limit_bytes) however
// many threads call the hasher, and lets callers' other work overlap the hashes: an HTTP request
// waiting for its commit's fsync leaves its core to the next hash. Measured on 2 cores, 1M
// users: registrations 173 -> 181/s, logins 172 -> 178/s, with four request threads over two
// hashing threads (docs/performance.md). Processes (Argon2Params::processes) keep each hash's
// memory mapping out of the caller's memory map (hashing_processes.hpp says why that matters).
class Argon2idHasher final : public PasswordHasher {
public:
    // The processes are forked before the hasher's own threads start (fewer threads to be
    // caught mid-call by the fork).
    explicit Argon2idHasher(Argon2Params params)
        : params_(params),
          processes_(params.processes ? std::make_unique<detail::HashingProcesses>(params.threads, nice(), &answer)
                                      : nullptr),
          threads_(params.threads, std::numeric_limits<std::size_t>::max(), nice())  // 0: one per core
    {
    }

    /// Whether the processes started and answer (a hash of the cheapest cost): a hasher whose
    /// processes cannot is refused when it is made, not at every login.
    bool processes_answer() const { return static_cast<bool>(hash_with(1, crypto_pwhash_argon2id_MEMLIMIT_MIN, "probe")); }

    Result<std::string> hash(std::string_view password) const override
    {
        return hash_with(params_.ops_limit, params_.mem_limit_bytes, password);
    }

    bool verify(std::string_view hash, std::string_view password) const override
    {
        // An imported account's hash from another system, until its first login (its cost is
        // bounded, and it runs on the hashing threads as ours does; never in a hashing process:
        // OpenSSL and libcrypt take locks another thread could have held at the fork).
        if (auto foreign = detail::unmark_imported(hash)) {
            const std::string stored(*foreign);
            return on_hashing_thread([&] { return detail::verify_foreign_hash(stored, password); });
        }
        // Unmarked, only Argon2id (of any cost: a hash from before the parameters were lowered
        // still logs in, and is rehashed): no foreign hash logs in without the import's mark.
        if (!detail::argon2id_string(hash)) return false;
        const auto checked = compute(verify_request(hash, password));
        return checked && *checked == "1";
    }

    bool needs_rehash(std::string_view hash) const override
    {
        if (detail::unmark_imported(hash)) return true;  // never kept past the first login
        if (hash.size() >= crypto_pwhash_STRBYTES) return true;
        const std::string stored(hash);
        // 1: other parameters; -1: not an Argon2id string at all. Both mean "hash again".
        return crypto_pwhash_str_needs_rehash(stored.c_str(), params_.ops_limit, params_.mem_limit_bytes) != 0;
    }

private:
    Result<std::string> hash_with(std::uint64_t ops, std::size_t memory, std::string_view password) const
    {
        auto made = compute(hash_request(ops, memory, password));
        if (!made || made->size() < 2 || (*made)[0] != '1')
            return fail(Errc::crypto_failure, "argon2id hashing failed (out of memory?)");
        return made->substr(1);
    }

    int nice() const { return std::clamp(params_.nice, 0, Argon2Params::idle_priority); }

    // The request's answer from a hashing process or thread (nullopt: no process could answer).
    // The request holds the password: it is wiped once answered.
    std::optional<std::string> compute(std::string request) const
    {
        std::optional<std::string> made =
            processes_ ? processes_->ask(request) : on_hashing_thread([&] { return answer(request); });
        sodium_memzero(request.data(), request.size());
        return made;
    }

    // Runs `work` on a hashing thread and returns its result; the caller's references stay valid
    // because the caller waits. The task is shared so it outlives the wait on either side.
    template <class Work>
    auto on_hashing_thread(Work work) const -> decltype(work())
    {
        auto task = std::make_shared<std::packaged_task<decltype(work())()>>(std::move(work));
        auto result = task->get_future();
        if (!threads_.try_post([task] { (*task)(); })) (*task)();  // only while shutting down
        return result.get();
    }

    Argon2Params params_;
    const std::unique_ptr<detail::HashingProcesses> processes_;  // null: hashes on threads_
    mutable detail::WorkerPool threads_;
};

}  // namespace

Result<std::unique_ptr<PasswordHasher>> make_argon2id_hasher(Argon2Params params)
{
    if (!detail::sodium_ready()) return fail(Errc::crypto_failure, "libsodium could not be initialised");
    if (params.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN || params.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX)
        return fail(Errc::bad_config, "argon2 ops_limit out of range");
    if (params.mem_limit_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
        params.mem_limit_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX)
        return fail(Errc::bad_config, "argon2 mem_limit_bytes out of range");
    auto hasher = std::make_unique<Argon2idHasher>(params);
    if (params.processes && !hasher->processes_answer())
        return fail(Errc::crypto_failure, "the hashing processes could not be started");
    return std::unique_ptr<PasswordHasher>(std::move(hasher));
}

}  // namespace usermgmt
