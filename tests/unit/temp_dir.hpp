#pragma once
// A fresh folder under the system's temp folder (or under `base`), removed with everything in it:
// the one temp folder of the unit tests, on every platform (std::filesystem only, no mkdtemp).
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace tabagent::test {

class TempDir {
public:
    // `base` overrides the temp folder ($TMPDIR, %TEMP%), e.g. /dev/shm for a test that creates
    // 40 000 entries.
    explicit TempDir(const char* base = nullptr) {
        namespace fs = std::filesystem;
        std::error_code ec;
        const fs::path parent = base && *base ? fs::path(base) : fs::temp_directory_path(ec);
        REQUIRE_FALSE(ec);
        std::random_device random;
        for (int attempt = 0; attempt < 100 && m_path.empty(); ++attempt) {
            auto candidate = parent / ("tabagent-test-" + std::to_string(random()) + std::to_string(random()));
            if (fs::create_directory(candidate, ec)) m_path = candidate; // false when it already existed
        }
        REQUIRE_FALSE(m_path.empty());
    }
    ~TempDir() {
        namespace fs = std::filesystem;
        std::error_code ec;
        // Restore permissions a test may have removed, so cleanup always succeeds.
        for (fs::recursive_directory_iterator it(m_path, fs::directory_options::skip_permission_denied, ec), end;
             !ec && it != end; it.increment(ec))
            if (it->is_directory(ec) && !it->is_symlink(ec))
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

} // namespace tabagent::test
