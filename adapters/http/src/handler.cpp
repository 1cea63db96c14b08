#include "usermgmt/http/handler.hpp"

#include "usermgmt/http/address.hpp"

#include "common/cors.hpp"
#include "common/openapi.hpp"
#include "metrics.hpp"
#include "pages.hpp"
#include "common/request_body.hpp"
#include "common/error_status.hpp"
#include "common/style.hpp"
#include "common/responses.hpp"
#include "worker_pool.hpp"

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace usermgmt::http {
namespace bhttp = boost::beast::http;
using detail::answer;
using detail::on_route;
using detail::Resolved;

namespace {

std::size_t cores()
{
    return std::max(1u, std::thread::hardware_concurrency());
}

// Proxies in the one spelling client addresses are compared in; an entry that is not an address
// could match no peer, so it is dropped.
std::vector<std::string> normalized_addresses(const std::vector<std::string>& addresses)
{
    std::vector<std::string> out;
    for (const auto& address : addresses)
        if (auto normal = normalize_address(address)) out.push_back(std::move(*normal));
    return out;
}

// The settings in the one spelling the handler compares with: prefixes with their slashes,
// proxies as addresses.
HttpSettings normalized(HttpSettings settings)
{
    settings.trusted_proxies = normalized_addresses(settings.trusted_proxies);
    if (!settings.auth_prefix.empty() && settings.auth_prefix.back() != '/') settings.auth_prefix += '/';
    while (settings.users_prefix.size() > 1 && settings.users_prefix.back() == '/') settings.users_prefix.pop_back();
    std::string& pages = settings.pages_prefix;
    if (!pages.empty()) {
        // One leading slash: "//host/" would make the redirect to the prefix leave the site.
        while (pages.starts_with("//")) pages.erase(0, 1);
        if (pages.front() != '/') pages.insert(pages.begin(), '/');
        if (pages.back() != '/') pages += '/';
    }
    return settings;
}

}  // namespace

struct Handler::Impl {
    Impl(const UserService& s, HttpSettings st)
        : service(s), settings(normalized(std::move(st))), media(s.media()), cors(settings.cors), pages(settings),
          hashing_pool(settings.hashing_threads ? settings.hashing_threads : 2 * cores(), settings.hashing_queue),
          store_pool(settings.store_threads == 0 ? 1 : settings.store_threads, settings.store_queue)
    {
        if (!settings.auth_prefix.empty()) styles.push_back(detail::make_auth_style(service, settings));
        if (!settings.users_prefix.empty()) styles.push_back(detail::make_users_style(service, settings));
        if (settings.serve_openapi) openapi = detail::openapi_document(settings);
        // Every series /metrics can show exists before the first request: counting never allocates.
        for (const auto& style : styles) {
            for (const auto& [label, route] : style->routes())
                series_of[route] = metrics.add(std::string(style->name()), label, route->logs_in());
            unmatched_in.push_back(metrics.add(std::string(style->name()), "unmatched"));
        }
        for (const auto& [route, label] : {std::pair{&own.healthz, "/healthz"}, std::pair{&own.readyz, "/readyz"},
                                           std::pair{&own.openapi, "/openapi.json"}, std::pair{&own.metrics, "/metrics"}})
            series_of[route] = metrics.add("", label);
        series_of[&own.media] = metrics.add("", settings.media_url + "{}");
        if (!settings.pages_prefix.empty()) series_of[&own.pages] = metrics.add("", settings.pages_prefix + "{}");
        unmatched = metrics.add("", "unmatched");
    }

    // Requests parked for a change check (`async_handle` with an executor) hold a Parked each
    // until they have run or their executor dropped them; the handler is not destroyed before.
    struct Parked {
        const Impl* impl;
        explicit Parked(const Impl* i) : impl(i)
        {
            std::lock_guard lock(impl->parked_mutex);
            ++impl->parked;
        }
        ~Parked()
        {
            // Under the lock: a waiter that sees zero may destroy the handler at once.
            std::lock_guard lock(impl->parked_mutex);
            if (--impl->parked == 0) impl->unparked.notify_all();
        }
        Parked(const Parked&) = delete;
        Parked& operator=(const Parked&) = delete;
    };
    // Whether answering `request` on an I/O thread may read a cached row (a token check, a read):
    // then it waits for a look at the database's changes first (async_handle with an executor).
    bool needs_look_first(const Request& request) const
    {
        const std::string_view path = detail::path_of(request.target());
        const auto* style = style_of(path);
        if (!style) return false;
        // Credentials are checked here against cached rows (and most requests carry them).
        if (request.find(bhttp::field::authorization) != request.end()) return true;
        const detail::Endpoint* endpoint = style->endpoint_of(request.method(), path);
        return !endpoint || endpoint->cost != detail::Cost::hashes_password;
    }

    mutable std::mutex parked_mutex;
    mutable std::condition_variable unparked;
    mutable std::size_t parked = 0;

    ~Impl() { wait_until_unparked(); }

    void wait_until_unparked() const
    {
        std::unique_lock lock(parked_mutex);
        unparked.wait(lock, [&] { return parked == 0; });
    }

    const UserService& service;
    HttpSettings settings;
    const bool change_checks_wait = service.change_checks_wait();
    const MediaStore* media;
    detail::Cors cors;
    detail::Pages pages;
    std::vector<std::unique_ptr<detail::Style>> styles;
    std::string openapi;  ///< the document served at /openapi.json, under this handler's prefixes
    // Thread-safe; mutable because posting work does not change what the handler answers.
    mutable usermgmt::detail::WorkerPool hashing_pool;
    mutable usermgmt::detail::WorkerPool store_pool;
    // What /metrics counts: a series per route of each style, per path of the handler's own
    // (routes of their own, for the same lookup), and for what matched nothing.
    struct OwnRoutes {
        detail::Route healthz, readyz, openapi, metrics, media, pages;
    } own;
    mutable detail::Metrics metrics;  // counting does not change what the handler answers
    std::unordered_map<const detail::Route*, detail::RouteSeries*> series_of;
    std::vector<detail::RouteSeries*> unmatched_in;  ///< per style, in `styles` order
    detail::RouteSeries* unmatched = nullptr;

    detail::RouteSeries* series_for(const detail::Route* route, std::string_view path) const
    {
        if (route) {
            const auto found = series_of.find(route);
            if (found != series_of.end()) return found->second;
        }
        for (std::size_t i = 0; i < styles.size(); ++i)
            if (styles[i]->owns(path)) return unmatched_in[i];
        return unmatched;
    }

    bool metrics_allowed(const Request& request, const Peer& peer) const
    {
        if (!settings.metrics_loopback_only) return true;
        const std::string client = detail::client_address(request, peer, settings);
        return client.rfind("127.", 0) == 0 || client == "::1";
    }

    // GET /metrics: the counters of this handler, or of the one `metrics_of` names.
    Response metrics_page(const Request& request) const
    {
        const Impl& source = settings.metrics_of ? *settings.metrics_of->impl_ : *this;
        detail::Metrics::Gauges gauges{source.hashing_pool.queued(), source.hashing_pool.capacity(),
                                       source.store_pool.queued(), source.store_pool.capacity()};
        Response response{bhttp::status::ok, request.version()};
        response.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        response.set(bhttp::field::cache_control, "no-store");
        response.body() = source.metrics.render(source.service, gauges);
        response.keep_alive(request.keep_alive());
        response.prepare_payload();
        return response;
    }

    const detail::Style* style_of(std::string_view path) const
    {
        for (const auto& style : styles)
            if (style->owns(path)) return style.get();
        return nullptr;
    }

    // A plain error in the format of the style the request was for ({"detail": ...} otherwise).
    Response message(unsigned status, std::string_view text, const Request& request) const
    {
        const auto* style = style_of(detail::path_of(request.target()));
        return style ? style->message(status, text, request) : detail::detail_response(status, text, request);
    }

    // A condition of `code` (full queues) in the format of the request's style.
    Response condition(Errc code, std::string_view text, const Request& request) const
    {
        if (const auto* style = style_of(detail::path_of(request.target()))) return style->condition(code, text, request);
        return detail::with_status(detail::detail_response(500, text, request), code, detail::Column::auth);
    }

    // Liveness: the process answers. Nothing else is asked, so a database outage never gets
    // a healthy process restarted.
    Response health(const Request& request) const
    {
        return detail::json_response(200, boost::json::object{{"status", "ok"}}, request);
    }

    // Readiness: the database answers and the queues in front of it take work. A load
    // balancer sends nothing to a node that says no (503 with Retry-After).
    Response readiness(const Request& request) const
    {
        const bool ready = service.health() && !hashing_pool.full() && !store_pool.full();
        if (ready) return detail::json_response(200, boost::json::object{{"status", "ready"}}, request);
        return detail::with_status(detail::json_response(500, boost::json::object{{"status", "unavailable"}}, request),
                                   Errc::storage_failure, detail::Column::auth);
    }

    Response media_file(const Request& request, std::string_view key) const
    {
        auto bytes = media->read(key);
        const auto type = bytes ? detect_image_type(*bytes) : std::nullopt;
        if (!type) return detail::detail_response(404, "Not found.", request);
        Response response{bhttp::status::ok, request.version()};
        response.set(bhttp::field::content_type, content_type(*type));
        // Keys are random and never reused: the file at a key never changes.
        response.set(bhttp::field::cache_control, "public, max-age=31536000, immutable");
        response.set("X-Content-Type-Options", "nosniff");
        response.body() = std::move(*bytes);
        response.keep_alive(request.keep_alive());
        response.prepare_payload();
        return response;
    }

    Resolved resolve(std::shared_ptr<const Request> request, const Peer& peer) const
    {
        if (auto preflight = cors.preflight(*request)) return answer(std::move(*preflight));
        const std::string_view path = detail::path_of(request->target());
        if (request->body().size() > body_limit(*request))
            return answer(message(413, "Request body too large.", *request));

        const bool read = request->method() == bhttp::verb::get || request->method() == bhttp::verb::head;
        if (path == "/healthz" || path == "/readyz") {
            const detail::Route* route = path == "/healthz" ? &own.healthz : &own.readyz;
            if (!read) return on_route(answer(detail::detail_response(405, "Method not allowed.", *request)), route);
            return on_route(answer(path == "/healthz" ? health(*request) : readiness(*request)), route);
        }
        if (settings.serve_openapi && path == detail::openapi_path) {
            if (!read) return on_route(answer(detail::detail_response(405, "Method not allowed.", *request)), &own.openapi);
            return on_route(answer(detail::openapi_response(openapi, *request)), &own.openapi);
        }
        if (settings.serve_metrics && path == "/metrics" && metrics_allowed(*request, peer)) {
            if (!read) return on_route(answer(detail::detail_response(405, "Method not allowed.", *request)), &own.metrics);
            return on_route(answer(metrics_page(*request)), &own.metrics);
        }
        const std::string_view media_url = settings.media_url;
        if (media && !media_url.empty() && path.substr(0, media_url.size()) == media_url) {
            if (!read) return on_route(answer(detail::detail_response(405, "Method not allowed.", *request)), &own.media);
            return on_route(answer(media_file(*request, path.substr(media_url.size()))), &own.media);
        }
        if (const auto* style = style_of(path)) return style->resolve(std::move(request), peer);
        // After the styles: pages under "/" never hide a route.
        if (pages.owns(path)) return on_route(answer(pages.answer(*request)), &own.pages);
        return answer(detail::detail_response(404, "Not found.", *request));
    }

    // Runs an endpoint; an exception (out of memory, a bug) becomes a 500, never a crash.
    Response run(const Resolved& resolved, const Request& request) const
    {
        try {
            return resolved.run();
        } catch (const std::exception&) {
            return message(500, "A server error occurred.", request);
        }
    }

    void finish(const Request& request, Response& response, const Peer& peer,
                std::chrono::steady_clock::time_point started, const detail::Route* route) const
    {
        cors.decorate(request, response);
        if (request.method() == bhttp::verb::head && response.result() != bhttp::status::not_modified) {
            // HEAD: the GET answer's headers, no body.
            const auto size = response.body().size();
            response.body().clear();
            response.content_length(size);
        }
        const auto took =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
        const std::string_view path = detail::path_of(request.target());
        series_for(route, path)->record(request.method(), response.result_int(), took);
        if (settings.access_log)
            settings.access_log(RequestLog{request.method_string(), path, response.result_int(), took, peer.address});
    }

    // Resolves and runs a request inside the caller's read scope; reads answer at once, hashing
    // and writes go to their pools (a full queue is answered at once).
    void serve(std::shared_ptr<const Request> shared, const Peer& peer, std::chrono::steady_clock::time_point started,
               std::function<void(Response)> done) const
    {
        Resolved resolved;
        try {
            resolved = resolve(shared, peer);
        } catch (const std::exception&) {
            Response response = message(500, "A server error occurred.", *shared);
            finish(*shared, response, peer, started, nullptr);
            done(std::move(response));
            return;
        }
        auto complete = [this, shared, peer, started, route = resolved.route, done = std::move(done)](Response response) {
            finish(*shared, response, peer, started, route);
            done(std::move(response));
        };
        if (resolved.work == detail::Work::now) {
            complete(run(resolved, *shared));
            return;
        }
        const bool hashing = resolved.work == detail::Work::hashing;
        auto job = std::make_shared<std::pair<Resolved, decltype(complete)>>(std::move(resolved), complete);
        auto& pool = hashing ? hashing_pool : store_pool;
        if (!pool.try_post([this, shared, job] { job->second(run(job->first, *shared)); })) {
            metrics.rejected(hashing);
            complete(condition(Errc::storage_failure,
                               hashing ? "Too many requests are waiting for a password check; try again shortly."
                                       : "Too many requests are waiting for the database; try again shortly.",
                               *shared));
        }
    }

    // The upload limit only for a multipart body to an endpoint that takes a file (its route says so).
    std::size_t body_limit(const bhttp::request_header<>& header) const
    {
        if (!detail::is_multipart(header[bhttp::field::content_type])) return settings.max_body_bytes;
        const std::string_view path = detail::path_of(header.target());
        const auto* style = style_of(path);
        const detail::Endpoint* endpoint = style ? style->endpoint_of(header.method(), path) : nullptr;
        return endpoint && endpoint->takes_file ? settings.max_upload_bytes : settings.max_body_bytes;
    }
};

Handler::Handler(const UserService& service, HttpSettings settings)
    : impl_(std::make_unique<Impl>(service, std::move(settings)))
{
}

Handler::~Handler() = default;

bool Handler::owns(std::string_view target) const
{
    const auto path = detail::path_of(target);
    const std::string_view media_url = impl_->settings.media_url;
    return path == "/healthz" || path == "/readyz" || (impl_->settings.serve_openapi && path == detail::openapi_path) ||
           (impl_->settings.serve_metrics && path == "/metrics") ||
           impl_->style_of(path) || impl_->pages.owns(path) ||
           (impl_->media && !media_url.empty() && path.substr(0, media_url.size()) == media_url);
}

std::size_t Handler::body_limit(const bhttp::request_header<>& header) const
{
    return impl_->body_limit(header);
}

Response Handler::handle(const Request& request, const Peer& peer) const
{
    const auto started = std::chrono::steady_clock::now();
    // One look at the database's change counter for the whole request (token check and call).
    const auto scope = impl_->service.read_scope();
    auto shared = std::make_shared<const Request>(request);
    const detail::Route* route = nullptr;
    Response response = [&] {
        try {
            auto resolved = impl_->resolve(shared, peer);
            route = resolved.route;
            return impl_->run(resolved, *shared);
        } catch (const std::exception&) {
            return impl_->message(500, "A server error occurred.", *shared);
        }
    }();
    impl_->finish(*shared, response, peer, started, route);
    return response;
}

Response Handler::reject(const Request& request, unsigned status, std::string_view text, const Peer& peer) const
{
    Response response = impl_->message(status, text, request);
    impl_->finish(request, response, peer, std::chrono::steady_clock::now(), nullptr);
    return response;
}

void Handler::async_handle(Request request, Peer peer, std::function<void(Response)> done) const
{
    const auto started = std::chrono::steady_clock::now();
    // One look at the database's change counter for what runs here (the token check, and reads
    // answered at once); work handed to a pool looks again there.
    const auto scope = impl_->service.read_scope();
    impl_->serve(std::make_shared<const Request>(std::move(request)), peer, started, std::move(done));
}

void Handler::async_handle(Request request, Peer peer, const boost::asio::any_io_executor& resume_on,
                           std::function<void(Response)> done) const
{
    const Impl& impl = *impl_;
    // Only the route styles read the database's rows; the rest never waits for a look. Nor does
    // a password check without credentials (a login, a registration, a reset): it reads no
    // cached row here, and its hashing thread looks for itself if it needs to.
    if (!impl.change_checks_wait || !impl.needs_look_first(request))
        return async_handle(std::move(request), std::move(peer), std::move(done));
    const auto started = std::chrono::steady_clock::now();
    auto shared = std::make_shared<const Request>(std::move(request));
    // The look is a round trip: the request waits for it off this thread, with every other
    // request that arrives meanwhile, and comes back to `resume_on` with its answer. While it
    // waits it counts as work of the executor's context (whose run() does not return), and it
    // is parked (see wait_until_unparked) until the store's thread has let go of the executor:
    // the request may be answered, and its server stopped, before `post` has even returned.
    auto parked = std::make_shared<const Impl::Parked>(&impl);
    auto executor = boost::asio::prefer(resume_on, boost::asio::execution::outstanding_work.tracked);
    impl.service.check_changes([&impl, shared, peer, started, executor, parked, done = std::move(done)](
                                   UserService::ChangeCheck check) mutable {
        boost::asio::post(executor, [&impl, shared = std::move(shared), peer = std::move(peer), started, check, parked,
                                     done = std::move(done)]() mutable {
            const auto scope = impl.service.read_scope(check);
            impl.serve(std::move(shared), peer, started, std::move(done));
        });
        executor = boost::asio::any_io_executor();  // the work it tracked ends while the context surely lives
        parked.reset();  // the last touch of the context was the line above
    });
}

void Handler::wait_until_unparked() const
{
    impl_->wait_until_unparked();
}

}  // namespace usermgmt::http
