// The access log: lines as documented in both formats, escaped client data, every line written
// once from many threads, and a blocked output that drops lines instead of holding requests.
#include "usermgmt/http/access_log.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <thread>
#include <vector>

using namespace usermgmt::http;

namespace {

RequestLog request(std::string_view path, unsigned status = 200)
{
    return RequestLog{"GET", path, status, std::chrono::microseconds(412), "127.0.0.1"};
}

// Reads everything from `fd` until end of file.
std::string drain(int fd)
{
    std::string out;
    char buffer[65536];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
    return out;
}

}  // namespace

TEST_CASE("Access log: the text and JSON lines", "[access_log]")
{
    const long long t = 1'795'988'456;  // 2026-11-29T21:40:56Z
    CHECK(AccessLog::format_line(request("/auth/users/me/"), t, AccessLogFormat::text) ==
          "2026-11-29T21:40:56Z 127.0.0.1 \"GET /auth/users/me/\" 200 0.4ms\n");
    CHECK(AccessLog::format_line(request("/auth/users/me/"), t, AccessLogFormat::json) ==
          "{\"time\":\"2026-11-29T21:40:56Z\",\"client\":\"127.0.0.1\",\"method\":\"GET\",\"path\":\"/auth/users/me/\","
          "\"status\":200,\"duration_ms\":0.4}\n");
    RequestLog slow = request("/x", 503);
    slow.duration = std::chrono::microseconds(12'345'678);
    slow.client = "";
    CHECK(AccessLog::format_line(slow, t, AccessLogFormat::text) == "2026-11-29T21:40:56Z - \"GET /x\" 503 12345.7ms\n");
}

TEST_CASE("Access log: what the client sent cannot forge or split a line", "[access_log]")
{
    const std::string path = "/a\"b\\c\nX-Forged: 1\x01";
    const auto text = AccessLog::format_line(request(path), 0, AccessLogFormat::text);
    CHECK(text.find('\n') == text.size() - 1);
    CHECK(text.find("/a\\\"b\\\\c\\u000aX-Forged: 1\\u0001\"") != std::string::npos);
    const auto json = AccessLog::format_line(request(path), 0, AccessLogFormat::json);
    CHECK(json.find('\n') == json.size() - 1);
    const auto parsed = boost::json::parse(json);
    CHECK(parsed.at("path").as_string() == path);  // valid JSON, the path as sent
}

TEST_CASE("Access log: every line from many threads arrives once and whole", "[access_log]")
{
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    std::string written;
    std::thread reader([&] { written = drain(pipe_fds[0]); });
    {
        AccessLog log(pipe_fds[1], AccessLogFormat::json);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&log, t] {
                for (int i = 0; i < 5000; ++i) {
                    const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
                    log.record(request(path));
                }
            });
        for (auto& t : threads) t.join();
        CHECK(log.dropped() == 0);
    }  // the destructor writes what is left
    ::close(pipe_fds[1]);
    reader.join();
    ::close(pipe_fds[0]);
    std::istringstream lines(written);
    std::set<std::string> paths;
    std::size_t count = 0;
    for (std::string line; std::getline(lines, line); ++count)
        paths.insert(std::string(boost::json::parse(line).at("path").as_string()));
    CHECK(count == 20000);
    CHECK(paths.size() == 20000);
}

TEST_CASE("Access log: an output that does not keep up loses lines, never holds a request", "[access_log]")
{
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    std::string written;
    std::thread reader;
    {
        AccessLog log(pipe_fds[1], AccessLogFormat::text, 4096);
        // Nobody reads the pipe: once it and the 4 KiB buffer are full, lines are dropped.
        // (Bounded: 200,000 calls; had one blocked, the test would hang here.)
        for (int i = 0; i < 200'000; ++i) log.record(request("/blocked"));
        CHECK(log.dropped() > 0);
        reader = std::thread([&] { written = drain(pipe_fds[0]); });  // lets the last writes end
    }
    ::close(pipe_fds[1]);
    reader.join();
    CHECK(written.find("lines dropped (the output did not keep up)") != std::string::npos);
    ::close(pipe_fds[0]);
}
