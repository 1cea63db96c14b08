// The ready server: Beast's async session shape (shared_from_this, do_x/on_x, early returns on
// errors), one strand per connection, explicit timeouts and limits, graceful shutdown.
#include "usermgmt/http/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace usermgmt::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

class Session;

// The live sessions. Shared with each session, so it outlives every one of them.
struct Registry {
    std::mutex mutex;
    std::condition_variable changed;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
    bool stopping = false;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, const Handler& handler, const ServerSettings& settings,
            std::shared_ptr<Registry> registry)
        : registration_{std::move(registry), this}, stream_(std::move(socket)), handler_(handler), settings_(settings)
    {
        beast::error_code ec;
        const auto endpoint = stream_.socket().remote_endpoint(ec);
        if (!ec) peer_.address = endpoint.address().to_string();
    }

    void run()
    {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(true); });
    }

    // Called on the session's strand when the server stops: idle connections close now, busy
    // ones after their response.
    void stop()
    {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            self->closing_ = true;
            if (!self->busy_) self->close();
        });
    }

    // Called when the grace period is over.
    void force_close()
    {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
    }

private:
    void do_read(bool first)
    {
        if (closing_) return close();
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(settings_.max_header_bytes));
        // A new connection must send its request promptly; a kept-alive one may wait longer.
        stream_.expires_after(first ? settings_.read_timeout : settings_.idle_timeout);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 beast::bind_front_handler(&Session::on_read_header, shared_from_this()));
    }

    void on_read_header(beast::error_code ec, std::size_t)
    {
        if (ec == bhttp::error::header_limit) return reject(431, "Request header fields too large.");
        // Bytes that are not an HTTP request get a 400 before the connection closes; a client
        // that went away or stopped mid-header (end of stream, timeout) just loses it.
        if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
            ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
            return reject(400, "Bad request.");
        if (ec) return close();
        busy_ = true;
        const std::size_t limit = handler_.body_limit(parser_->get().base());
        parser_->body_limit(limit);
        const auto length = parser_->content_length();
        if (length && *length > limit) return reject(413, "Request body too large.");
        stream_.expires_after(settings_.read_timeout);
        if (bhttp::token_list(parser_->get()[bhttp::field::expect]).exists("100-continue")) {
            // The client waits for this before it sends the body.
            auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
            bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
                if (e) return self->close();
                self->read_body();
            });
            return;
        }
        read_body();
    }

    void read_body()
    {
        bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t)
    {
        if (ec == bhttp::error::body_limit) return reject(413, "Request body too large.");
        if (ec) return close();
        // The handler may answer from a worker thread; the write goes back onto our strand.
        handler_.async_handle(parser_->release(), peer_, [self = shared_from_this()](Response response) {
            auto shared = std::make_shared<Response>(std::move(response));
            net::post(self->stream_.get_executor(), [self, shared] { self->do_write(shared); });
        });
    }

    // Answers a request that could not be read whole, then closes: the rest of it is unread.
    void reject(unsigned status, std::string_view text)
    {
        Request request;
        if (parser_) request = parser_->get();
        request.keep_alive(false);
        request.body().clear();
        auto response = handler_.reject(request, status, text, peer_);
        response.keep_alive(false);
        do_write(std::make_shared<Response>(std::move(response)));
    }

    void do_write(std::shared_ptr<Response> response)
    {
        busy_ = true;
        if (closing_) response->keep_alive(false);
        stream_.expires_after(settings_.write_timeout);
        bhttp::async_write(stream_, *response, [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
            self->on_write(ec, response->need_eof());
        });
    }

    void on_write(beast::error_code ec, bool close_after)
    {
        busy_ = false;
        if (ec || close_after) return close();
        do_read(false);
    }

    void close()
    {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
    }

    // Leaves the registry when the session is gone. Declared first, so destroyed last: the
    // server waits for the registry to empty before it destroys the io_context, and the stream
    // below still needs it while it is destroyed (possibly on a worker thread).
    struct Registration {
        std::shared_ptr<Registry> registry;
        Session* session;
        ~Registration()
        {
            std::lock_guard lock(registry->mutex);
            registry->sessions.erase(session);
            registry->changed.notify_all();
        }
    } registration_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    const Handler& handler_;
    const ServerSettings& settings_;
    Peer peer_;
    bool busy_ = false;
    bool closing_ = false;
};

}  // namespace

struct Server::Impl {
    Impl(const Handler& h, ServerSettings s) : handler(h), settings(std::move(s)) {}

    const Handler& handler;
    ServerSettings settings;
    std::shared_ptr<Registry> registry = std::make_shared<Registry>();
    // Declared after the registry: destroyed first, with every handler it still holds.
    net::io_context ioc;
    // Keeps the threads running while a session waits for the worker pool and nothing else is
    // pending (after the acceptor closed, say); released when stopping ends.
    net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
    tcp::acceptor acceptor{net::make_strand(ioc)};
    std::vector<std::thread> threads;
    unsigned short port = 0;
    std::mutex stop_mutex;
    std::condition_variable stopped_changed;
    bool stopped = false;

    void do_accept()
    {
        acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
            if (!ec) start_session(std::move(socket));
            do_accept();
        });
    }

    void start_session(tcp::socket socket)
    {
        std::shared_ptr<Session> session;
        {
            std::lock_guard lock(registry->mutex);
            if (registry->stopping || registry->sessions.size() >= settings.max_connections) return;  // closed
            session = std::make_shared<Session>(std::move(socket), handler, settings, registry);
            registry->sessions.emplace(session.get(), session);
        }
        session->run();
    }

    std::vector<std::shared_ptr<Session>> live_sessions()
    {
        std::vector<std::shared_ptr<Session>> out;
        std::lock_guard lock(registry->mutex);
        for (auto& [raw, weak] : registry->sessions)
            if (auto s = weak.lock()) out.push_back(std::move(s));
        return out;
    }

    // Waits until no session is left or `deadline` passes.
    bool drain(std::chrono::steady_clock::time_point deadline)
    {
        std::unique_lock lock(registry->mutex);
        return registry->changed.wait_until(lock, deadline, [&] { return registry->sessions.empty(); });
    }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server()
{
    stop();
}

Result<std::unique_ptr<Server>> Server::start(const Handler& handler, ServerSettings settings)
{
    if (settings.threads == 0) settings.threads = 1;
    beast::error_code ec;
    const auto address = net::ip::make_address(settings.address, ec);
    if (ec) return fail(Errc::bad_config, "invalid listen address '" + settings.address + "'");
    auto impl = std::make_unique<Impl>(handler, settings);
    const tcp::endpoint endpoint{address, settings.port};
    auto& acceptor = impl->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fail(Errc::internal, "cannot listen on " + settings.address + ":" + std::to_string(settings.port) +
                                            ": " + ec.message());
    impl->port = acceptor.local_endpoint().port();
    impl->do_accept();
    for (std::size_t i = 0; i < settings.threads; ++i) impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

unsigned short Server::port() const noexcept
{
    return impl_->port;
}

void Server::stop()
{
    Impl& m = *impl_;
    std::lock_guard stop_lock(m.stop_mutex);
    if (m.stopped) return;
    {
        std::lock_guard lock(m.registry->mutex);
        m.registry->stopping = true;
    }
    net::post(m.acceptor.get_executor(), [&m] {
        beast::error_code ec;
        m.acceptor.close(ec);
    });
    // Idle connections close now; requests in flight finish and then close.
    for (auto& session : m.live_sessions()) session->stop();
    if (!m.drain(std::chrono::steady_clock::now() + m.settings.shutdown_grace)) {
        for (auto& session : m.live_sessions()) session->force_close();
        // A session waiting for a password hash ends when its hash does; the loop keeps running.
        m.drain(std::chrono::steady_clock::now() + std::chrono::seconds(30));
    }
    m.work.reset();
    m.ioc.stop();
    for (auto& t : m.threads) t.join();
    m.stopped = true;
    m.stopped_changed.notify_all();
}

void Server::wait()
{
    std::unique_lock lock(impl_->stop_mutex);
    impl_->stopped_changed.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace usermgmt::http
