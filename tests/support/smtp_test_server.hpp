#pragma once
// A real SMTP server for a test: tests/support/smtp_server.py on Debian's python3-aiosmtpd,
// on 127.0.0.1, stopped when the object goes. Received messages are files the test reads.

#include "child_process.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef USERMGMT_SMTP_SERVER_SCRIPT
#error "USERMGMT_SMTP_SERVER_SCRIPT names tests/support/smtp_server.py"
#endif

namespace usermgmt::test {

/// How the test server behaves (see smtp_server.py).
struct SmtpBehaviour {
    unsigned short port = 0;          ///< 0: a free one
    std::string fail{};               ///< "451,421": the first DATA answers
    std::string reject{};             ///< "550": every recipient refused
    bool starttls = false;            ///< offer STARTTLS (and require it)
    bool smtps = false;               ///< implicit TLS
    std::string auth{};               ///< "user:password": AUTH required
    bool silent = false;              ///< accept connections, never answer
};

/// A certificate for 127.0.0.1 and localhost, made by openssl for this test.
struct TestCertificate {
    explicit TestCertificate(const std::filesystem::path& dir) : cert(dir / "cert.pem"), key(dir / "key.pem")
    {
        const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                                    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" + key.string() +
                                    "' -out '" + cert.string() + "' >/dev/null 2>&1";
        REQUIRE(std::system(command.c_str()) == 0);
    }
    std::filesystem::path cert, key;
};

class SmtpTestServer {
public:
    SmtpTestServer(const std::filesystem::path& dir, SmtpBehaviour behaviour, const TestCertificate* certificate = nullptr)
        : maildir_(dir / ("maildir-" + std::to_string(++runs_))), port_file_(dir / ("smtp-port-" + std::to_string(runs_)))
    {
        std::vector<std::string> args = {"/usr/bin/python3", USERMGMT_SMTP_SERVER_SCRIPT, "--port-file", port_file_.string(),
                                         "--maildir", maildir_.string()};
        if (behaviour.port) args.insert(args.end(), {"--port", std::to_string(behaviour.port)});
        if (!behaviour.fail.empty()) args.insert(args.end(), {"--fail", behaviour.fail});
        if (!behaviour.reject.empty()) args.insert(args.end(), {"--reject", behaviour.reject});
        if (behaviour.starttls || behaviour.smtps) REQUIRE(certificate);
        if (behaviour.starttls)
            args.insert(args.end(), {"--starttls", certificate->cert.string(), certificate->key.string(), "--require-starttls"});
        if (behaviour.smtps) args.insert(args.end(), {"--smtps", certificate->cert.string(), certificate->key.string()});
        if (!behaviour.auth.empty()) args.insert(args.end(), {"--auth", behaviour.auth});
        if (behaviour.silent) args.emplace_back("--silent");
        process_ = ChildProcess(args, {}, (dir / ("smtp-" + std::to_string(runs_) + ".log")).string());
        for (int i = 0; i < 300 && !std::filesystem::exists(port_file_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!std::filesystem::exists(port_file_)) FAIL("the SMTP test server did not start: " << process_.log());
        std::ifstream in(port_file_);
        in >> port_;
    }

    unsigned short port() const { return port_; }
    std::string url(const std::string& scheme = "smtp") const
    {
        return scheme + "://127.0.0.1:" + std::to_string(port_);
    }

    /// The messages received so far, in order (envelope lines first).
    std::vector<std::string> messages() const
    {
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(maildir_, ec))
            if (e.path().extension() == ".eml") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        std::vector<std::string> out;
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            std::stringstream s;
            s << in.rdbuf();
            out.push_back(s.str());
        }
        return out;
    }

    /// Waits (up to `limit`) until `count` messages arrived; the messages then.
    std::vector<std::string> wait_for(std::size_t count, std::chrono::seconds limit = std::chrono::seconds(20)) const
    {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (messages().size() < count && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return messages();
    }

    void stop() { process_.stop(); }
    std::string log() const { return process_.log(); }

    /// A port nobody listens on right now (for a server that starts later).
    static unsigned short free_port();

private:
    static inline int runs_ = 0;
    std::filesystem::path maildir_;
    std::filesystem::path port_file_;
    ChildProcess process_;
    unsigned short port_ = 0;
};

inline unsigned short SmtpTestServer::free_port()
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

}  // namespace usermgmt::test
