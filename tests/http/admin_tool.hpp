#pragma once
// Running the real usermgmt-admin binary in a test, and what its tests share.
#include "example_server.hpp"

#ifndef USERMGMT_ADMIN_BINARY
#error "USERMGMT_ADMIN_BINARY names the usermgmt-admin binary"
#endif

namespace usermgmt::test {

struct AdminRun {
    int code = -1;
    std::string out;  ///< stdout: what a script reads
    std::string err;  ///< stderr: messages for a person
    json::value json() const { return json::parse(out); }
};

// Runs usermgmt-admin on the database of `dir`'s server (or the given --database) to the end.
inline AdminRun admin(const TempDir& dir, std::vector<std::string> words, std::vector<std::string> env = {},
               const std::string& input = {})
{
    static int runs = 0;
    const std::string base = (dir / ("admin-" + std::to_string(++runs))).string();
    std::vector<std::string> argv = {USERMGMT_ADMIN_BINARY, "--data-dir", (dir / "data").string()};
    argv.insert(argv.end(), cheap.begin(), cheap.end());
    argv.insert(argv.end(), words.begin(), words.end());
    {
        std::ofstream in(base + ".in");
        in << input;
    }
    ChildProcess process(argv, env, ChildProcess::Streams{base + ".in", base + ".out", base + ".err"});
    AdminRun run;
    run.code = process.wait();
    run.out = process.log();
    std::ifstream err(base + ".err");
    std::stringstream text;
    text << err.rdbuf();
    run.err = text.str();
    return run;
}

inline std::vector<std::string> with_database(const std::string& url, std::vector<std::string> words)
{
    words.insert(words.begin(), {"--database", url});
    return words;
}

inline const std::vector<std::string> make_root = {"USERMGMT_SUPERUSER_USERNAME=root",
                                            "USERMGMT_SUPERUSER_EMAIL=root@example.com",
                                            "USERMGMT_SUPERUSER_PASSWORD=" + strong_password};

inline unsigned login_status(Client& client, const std::string& username, const std::string& password)
{
    return client
        .send(bhttp::verb::post, "/auth/jwt/create/",
              json::serialize(json::object{{"username", username}, {"password", password}}))
        .status;
}

inline std::string access_token(Client& client, const std::string& username, const std::string& password)
{
    auto reply = client.send(bhttp::verb::post, "/auth/jwt/create/",
                             json::serialize(json::object{{"username", username}, {"password", password}}));
    REQUIRE(reply.status == 200);
    return std::string(reply.json().at("access").as_string());
}

inline std::string read_file(const std::filesystem::path& path)
{
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text)
{
    std::ofstream out(path);
    out << text;
}

}  // namespace usermgmt::test
