// Whole requests through Handler::handle, over a real service and SQLite file with accounts the
// input can name (request_world.hpp: placeholders; request_input.hpp: the input format).
//
// Findings, each printed with the request before abort(): a crash or sanitizer report; any 5xx
// answer (503 included: `handle` runs no pools, and a database file this process alone opens
// is never locked or full, so a 503 here means a store call failed that should not have); a
// response header value with CR or LF (header splitting); a database that fails
// `PRAGMA integrity_check` (checked when a world is retired and at exit).
//
// State: requests change the world (they delete accounts, end sessions, use codes), so it is
// rebuilt every `inputs_per_world` inputs or `seconds_per_world` seconds (tokens stay unexpired),
// which also bounds the database, the media files and the throttle counters.
#include "request_input.hpp"
#include "request_world.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

namespace {

using usermgmt::fuzz::RequestWorld;

// Building a world takes about 45 ms under ASan; 500 inputs keep that near a fifth of the run.
constexpr std::size_t inputs_per_world = 500;
constexpr auto seconds_per_world = std::chrono::seconds(60);

// A plain pointer, not a static object: the exit check decides when it goes, not static destruction.
RequestWorld* world = nullptr;
std::size_t inputs_in_world = 0;
std::chrono::steady_clock::time_point world_born;

// FUZZ_REQUEST_TRACE=1 prints each answer and each integrity check, to see what inputs reach.
bool tracing()
{
    static const bool on = std::getenv("FUZZ_REQUEST_TRACE") != nullptr;
    return on;
}

void check_integrity(const RequestWorld& w, const char* when)
{
    const std::string report = w.integrity_check();
    if (tracing()) std::fprintf(stderr, "integrity_check %s: %s\n", when, report.c_str());
    if (report == "ok") return;
    std::fprintf(stderr, "fuzz_request: PRAGMA integrity_check failed %s (files kept in %s):\n%s\n", when,
                 w.directory().c_str(), report.c_str());
    std::abort();
}

void retire_world()
{
    if (!world) return;
    check_integrity(*world, "when the world was retired");
    delete world;
    world = nullptr;
}

void at_exit()
{
    retire_world();
}

RequestWorld& current_world()
{
    const bool stale = world && (inputs_in_world >= inputs_per_world ||
                                 std::chrono::steady_clock::now() - world_born >= seconds_per_world);
    if (stale) retire_world();
    if (!world) {
        static const bool registered = std::atexit(at_exit) == 0;
        (void)registered;
        world = new RequestWorld;
        inputs_in_world = 0;
        world_born = std::chrono::steady_clock::now();
    }
    ++inputs_in_world;
    return *world;
}

[[noreturn]] void finding(const char* what, const usermgmt::http::Request& request,
                          const usermgmt::http::Response& response)
{
    std::cerr << "fuzz_request: " << what << " (files kept in " << world->directory().string() << ")\n--- request\n"
              << request << "\n--- response\n" << response << "\n---\n";
    std::abort();
}

// One of 8 client addresses, picked by the input's bytes: per-client throttling then limits
// one family of inputs, not the whole world, and the same input always comes from the same client.
usermgmt::http::Peer peer_of(std::string_view input)
{
    unsigned sum = 0;
    for (const char c : input) sum = sum * 31 + static_cast<unsigned char>(c);
    return usermgmt::http::Peer{"192.0.2." + std::to_string(1 + sum % 8)};
}

bool has_line_break(std::string_view value)
{
    return value.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    RequestWorld& w = current_world();
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    const std::string input = w.substitute(raw);
    const auto request = usermgmt::fuzz::parse_request(usermgmt::fuzz::wire_text(input));
    // Not a request a server could have read: keep it out of the corpus.
    if (!request) return -1;
    const auto response = w.handler().handle(*request, peer_of(raw));
    if (tracing())
        std::cerr << request->method_string() << ' ' << request->target() << " -> " << response.result_int() << ' '
                  << response.body().substr(0, 160) << '\n';
    if (response.result_int() >= 500) finding("a 5xx answer", *request, response);
    for (const auto& field : response)
        if (has_line_break(field.name_string()) || has_line_break(field.value()))
            finding("a line break in a response header", *request, response);
    return 0;
}
