#include "cache_test_util.hpp"

#include "core/cache/scan.hpp"
#include "core/platform/os.hpp"
#include "core/util/atomic_file.hpp"
#include "small_fs.hpp" // a small tmpfs stands in for a full disk (Linux, root only; else the writer seam)

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

using namespace tabagent;
using cache_test::read_file;
using cache_test::Store;
using cache_test::TempDir;
using cache_test::write_file;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

TEST_CASE("util: an atomic write replaces the target and leaves only the target behind") {
    TempDir tmp;
    const auto target = tmp.path() / "listing.json";
    for (auto durability : {util::Durability::none, util::Durability::file, util::Durability::file_and_directory}) {
        CAPTURE(static_cast<int>(durability));
        const std::string content = "content " + std::to_string(static_cast<int>(durability));
        REQUIRE(util::write_file_atomically(target, content, {.durability = durability}));
        CHECK(read_file(target) == content);
        CHECK(names_in(tmp.path()) == std::vector<std::string>{"listing.json"});
    }
    SUBCASE("the mode is the file's from its creation") {
        const auto secret = tmp.path() / "token";
        REQUIRE(util::write_file_atomically(secret, "hf_x", {.durability = util::Durability::file, .mode = 0600}));
        // Windows has no mode bits (the file inherits its folder's ACL): what is asked there is
        // only that the mode is accepted.
        if (platform::os_kind() != platform::Os::windows)
            CHECK(fs::status(secret).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
        CHECK(read_file(secret) == "hf_x");
    }
    SUBCASE("a writer can stream into the temp file") {
        REQUIRE(util::write_file_atomically(target, [](const util::UniqueFd& fd) -> Status {
            if (auto st = fd.pwrite_all("ab", 2, 0); !st) return st;
            return fd.pwrite_all("cd", 2, 2);
        }));
        CHECK(read_file(target) == "abcd");
    }
}

TEST_CASE("util: a failed atomic write leaves the target untouched and no temp behind") {
    TempDir tmp;
    const auto target = tmp.path() / "journal.json";
    write_file(target, "old");
    SUBCASE("the write fails") {
        auto result = util::write_file_atomically(target, [](const util::UniqueFd& fd) -> Status {
            if (auto st = fd.pwrite_all("half", 4, 0); !st) return st;
            return fail(ErrorCode::internal, "writer gave up");
        });
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::internal);
        CHECK(result.error().message.find(target.string()) != std::string::npos);
    }
    SUBCASE("the rename fails (the target is a folder that is not empty)") {
        const auto folder = tmp.path() / "folder";
        write_file(folder / "inside", "x");
        auto result = util::write_file_atomically(folder, "new");
        REQUIRE_FALSE(result);
        CHECK(fs::is_directory(folder));
    }
    SUBCASE("the folder is missing") {
        auto result = util::write_file_atomically(tmp.path() / "nope" / "file", "new");
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::not_found);
    }
    CHECK(read_file(target) == "old");
    auto names = names_in(tmp.path());
    CHECK(std::none_of(names.begin(), names.end(), [](const std::string& n) { return util::is_atomic_temp_name(n); }));
    CHECK(std::count(names.begin(), names.end(), "journal.json") == 1);
}

TEST_CASE("util: ENOSPC during an atomic write is DISK_FULL and keeps the old file") {
    TempDir tmp;
    const auto dir = tmp.path() / "small";
    test::SmallFilesystem tmpfs(dir, "64k");
    const auto target = dir / "listing.json";
    write_file(target, "old");
    Status result;
    if (tmpfs.mounted()) {
        MESSAGE("on a 64 KiB tmpfs");
        result = util::write_file_atomically(target, std::string(256 * 1024, 'x'));
    } else {
        // Not root: no tmpfs. The seam stands in for the disk: the writer fails as pwrite would.
        MESSAGE("no tmpfs (" << tmpfs.why_not() << "): ENOSPC simulated through the writer seam");
        result = util::write_file_atomically(
            target, [](const util::UniqueFd&) -> Status { return tl::unexpected(util::errno_error(ENOSPC, "write", {})); });
    }
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::disk_full);
    CHECK(read_file(target) == "old");
    CHECK(names_in(dir) == std::vector<std::string>{"listing.json"});
}

TEST_CASE("util: temp names of atomic writes are recognised, other names are not") {
    TempDir tmp;
    const auto target = tmp.path() / "main";
    REQUIRE(util::write_file_atomically(target, [&](const util::UniqueFd&) -> Status {
        // The temp file exists while the writer runs: its name is the one walkers skip.
        auto names = names_in(tmp.path());
        REQUIRE(names.size() == 1);
        CHECK(names[0].rfind("main.tmp.", 0) == 0);
        CHECK(util::is_atomic_temp_name(names[0]));
        return {};
    }));
    CHECK(util::is_atomic_temp_name("j_1.json.tmp.4242.0123456789abcdef"));
    CHECK_FALSE(util::is_atomic_temp_name("main"));
    CHECK_FALSE(util::is_atomic_temp_name("model.tmp"));
    CHECK_FALSE(util::is_atomic_temp_name(".tmp.4242.0123456789abcdef"));           // no target name
    CHECK_FALSE(util::is_atomic_temp_name("main.tmp.42x.0123456789abcdef"));        // pid not a number
    CHECK_FALSE(util::is_atomic_temp_name("main.tmp.4242.0123456789ABCDEF"));       // upper-case hex
    CHECK_FALSE(util::is_atomic_temp_name("main.tmp.4242.0123456789abcde"));        // 15 hex
    CHECK_FALSE(util::is_atomic_temp_name("main.json.4242.0123456789abcdef"));      // no .tmp
}

TEST_CASE("cache: a temp ref left behind by a killed writer is not read as a ref") {
    TempDir tmp;
    Store store(tmp.path());
    cache_test::put(store, "org/model", cache_test::k_commit_a, "config.json", "{}", false);
    REQUIRE(store.write_ref("org/model", "main", cache_test::k_commit_a));
    // What a kill -9 between create and rename leaves: a torn commit under a temp name.
    write_file(store.ref_path("org/model", "main").parent_path() / "main.tmp.4242.0123456789abcdef", "aaaa");
    auto scanned = cache::scan_repo(tmp.path(), "org/model");
    REQUIRE(scanned);
    CHECK(scanned->refs.size() == 1);
    CHECK(scanned->refs["main"] == cache_test::k_commit_a);
    CHECK(scanned->warnings.empty());
}
