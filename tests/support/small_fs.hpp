#pragma once
// Test-only seam (tests/support/{posix,windows}/, like src/core/platform/): what the unit tests
// need of the OS that the product's seam has no call for. No OS header here.
#include <filesystem>
#include <string>

namespace tabagent::test {

// A small filesystem of `size` ("64k") mounted on `dir` for the object's lifetime, so a write can
// meet a real full disk: a tmpfs on Linux as root (CAP_SYS_ADMIN), lazily unmounted. Elsewhere
// (not root, macOS, Windows) nothing is mounted and why_not() says why; the caller then stands in
// for the disk through the writer seam.
class SmallFilesystem {
public:
    SmallFilesystem(std::filesystem::path dir, const char* size);
    ~SmallFilesystem();
    SmallFilesystem(const SmallFilesystem&) = delete;
    SmallFilesystem& operator=(const SmallFilesystem&) = delete;
    bool mounted() const { return m_mounted; }
    const std::string& why_not() const { return m_why_not; }

private:
    std::filesystem::path m_dir;
    bool m_mounted = false;
    std::string m_why_not;
};

} // namespace tabagent::test
