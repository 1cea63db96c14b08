#pragma once
// A fresh directory under the system temp dir, removed with everything in it at scope end.

#include <cstdlib>
#include <filesystem>
#include <list>
#include <stdexcept>
#include <string>

namespace usermgmt::test {

class TempDir {
public:
    TempDir()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "usermgmt-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// A new directory that lives until the process ends: for what a test hands out without a
/// scope to tie it to (the store contract's backends make a store in one each).
inline const TempDir& lasting_temp_dir()
{
    static std::list<TempDir> all;
    return all.emplace_back();
}

}  // namespace usermgmt::test
