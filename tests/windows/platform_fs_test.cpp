// The Windows side of the file seam (platform/file.hpp, platform/fs.hpp) and the cache on top of it,
// run under Wine (in unit_tests.exe: tests/windows/tests.cmake). Each case is one
// of the Windows facts of issue 14 item 2: UTF-16 names, paths over MAX_PATH, share modes, the
// retry on sharing violations, huggingface_hub-compatible lock files, links or their fallback,
// disk free.
#include "core/cache/scan.hpp"
#include "core/cache/stats.hpp"
#include "core/cache/store.hpp"
#include "core/download/writeback.hpp"
#include "core/platform/file.hpp"
#include "core/platform/fs.hpp"
#include "core/platform/writeback.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include "core/platform/windows/windows_h.hpp"

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace tabagent;
namespace fs = std::filesystem;
using tabagent::test::TempDir;

namespace {

void put(const fs::path& path, const std::string& content) {
    auto file = platform::File::create_new(path);
    REQUIRE(file);
    REQUIRE(*file);
    REQUIRE((*file)->pwrite_all(content.data(), content.size(), 0));
}

std::string get(const fs::path& path) {
    auto file = platform::File::open_read(path);
    REQUIRE_MESSAGE(file, (file ? "" : file.error().message));
    std::string text(static_cast<std::size_t>(*file->size()), '\0');
    auto got = file->pread_some(std::span(reinterpret_cast<std::byte*>(text.data()), text.size()), 0);
    REQUIRE(got);
    text.resize(*got);
    return text;
}

std::vector<std::string> listed_names(const fs::path& dir) {
    auto opened = platform::Directory::open(dir);
    REQUIRE(opened);
    std::vector<platform::DirEntry> entries;
    REQUIRE(opened->list(entries));
    std::vector<std::string> names;
    for (const auto& e : entries) names.push_back(e.name);
    return names;
}

// A handle opened the way many Windows programs open files (and antivirus scanners may): without
// FILE_SHARE_DELETE, so nobody may rename or delete the file while it is open.
HANDLE open_without_delete_share(const fs::path& path) {
    HANDLE h = ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                             FILE_ATTRIBUTE_NORMAL, nullptr);
    REQUIRE(h != INVALID_HANDLE_VALUE);
    return h;
}

constexpr const char* k_commit = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

} // namespace

TEST_CASE("windows fs: non-ASCII names are UTF-16 on disk and UTF-8 in the seam") {
    TempDir tmp;
    const std::string name = "caf\xC3\xA9-\xE6\x97\xA5\xE6\x9C\xAC-\xF0\x9F\x98\x80.txt"; // café-日本-😀.txt
    const auto path = tmp.path() / platform::u8path(name);
    put(path, "hello");
    // The name Windows stores is the UTF-16 of the UTF-8 text, not its bytes one by one.
    WIN32_FIND_DATAW data{};
    HANDLE find = ::FindFirstFileW((tmp.path() / L"caf*").c_str(), &data);
    REQUIRE(find != INVALID_HANDLE_VALUE);
    ::FindClose(find);
    CHECK(std::wstring(data.cFileName) == L"caf\u00e9-\u65e5\u672c-\U0001F600.txt");
    CHECK(listed_names(tmp.path()) == std::vector<std::string>{name});
    auto st = platform::lstat(path);
    REQUIRE(st);
    CHECK(st->kind == platform::Kind::regular);
    CHECK(st->size == 5);
    CHECK(get(path) == "hello");
    CHECK(platform::u8string(path.filename()) == name);
}

TEST_CASE("windows fs: paths longer than MAX_PATH work through the seam") {
    TempDir tmp;
    fs::path deep = tmp.path();
    while (deep.native().size() < 300) deep /= std::string(40, 'd');
    REQUIRE(platform::create_directories(deep));
    const auto file = deep / "model.safetensors";
    CHECK(file.native().size() > MAX_PATH);
    put(file, "weights");
    CHECK(get(file) == "weights");
    CHECK(platform::lstat(file)->kind == platform::Kind::regular);
    const auto moved = deep / "moved.bin";
    REQUIRE(platform::rename_replace(file, moved));
    CHECK(listed_names(deep) == std::vector<std::string>{"moved.bin"});
    CHECK(platform::disk_free(deep).value_or(0) > 0);
    auto removed = platform::remove_file(moved);
    REQUIRE(removed);
    CHECK(*removed);
    CHECK_FALSE(platform::lstat(moved));
}

TEST_CASE("windows fs: files the seam holds open can be renamed, deleted and replaced by others") {
    TempDir tmp;
    SUBCASE("renamed and deleted while open (FILE_SHARE_DELETE)") {
        const auto path = tmp.path() / "blob.incomplete";
        put(path, "data");
        auto held = platform::File::open_read(path); // FILE_SHARE_READ | WRITE | DELETE
        REQUIRE(held);
        const auto moved = tmp.path() / "blob";
        auto renamed = platform::rename_replace(path, moved);
        REQUIRE_MESSAGE(renamed, (renamed ? "" : renamed.error().message));
        std::string text(4, '\0');
        auto got = held->pread_some(std::span(reinterpret_cast<std::byte*>(text.data()), text.size()), 0);
        REQUIRE(got); // the handle follows the file to its new name
        CHECK(text == "data");
        auto removed = platform::remove_file(moved);
        REQUIRE_MESSAGE(removed, (removed ? "" : removed.error().message));
        CHECK(*removed);
    }
    SUBCASE("replaced while a reader holds the old one") {
        const auto target = tmp.path() / "main";
        put(target, "old");
        auto reader = platform::File::open_read(target);
        REQUIRE(reader);
        const auto temp = tmp.path() / "main.tmp";
        put(temp, "new");
        // Windows 10 1607+ on NTFS replaces at once (POSIX semantics). Without them (Wine 8, older
        // Windows) the replace is refused until the reader closes: the retry waits for that.
        int waits = 0;
        platform::RetryBudget budget;
        budget.wait = [&](std::chrono::milliseconds) {
            if (++waits == 1) reader->reset();
        };
        auto renamed = platform::rename_replace(temp, target, budget);
        REQUIRE_MESSAGE(renamed, (renamed ? "" : renamed.error().message));
        MESSAGE("replace over an open file: " << std::string(waits == 0 ? "at once (POSIX semantics)"
                                                                      : "after the reader closed"));
        CHECK(get(target) == "new");
    }
}

TEST_CASE("windows fs: the download's writeback keeps no handle, so a deleted partial is gone at once") {
    // Windows has no writeback to start; a duplicate queued for it kept the deleted partial's name
    // (delete pending) until the writeback thread closed it: seen under Wine as a corrupt download's
    // partial still there after INTEGRITY.
    CHECK_FALSE(platform::writeback_works());
    TempDir tmp;
    const auto path = tmp.path() / "c.incomplete";
    put(path, "data");
    download::Writeback writeback;
    {
        auto file = platform::File::open_read(path);
        REQUIRE(file);
        writeback.request(*file, 0, 4);
    }
    auto removed = platform::remove_file(path);
    REQUIRE_MESSAGE(removed, (removed ? "" : removed.error().message));
    CHECK(*removed);
    CHECK_FALSE(fs::exists(path));
    CHECK(listed_names(tmp.path()).empty());
}

TEST_CASE("windows fs: a sharing violation is retried within the budget, counted not timed") {
    TempDir tmp;
    const auto path = tmp.path() / "blob";
    put(path, "x");
    HANDLE holder = open_without_delete_share(path);
    int waits = 0;
    platform::RetryBudget budget;
    budget.attempts = 4;
    SUBCASE("the holder never lets go: every attempt is spent, then the error") {
        budget.wait = [&](std::chrono::milliseconds) { ++waits; };
        auto removed = platform::remove_file(path, budget);
        CHECK_FALSE(removed);
        CHECK(waits == 3); // 4 attempts, 3 waits between them
        const auto dest = tmp.path() / "elsewhere";
        waits = 0;
        CHECK_FALSE(platform::rename_replace(path, dest, budget));
        CHECK(waits == 3);
        ::CloseHandle(holder);
    }
    SUBCASE("the holder closes during the second wait: the third attempt succeeds") {
        budget.wait = [&](std::chrono::milliseconds) {
            if (++waits == 2) ::CloseHandle(holder);
        };
        auto removed = platform::remove_file(path, budget);
        REQUIRE_MESSAGE(removed, (removed ? "" : removed.error().message));
        CHECK(*removed);
        CHECK(waits == 2);
    }
}

TEST_CASE("windows fs: a lock file held by one handle is refused to a second, on filelock's byte") {
    TempDir tmp;
    const auto path = tmp.path() / ".locks" / "models--o--n" / "e.lock";
    auto first = platform::FileLock::try_lock(path);
    REQUIRE(first);
    CHECK(static_cast<bool>(*first));
    auto second = platform::FileLock::try_lock(path);
    REQUIRE(second);
    CHECK_FALSE(static_cast<bool>(*second));
    CHECK(platform::FileLock::held_elsewhere(path).value_or(false));
    // What huggingface_hub's filelock does on Windows: LockFileEx of byte 0, length 1.
    HANDLE peer = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    REQUIRE(peer != INVALID_HANDLE_VALUE);
    OVERLAPPED ov{};
    CHECK_FALSE(::LockFileEx(peer, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov));
    CHECK(::GetLastError() == ERROR_LOCK_VIOLATION);
    first->unlock();
    CHECK_FALSE(platform::FileLock::held_elsewhere(path).value_or(true));
    // And the other way round: filelock's lock keeps us out.
    ov = OVERLAPPED{};
    REQUIRE(::LockFileEx(peer, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov));
    auto third = platform::FileLock::try_lock(path);
    REQUIRE(third);
    CHECK_FALSE(static_cast<bool>(*third));
    ov = OVERLAPPED{};
    ::UnlockFileEx(peer, 0, 1, 0, &ov);
    ::CloseHandle(peer);
    auto fourth = platform::FileLock::try_lock(path);
    REQUIRE(fourth);
    CHECK(static_cast<bool>(*fourth));
}

TEST_CASE("windows fs: publishing links the blob, or moves it into the snapshot without link rights") {
    TempDir tmp;
    cache::Store store(tmp.path());
    const std::string content = "weights of a model";
    // Store::publish trusts the caller's hash check (the download engine's): any sha256-shaped etag.
    const std::string etag(64, 'e');
    // A repo file name outside ASCII (and outside Latin-1): UTF-8 in the seam, UTF-16 on disk.
    const std::string name = "onnx/mod\xC3\xA8le-\xE6\x97\xA5\xE6\x9C\xAC.onnx"; // onnx/modèle-日本.onnx
    const model::RepoFile file{name, content.size(), etag, true};
    const auto partial = store.partial_path("o/n", file.etag);
    REQUIRE(platform::create_directories(partial.parent_path()));
    put(partial, content);
    const auto supported = platform::symlinks_supported(tmp.path());
    REQUIRE(supported.has_value());
    MESSAGE("symbolic links here: " << std::string(*supported ? "yes" : "no (degraded: copies)"));
    auto placed = store.publish("o/n", k_commit, file, partial);
    REQUIRE_MESSAGE(placed, (placed ? "" : placed.error().message));
    const auto entry = store.snapshot_file_path("o/n", k_commit, file.path);
    CHECK(get(entry) == content);
    auto found = store.find_file("o/n", file.path, k_commit);
    REQUIRE(found);
    CHECK(found->size == content.size());
    auto scan = cache::scan_repo(tmp.path(), "o/n");
    REQUIRE(scan);
    REQUIRE(scan->revisions.size() == 1);
    REQUIRE(scan->revisions[0].files.size() == 1);
    CHECK(scan->revisions[0].files[0].present);
    CHECK(scan->revisions[0].files[0].path == name);
    CHECK(listed_names(entry.parent_path()) == std::vector<std::string>{"mod\xC3\xA8le-\xE6\x97\xA5\xE6\x9C\xAC.onnx"});
    const auto stats = cache::stats(tmp.path());
    if (*supported) {
        CHECK(platform::lstat(entry)->kind == platform::Kind::symlink);
        CHECK(platform::read_symlink(entry) == std::optional<std::string>("../../../blobs/" + file.etag));
        CHECK(store.has_blob("o/n", file.etag, file.size));
        CHECK(stats.link_mode == cache::LinkMode::symlinks);
    } else {
        // huggingface_hub's _create_symlink without symlink rights: a new blob is moved, not copied.
        CHECK(platform::lstat(entry)->kind == platform::Kind::regular);
        CHECK(scan->revisions[0].files[0].is_copy);
        CHECK_FALSE(store.has_blob("o/n", file.etag));
        CHECK(stats.link_mode == cache::LinkMode::degraded);
        CHECK_FALSE(stats.warnings.empty());
    }
}

TEST_CASE("windows fs: disk free comes from GetDiskFreeSpaceExW, for missing paths from an ancestor") {
    TempDir tmp;
    auto free = platform::disk_free(tmp.path());
    REQUIRE_MESSAGE(free, (free ? "" : free.error().message));
    CHECK(*free > 0);
    auto missing = platform::disk_free(tmp.path() / "not" / "there");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK(cache::disk_free(tmp.path() / "not" / "there").value_or(0) > 0); // the nearest existing folder
}
