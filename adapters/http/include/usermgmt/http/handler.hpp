#pragma once
/// @file handler.hpp
/// The HTTP handler: a Beast request in, a Beast response out. Mount it in your own Beast
/// server next to your own routes, or let `Server` run it.

#include "usermgmt/http/export.hpp"
#include "usermgmt/http/message.hpp"
#include "usermgmt/http/settings.hpp"
#include "usermgmt/user_service.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string_view>

namespace usermgmt::http {

/// Serves the route styles, `/media/…` and `/healthz` over one `UserService`.
///
/// Thread-safe: `handle` and `async_handle` may be called from many threads at once. The
/// service must outlive the handler. Media files are served from the service's media store.
class USERMGMT_HTTP_EXPORT Handler {
public:
    Handler(const UserService& service, HttpSettings settings);
    ~Handler();
    Handler(const Handler&) = delete;
    Handler& operator=(const Handler&) = delete;

    /// True when `target` is one of the handler's paths (a route prefix, the media URL,
    /// /healthz, /readyz, /openapi.json or /metrics, when served), so an application can send everything else to its own routes.
    [[nodiscard]] bool owns(std::string_view target) const;

    /// The body limit for a request with this header: `max_upload_bytes` for a multipart body to
    /// an endpoint that takes a file (an avatar), `max_body_bytes` for any other. A server sets it
    /// on its parser before reading the body; a larger body gets 413.
    [[nodiscard]] std::size_t body_limit(const boost::beast::http::request_header<>& header) const;

    /// Answers on the calling thread, password hashing included. `peer` is required: the
    /// throttling counts attempts per client address (docs/http-api.md, mounting).
    [[nodiscard]] Response handle(const Request& request, const Peer& peer) const;

    /// Answers through `done`: requests that hash a password run on the handler's bounded
    /// hashing pool (so I/O threads never hash), other writes on its store pool (so a write
    /// waiting on a locked database never holds an I/O thread), reads at once on the calling
    /// thread. When a pool's queue is full the answer is 503 with Retry-After. `done` is called
    /// exactly once, from the calling thread or a pool thread.
    void async_handle(Request request, Peer peer, std::function<void(Response)> done) const;

    /// The same, except that a request never waits on the calling thread for the cache's change
    /// check: on a store whose check is a round trip (PostgreSQL; see
    /// `UserService::change_checks_wait`) a request to a route style waits for it off the thread,
    /// sharing one round trip with every request that arrives meanwhile, and then runs on
    /// `resume_on` (the connection's executor; its context counts the request as work until
    /// then). Reads still run on that thread as above. Elsewhere it is the overload above.
    /// `Server` uses this one. The handler's destructor waits until every request parked this
    /// way has run or been dropped by its executor.
    void async_handle(Request request, Peer peer, const boost::asio::any_io_executor& resume_on,
                      std::function<void(Response)> done) const;

    /// Blocks until no request given to the overload above is waiting for its change check or
    /// still being handed back to its executor (at most one round trip, bounded by the store's
    /// wait timeout). Call it, after your connections have ended, before you destroy an
    /// io_context you gave to `async_handle`: the store's thread may otherwise still be posting
    /// to it. `Server::stop` does.
    void wait_until_unparked() const;

    /// An error answer in the format of the route style `request` was for (a server uses it for
    /// requests it could not read whole: 413, 431). Logged like any answer.
    [[nodiscard]] Response reject(const Request& request, unsigned status, std::string_view text,
                                  const Peer& peer) const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace usermgmt::http
