// UserService::Impl: wiring the components to the ports, and the one row helper they share.
#include "service_impl.hpp"

#include "validation.hpp"

namespace usermgmt {

UserService::Impl::Impl(Config settings, Ports ports, std::shared_ptr<const detail::PasswordValidator> validator)
    : config(std::move(settings)),
      // Every read and write of the service goes through the cache, which keeps itself right.
      store(std::make_unique<detail::CachingUserStore>(std::move(ports.store), config.cache_capacity)),
      hasher(std::move(ports.hasher)),
      notifier(std::move(ports.notifier)),
      media(std::move(ports.media)),
      clock(std::move(ports.clock)),
      mail(ports.mail ? std::make_unique<detail::MailQueue>(std::move(*ports.mail), *store, *clock) : nullptr),
      limiter(config.throttle, std::move(ports.throttle)),
      passwords(config, *hasher, limiter, *clock),
      rules(config, *store, std::move(validator), *clock),
      sessions(config, *store, *clock),
      tokens(*store, *notifier, mail.get(), *clock),
      avatars(config, media.get())
{
}

Result<StoredUser> UserService::Impl::modify_user(
    UserId id, const std::function<Result<void>(StoredUser&)>& change,
    const std::function<Result<void>(UserStore&, const StoredUser&)>& also) const
{
    std::optional<StoredUser> written;
    auto done = store->in_transaction([&](UserStore& s) -> Result<void> {
        auto row = s.find_user(id);
        if (!row) return std::move(row).error();
        if (auto ok = change(*row); !ok) return ok;
        if (auto ok = s.update_user(*row); !ok) return ok;  // a race past check_unique: the store's `taken`
        if (also) {
            if (auto ok = also(s, *row); !ok) return ok;
        }
        written = std::move(*row);
        return {};
    });
    if (!done) return std::move(done).error();
    return std::move(*written);
}

Result<std::string> UserService::Impl::username_for(UserStore& in, std::string_view email) const
{
    std::string base(email.substr(0, detail::max_username_length - 8));
    for (char& c : base)
        if (!detail::is_valid_username_chars(std::string_view(&c, 1))) c = '_';
    for (int n = 1; n < 1000; ++n) {
        const std::string candidate = n == 1 ? base : base + "-" + std::to_string(n);
        auto found = in.find_user_by_username(candidate);
        if (!found && found.error().code == Errc::not_found) return candidate;
        if (!found) return std::move(found).error();
    }
    return fail(Errc::internal, "no free username for this email");
}

}  // namespace usermgmt
