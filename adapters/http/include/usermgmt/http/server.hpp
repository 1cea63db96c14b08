#pragma once
/// @file server.hpp
/// A ready multi-threaded HTTP/1.1 server around a `Handler`.

#include "usermgmt/http/export.hpp"
#include "usermgmt/http/handler.hpp"
#include "usermgmt/result.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace usermgmt::http {

struct USERMGMT_HTTP_EXPORT ServerSettings {
    std::string address = "127.0.0.1";
    /// 0 picks a free port (see `Server::port`).
    unsigned short port = 8000;
    /// I/O threads.
    std::size_t threads = 2;
    /// Time to receive a whole request once its first byte may arrive (slow clients are cut off).
    std::chrono::seconds read_timeout{15};
    /// Time a keep-alive connection may stay idle between requests.
    std::chrono::seconds idle_timeout{60};
    /// Time to send a response.
    std::chrono::seconds write_timeout{30};
    /// Largest request header block.
    std::size_t max_header_bytes = 16 * 1024;
    /// Open connections beyond this are closed at once.
    std::size_t max_connections = 4096;
    /// `stop()` waits this long for requests in flight before it closes what is left.
    std::chrono::seconds shutdown_grace{10};
    /// HTTPS: PEM files of the certificate chain (the server's certificate first) and of its
    /// private key. Both empty: plain HTTP. TLS 1.2 and 1.3 only, no compression or
    /// renegotiation; the handshake must finish within `read_timeout`.
    std::string tls_certificate_file;
    std::string tls_private_key_file;
};

/// Accepts connections and serves them with the handler: keep-alive, pipelined requests answered
/// in order, timeouts, header and body limits, graceful shutdown.
///
/// Thread-safe. The handler must outlive the server.
class USERMGMT_HTTP_EXPORT Server {
public:
    /// Binds and starts the threads. `storage_failure`-free errors: `bad_config` when the address
    /// is invalid or the TLS files are unusable, `internal` when the port cannot be bound (the message says why).
    [[nodiscard]] static Result<std::unique_ptr<Server>> start(const Handler& handler, ServerSettings settings);
    ~Server();  ///< stops, as `stop()`
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The port bound (useful with port 0).
    [[nodiscard]] unsigned short port() const noexcept;
    /// Reads the TLS certificate and key files again (a renewed certificate): new connections
    /// get it, open ones keep theirs. On any error (`bad_config`: unreadable, malformed, a key
    /// that does not match) the certificate in use stays. `bad_config` without TLS.
    [[nodiscard]] Result<void> reload_tls();
    /// Stops accepting, lets requests in flight finish (up to `shutdown_grace`), closes idle
    /// connections, and joins the threads. Safe to call more than once, from any thread but an
    /// I/O thread of this server.
    void stop();
    /// Blocks until `stop()` has finished.
    void wait();

    struct Impl;

private:
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace usermgmt::http
