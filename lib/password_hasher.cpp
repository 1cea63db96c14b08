#include "usermgmt/password_hasher.hpp"

#include "crypto.hpp"
#include "foreign_hashes.hpp"
#include "worker_pool.hpp"

#include <sodium.h>

#include <algorithm>
#include <future>
#include <limits>
#include <memory>
#include <string>
#include <thread>

namespace usermgmt {
namespace {

// Hashes are computed on the hasher's own threads, one hash per thread at a time, while the
// caller waits. This bounds hashing memory (threads x mem_limit_bytes) however many threads call
// the hasher, and lets callers' other work overlap the hashes: an HTTP request waiting for its
// commit's fsync leaves its core to the next hash. Measured on 2 cores, 1M users: registrations
// 173 -> 181/s, logins 172 -> 178/s, with four request threads over two hashing threads
// (docs/performance.md).
class Argon2idHasher final : public PasswordHasher {
public:
    explicit Argon2idHasher(Argon2Params params)
        : params_(params),
          threads_(params.threads ? params.threads : std::max(1u, std::thread::hardware_concurrency()),
                   std::numeric_limits<std::size_t>::max(), std::clamp(params.nice, 0, Argon2Params::idle_priority))
    {
    }

    Result<std::string> hash(std::string_view password) const override
    {
        return on_hashing_thread([&]() -> Result<std::string> {
            char out[crypto_pwhash_STRBYTES];
            if (crypto_pwhash_str_alg(out, password.data(), password.size(), params_.ops_limit,
                                      params_.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0)
                return fail(Errc::crypto_failure, "argon2id hashing failed (out of memory?)");
            return std::string(out);
        });
    }

    bool verify(std::string_view hash, std::string_view password) const override
    {
        // An imported account's hash from another system, until its first login (its cost is
        // bounded, and it runs on the hashing threads as ours does).
        if (auto foreign = detail::unmark_imported(hash)) {
            const std::string stored(*foreign);
            return on_hashing_thread([&] { return detail::verify_foreign_hash(stored, password); });
        }
        // Unmarked, only Argon2id (of any cost: a hash from before the parameters were lowered
        // still logs in, and is rehashed): no foreign hash logs in without the import's mark.
        if (!detail::argon2id_string(hash)) return false;
        const std::string stored(hash);
        return on_hashing_thread(
            [&] { return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0; });
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
    return std::unique_ptr<PasswordHasher>(std::make_unique<Argon2idHasher>(params));
}

}  // namespace usermgmt
