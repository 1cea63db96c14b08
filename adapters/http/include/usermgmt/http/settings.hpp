#pragma once
/// @file settings.hpp
/// Settings of the HTTP adapter. docs/configuration.md lists them with their defaults.

#include "usermgmt/http/export.hpp"
#include "usermgmt/types.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace usermgmt::http {

class Handler;

/// Cross-origin access for browser frontends. Default: none.
struct USERMGMT_HTTP_EXPORT CorsSettings {
    /// Exact origins (`https://app.example`), or "*" for any. Empty: no cross-origin access.
    std::vector<std::string> allowed_origins;
    std::vector<std::string> allowed_methods{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    std::vector<std::string> allowed_headers{"Authorization", "Content-Type", "X-Access-Token"};
    /// Sends Access-Control-Allow-Credentials: true, echoing the origin, to origins listed by
    /// name only. "*" never gets credentials, so with both an unlisted origin is answered "*"
    /// without them (the example server refuses the combination at start).
    bool allow_credentials = false;
    std::chrono::seconds max_age{600};
};

/// One finished request, for the access log. Never holds a token, password or body. The views
/// are valid during the `access_log` call only: copy what you keep.
struct USERMGMT_HTTP_EXPORT RequestLog {
    std::string_view method;
    std::string_view path;  ///< without the query string
    unsigned status = 0;
    std::chrono::microseconds duration{0};
    std::string_view client;
};

struct USERMGMT_HTTP_EXPORT HttpSettings {
    /// Mount point of the Djoser-style routes; empty disables them.
    std::string auth_prefix = "/auth/";
    /// What `POST /auth/jwt/create/` logs in with, as Djoser's `LOGIN_FIELD` (a user model whose
    /// `USERNAME_FIELD` is the email): `username` (the body's `username`), `email` (the body's
    /// `email`), or `username_or_email` (the body's `username`, matching either). The /users
    /// style always logs in with `email`.
    LoginField auth_login_field = LoginField::username;
    /// Mount point of the Express-style routes (no trailing slash); empty disables them.
    std::string users_prefix = "/users";
    /// URL prefix media files are served under (and avatars rendered with); empty disables.
    std::string media_url = "/media/";
    /// Where the web pages are served (docs/frontend.md): register, log in, the mail links'
    /// landing pages, the profile, staff views. Must start and end with '/' ("/" in the example
    /// server); empty (the default): not served, so an application that embeds the handler keeps
    /// its own paths. The pages call the `/auth` routes at `auth_prefix` on the same origin (with
    /// `auth_prefix` empty they are not served).
    std::string pages_prefix;
    /// Serves `GET /openapi.json`: the OpenAPI 3.1 document of both route styles
    /// (docs/openapi.json, embedded at build time) with its paths under the prefixes above.
    /// Off: that path is 404 like any unknown one.
    bool serve_openapi = true;
    /// Serves `GET /metrics` in the Prometheus text format: answers by route style, route,
    /// method and status, latency histograms, logins, 429s, the pools' queues and rejections,
    /// the mail queue, the cache (docs/operations.md). Off: 404 like any unknown path.
    bool serve_metrics = true;
    /// `/metrics` answers only clients on the loopback interface (the client as `trusted_proxies`
    /// make it out; anyone else gets 404): login failure rates and queue depths are nobody
    /// else's business. Off for a listener only the monitoring network reaches.
    bool metrics_loopback_only = true;
    /// Whose counters `/metrics` shows: null, this handler's; set, that handler's. To serve them
    /// on an address of their own, give a second handler (empty prefixes and media URL, `metrics_of`
    /// the main one) a `Server` of its own, and turn `serve_metrics` off on the main one.
    const Handler* metrics_of = nullptr;
    /// `/auth/users/` registrations start inactive and get an activation mail (Djoser's default).
    bool auth_require_activation = true;
    /// `POST /users` registrations need e-mail activation (off: active at once, with a token, as
    /// the Express document has it).
    bool users_require_activation = false;
    /// Lifetime of the access tokens the /users style hands out (login and registration).
    std::chrono::seconds users_access_token_lifetime{86400};

    /// Largest request body, except multipart uploads to an endpoint that takes a file.
    std::size_t max_body_bytes = 64 * 1024;
    /// Largest multipart/form-data body to an endpoint that takes a file (the /auth style's
    /// registration and user updates, which accept an avatar).
    std::size_t max_upload_bytes = 10 * 1024 * 1024;
    /// Deepest JSON nesting accepted.
    std::size_t max_json_depth = 32;
    /// Most parts of one multipart body.
    std::size_t max_multipart_parts = 32;

    CorsSettings cors;

    /// IP addresses of reverse proxies whose X-Forwarded-For is believed: for a request from one
    /// of them, the client is the rightmost forwarded address that is not a proxy (all the
    /// header's fields are one list). Addresses are compared normalised (`normalize_address`:
    /// `::ffff:10.0.0.1` is `10.0.0.1`). A forwarded entry that is not an address stops the walk:
    /// the client is then the trusted hop that forwarded it. An entry of this list that is not an
    /// address matches nothing. Empty: the client is always the socket peer.
    std::vector<std::string> trusted_proxies;

    /// Threads that run requests that hash a password (login, registration, password changes).
    /// 0: two per core. The hashes themselves run on the hasher's threads (one per core,
    /// `Argon2Params::threads`), so twice as many request threads let one request's commit
    /// overlap another's hash, and memory stays bounded by the hasher.
    std::size_t hashing_threads = 0;
    /// Hash-bound requests waiting for a thread; beyond it the answer is 503 with Retry-After.
    std::size_t hashing_queue = 256;
    /// Threads that run the other requests that write (profile updates, logout, refresh,
    /// activation, …), so that a write waiting on a locked database (up to the store's busy
    /// timeout) holds one of these and never an I/O thread: reads go on. Must be at least 1.
    std::size_t store_threads = 2;
    /// Writes waiting for a store thread; beyond it the answer is 503 with Retry-After.
    std::size_t store_queue = 256;

    /// Called once per request when set, on the request's thread: keep it cheap (`AccessLog`
    /// formats the line there and writes it from a thread of its own).
    std::function<void(const RequestLog&)> access_log;
};

}  // namespace usermgmt::http
