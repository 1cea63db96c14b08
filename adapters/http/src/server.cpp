// The ready server: Beast's async session shape (shared_from_this, do_x/on_x, early returns on
// errors), one strand per connection, explicit timeouts and limits, graceful shutdown; plain TCP
// or TLS (one session template over both streams, as Beast's flex server has it).
#include "usermgmt/http/server.hpp"

#include "wire.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>

namespace usermgmt::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

// What the registry and the server ask of a session, whatever its stream.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
public:
    virtual ~SessionBase() = default;
    /// Idle connections close now, busy ones after their response.
    virtual void stop() = 0;
    /// Closes at once (the grace period is over).
    virtual void force_close() = 0;
};

// The live sessions. Shared with each session, so it outlives every one of them.
struct Registry {
    std::mutex mutex;
    std::condition_variable changed;
    std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
    bool stopping = false;
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class Session final : public SessionBase {
    static constexpr bool tls = std::is_same_v<Stream, TlsStream>;

public:
    Session(tcp::socket&& socket, const Handler& handler, const ServerSettings& settings,
            std::shared_ptr<Registry> registry, std::shared_ptr<net::ssl::context> tls_context)
        : registration_{std::move(registry), this}, tls_context_(std::move(tls_context)),
          stream_(make_stream(std::move(socket), tls_context_.get())), handler_(handler), settings_(settings)
    {
        beast::error_code ec;
        const auto endpoint = socket_().remote_endpoint(ec);
        if (!ec) peer_.address = endpoint.address().to_string();
    }

    void run()
    {
        net::dispatch(stream_.get_executor(), [self = self()] {
            if constexpr (tls) {
                // The handshake has the time a request has; a client that never starts one is cut off.
                beast::get_lowest_layer(self->stream_).expires_after(self->settings_.read_timeout);
                self->stream_.async_handshake(net::ssl::stream_base::server,
                                              beast::bind_front_handler(&Session::on_handshake, self));
            } else {
                self->do_read(true);
            }
        });
    }

    void stop() override
    {
        net::dispatch(stream_.get_executor(), [self = self()] {
            self->closing_ = true;
            if (!self->busy_) self->close();
        });
    }

    void force_close() override
    {
        net::dispatch(stream_.get_executor(), [self = self()] { self->close_socket(); });
    }

private:
    static Stream make_stream(tcp::socket&& socket, net::ssl::context* context)
    {
        if constexpr (tls) return Stream(std::move(socket), *context);
        else return Stream(std::move(socket));
    }

    std::shared_ptr<Session> self() { return std::static_pointer_cast<Session>(shared_from_this()); }
    tcp::socket& socket_() { return beast::get_lowest_layer(stream_).socket(); }

    void on_handshake(beast::error_code ec)
    {
        if (ec) return close_socket();  // not TLS, an old version, or a client that gave up
        do_read(true);
    }

    void do_read(bool first)
    {
        if (closing_) return close();
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(settings_.max_header_bytes));
        // No body limit while the header is read (Beast's default, 1 MiB, would refuse a larger
        // Content-Length as a bad request): the handler's limit is set once the header is known.
        parser_->body_limit(boost::none);
        // A new connection must send its request promptly; a kept-alive one may wait longer.
        beast::get_lowest_layer(stream_).expires_after(first ? settings_.read_timeout : settings_.idle_timeout);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 beast::bind_front_handler(&Session::on_read_header, self()));
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
        beast::get_lowest_layer(stream_).expires_after(settings_.read_timeout);
        if (bhttp::token_list(parser_->get()[bhttp::field::expect]).exists("100-continue")) {
            // The client waits for this before it sends the body.
            auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
            bhttp::async_write(stream_, *cont, [self = self(), cont](beast::error_code e, std::size_t) {
                if (e) return self->close();
                self->read_body();
            });
            return;
        }
        read_body();
    }

    void read_body()
    {
        bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, self()));
    }

    void on_read(beast::error_code ec, std::size_t)
    {
        if (ec == bhttp::error::body_limit) return reject(413, "Request body too large.");
        if (ec) return close();
        // The handler may answer from a worker thread; the write goes back onto our strand.
        handler_.async_handle(parser_->release(), peer_, stream_.get_executor(), [self = self()](Response response) {
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
        beast::get_lowest_layer(stream_).expires_after(settings_.write_timeout);
        if (!detail::fits_one_buffer(*response)) {
            bhttp::async_write(stream_, *response, [self = self(), response](beast::error_code ec, std::size_t) {
                self->on_write(ec, response->need_eof());
            });
            return;
        }
        // One buffer of the session's, reused from answer to answer (see wire.hpp).
        detail::serialize_response(*response, wire_);
        net::async_write(stream_, net::buffer(wire_), [self = self(), close_after = response->need_eof()](
                                                          beast::error_code ec, std::size_t) { self->on_write(ec, close_after); });
    }

    void on_write(beast::error_code ec, bool close_after)
    {
        busy_ = false;
        if (ec || close_after) return close();
        do_read(false);
    }

    // Ends the connection: over TLS with a close_notify first (bounded by the write timeout).
    void close()
    {
        if constexpr (tls) {
            if (shutting_down_) return;
            shutting_down_ = true;
            beast::get_lowest_layer(stream_).expires_after(settings_.write_timeout);
            stream_.async_shutdown([self = self()](beast::error_code) { self->close_socket(); });
        } else {
            close_socket();
        }
    }

    void close_socket()
    {
        beast::error_code ec;
        socket_().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(stream_).close();
    }

    // Leaves the registry when the session is gone. Declared first, so destroyed last: the
    // server waits for the registry to empty before it destroys the io_context, and the stream
    // below still needs it while it is destroyed (possibly on a worker thread).
    struct Registration {
        std::shared_ptr<Registry> registry;
        SessionBase* session;
        ~Registration()
        {
            std::lock_guard lock(registry->mutex);
            registry->sessions.erase(session);
            registry->changed.notify_all();
        }
    } registration_;
    std::shared_ptr<net::ssl::context> tls_context_;  ///< the certificate this connection started with
    Stream stream_;
    beast::flat_buffer buffer_;
    std::string wire_;  ///< the answer being written (serialize_response)
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    const Handler& handler_;
    const ServerSettings& settings_;
    Peer peer_;
    bool busy_ = false;
    bool closing_ = false;
    bool shutting_down_ = false;
};

// A server context from PEM files, with modern defaults: TLS 1.2 and 1.3 only, no compression,
// no renegotiation, the server's cipher order (OpenSSL's defaults at Debian's security level 2).
Result<std::shared_ptr<net::ssl::context>> load_tls(const ServerSettings& settings)
{
    for (const auto* file : {&settings.tls_certificate_file, &settings.tls_private_key_file}) {
        if (!std::ifstream(*file)) return fail(Errc::bad_config, "cannot read " + *file);
    }
    auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                         net::ssl::context::no_compression | net::ssl::context::single_dh_use);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    beast::error_code ec;
    context->use_certificate_chain_file(settings.tls_certificate_file, ec);
    if (ec) return fail(Errc::bad_config, settings.tls_certificate_file + ": not a PEM certificate chain (" + ec.message() + ")");
    context->use_private_key_file(settings.tls_private_key_file, net::ssl::context::pem, ec);
    const bool mismatch = ec && ec.category() == net::error::get_ssl_category() &&
                          ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
    if (mismatch || (!ec && SSL_CTX_check_private_key(native) != 1))
        return fail(Errc::bad_config, settings.tls_private_key_file + " is not the key of " + settings.tls_certificate_file);
    if (ec) return fail(Errc::bad_config, settings.tls_private_key_file + ": not a PEM private key (" + ec.message() + ")");
    return context;
}

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
    // TLS: the context new connections start with; a reload swaps it (open connections keep theirs).
    std::mutex tls_mutex;
    std::shared_ptr<net::ssl::context> tls_context;

    std::shared_ptr<net::ssl::context> current_tls()
    {
        std::lock_guard lock(tls_mutex);
        return tls_context;
    }

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
        if (auto context = current_tls()) start<TlsStream>(std::move(socket), std::move(context));
        else start<PlainStream>(std::move(socket), nullptr);
    }

    template <class Stream>
    void start(tcp::socket socket, std::shared_ptr<net::ssl::context> context)
    {
        std::shared_ptr<Session<Stream>> session;
        {
            std::lock_guard lock(registry->mutex);
            if (registry->stopping || registry->sessions.size() >= settings.max_connections) return;  // closed
            session = std::make_shared<Session<Stream>>(std::move(socket), handler, settings, registry, std::move(context));
            registry->sessions.emplace(session.get(), session);
        }
        session->run();
    }

    std::vector<std::shared_ptr<SessionBase>> live_sessions()
    {
        std::vector<std::shared_ptr<SessionBase>> out;
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
    if (settings.tls_certificate_file.empty() != settings.tls_private_key_file.empty())
        return fail(Errc::bad_config, "TLS needs both a certificate file and a private key file");
    auto impl = std::make_unique<Impl>(handler, settings);
    if (!settings.tls_certificate_file.empty()) {
        auto context = load_tls(settings);
        if (!context) return std::move(context).error();
        impl->tls_context = std::move(*context);
    }
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

Result<void> Server::reload_tls()
{
    if (!impl_->current_tls()) return fail(Errc::bad_config, "this server does not serve TLS");
    auto context = load_tls(impl_->settings);
    if (!context) return std::move(context).error();  // the old certificate stays
    std::lock_guard lock(impl_->tls_mutex);
    impl_->tls_context = std::move(*context);
    return {};
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
    // No request may still be on its way back to this server's io_context from the store's thread.
    m.handler.wait_until_unparked();
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
