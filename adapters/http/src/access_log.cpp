#include "usermgmt/http/access_log.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <ctime>

namespace usermgmt::http {
namespace {

// A batch goes out once this much waits (or every flush interval).
constexpr std::size_t batch_bytes = 64 * 1024;
constexpr auto flush_interval = std::chrono::milliseconds(50);

// "2026-11-29T21:40:56Z" for a second, computed once per second per thread.
std::string_view timestamp(long long unix_seconds)
{
    thread_local long long cached_second = -1;
    thread_local char text[32];
    thread_local std::size_t length = 0;
    if (unix_seconds != cached_second) {
        const std::time_t t = static_cast<std::time_t>(unix_seconds);
        std::tm tm{};
        gmtime_r(&t, &tm);
        length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
        cached_second = unix_seconds;
    }
    return {text, length};
}

void append_number(std::string& out, unsigned long long value)
{
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, end);
}

// Milliseconds with one decimal, from microseconds: 412 -> "0.4".
void append_millis(std::string& out, std::chrono::microseconds duration)
{
    const auto micros = static_cast<unsigned long long>(duration.count() < 0 ? 0 : duration.count());
    const auto tenths = (micros + 50) / 100;
    append_number(out, tenths / 10);
    out += '.';
    out += static_cast<char>('0' + tenths % 10);
}

// Request data is the client's: a quote, backslash or control character is escaped, so that
// a line cannot be forged or split (the same escapes serve both formats).
void append_escaped(std::string& out, std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
}

void write_all(int fd, const std::string& text)
{
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere to write: the lines are lost, the server goes on
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

namespace {

void append_line(std::string& out, const RequestLog& r, long long unix_seconds, AccessLogFormat format)
{
    const std::string_view client = r.client.empty() ? std::string_view("-") : std::string_view(r.client);
    if (format == AccessLogFormat::json) {
        out += "{\"time\":\"";
        out += timestamp(unix_seconds);
        out += "\",\"client\":\"";
        append_escaped(out, client);
        out += "\",\"method\":\"";
        append_escaped(out, r.method);
        out += "\",\"path\":\"";
        append_escaped(out, r.path);
        out += "\",\"status\":";
        append_number(out, r.status);
        out += ",\"duration_ms\":";
        append_millis(out, r.duration);
        out += "}\n";
        return;
    }
    out += timestamp(unix_seconds);
    out += ' ';
    append_escaped(out, client);
    out += " \"";
    append_escaped(out, r.method);
    out += ' ';
    append_escaped(out, r.path);
    out += "\" ";
    append_number(out, r.status);
    out += ' ';
    append_millis(out, r.duration);
    out += "ms\n";
}

}  // namespace

std::string AccessLog::format_line(const RequestLog& r, long long unix_seconds, AccessLogFormat format)
{
    std::string out;
    append_line(out, r, unix_seconds, format);
    return out;
}

AccessLog::AccessLog(int fd, AccessLogFormat format, std::size_t max_buffered_bytes)
    : fd_(fd), format_(format), max_buffered_(max_buffered_bytes)
{
    pending_.reserve(batch_bytes);
    writer_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void AccessLog::record(const RequestLog& request) noexcept
{
    try {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        thread_local std::string line;  // formatted here, off the lock, without an allocation
        line.clear();
        append_line(line, request, std::chrono::duration_cast<std::chrono::seconds>(now).count(), format_);
        bool full_batch = false;
        {
            std::lock_guard lock(mutex_);
            if (pending_.size() + line.size() > max_buffered_) {
                ++dropped_;
                return;
            }
            pending_ += line;
            full_batch = pending_.size() >= batch_bytes;
        }
        if (full_batch) wake_.notify_one();
    } catch (...) {
        ++dropped_;  // out of memory: the line, not the request, is lost
    }
}

std::function<void(const RequestLog&)> AccessLog::sink()
{
    return [this](const RequestLog& r) { record(r); };
}

void AccessLog::run()
{
    std::string batch;
    while (true) {
        bool last = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, flush_interval, [this] { return stopping_ || pending_.size() >= batch_bytes; });
            batch.swap(pending_);
            last = stopping_;
        }
        if (const auto drops = dropped_.load(); drops != reported_drops_) {
            batch += "usermgmt: access log: " + std::to_string(drops - reported_drops_) +
                     " lines dropped (the output did not keep up)\n";
            reported_drops_ = drops;
        }
        if (!batch.empty()) write_all(fd_, batch);
        batch.clear();
        if (last) return;
    }
}

}  // namespace usermgmt::http
