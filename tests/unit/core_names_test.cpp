#include "core/config.hpp"
#include "core/names.hpp"
#include "env_var.hpp"

#include <doctest/doctest.h>

using namespace tabagent;

TEST_CASE("names: repo ids follow the Hub grammar") {
    for (const char* ok : {"onnx-community/Qwen2.5-0.5B-Instruct", "Xenova/whisper-tiny", "a/b", "bartowski/Llama-3.2-3B-Instruct-GGUF",
                           "org_1/model.v2"})
        CHECK_MESSAGE(validate_repo(ok), ok);
    for (const char* bad : {"", "noslash", "a/b/c", "/a", "a/", "../x", "a/..", "a--b/c", "a/b--c", "-a/b", "a/.b",
                            "a b/c", "a/b\\c", "a/b%2e"})
        CHECK_MESSAGE(validate_repo(bad).error().code == ErrorCode::invalid_repo, bad);
    CHECK_FALSE(validate_repo(std::string(97, 'a') + "/b"));
}

TEST_CASE("names: file paths are relative, without dot segments, backslashes or NUL") {
    for (const char* ok : {"config.json", "onnx/model_q4f16.onnx", "a/b/c.d", ".gitattributes", "x..y"})
        CHECK_MESSAGE(validate_file_path(ok), ok);
    for (const char* bad : {"", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a/", "a\\b", "..", "."})
        CHECK_MESSAGE(validate_file_path(bad).error().code == ErrorCode::invalid_path, bad);
    CHECK_FALSE(validate_file_path(std::string("a\0b", 3)));
    CHECK_FALSE(validate_file_path(std::string(1025, 'a')));
    CHECK(validate_file_path(std::string(1024, 'a')));
}

TEST_CASE("names: repo folder names and commit hashes") {
    CHECK(repo_folder_name("owner/name") == "models--owner--name");
    CHECK(is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
    CHECK_FALSE(is_commit_hash("0123456789ABCDEF0123456789abcdef01234567"));
    CHECK_FALSE(is_commit_hash("main"));
    CHECK(validate_revision("main"));
    CHECK(validate_revision("refs/pr/1"));
    CHECK_FALSE(validate_revision("../main"));
}

TEST_CASE("config: sizes parse with binary units") {
    CHECK(parse_size("1000") == 1000u);
    CHECK(parse_size("20G") == 20ull << 30);
    CHECK(parse_size("512M") == 512ull << 20);
    CHECK(parse_size("1.5GiB") == (3ull << 30) / 2);
    CHECK(parse_size("16K") == 16384u);
    CHECK_FALSE(parse_size("abc"));
    CHECK_FALSE(parse_size("12X"));
    CHECK_FALSE(parse_size(""));
}

TEST_CASE("config: the cache root follows the documented order") {
    // "~" is HOME on POSIX and USERPROFILE on Windows (platform::home_directory): set both.
    test::EnvVar cache("TABAGENT_CACHE", nullptr), hub("HF_HUB_CACHE", nullptr), hf_home("HF_HOME", nullptr),
        xdg("XDG_CACHE_HOME", nullptr), home("HOME", "/h"), profile("USERPROFILE", "/h");
    CHECK(Config::from_environment().cache_root == "/h/.cache/huggingface/hub");
    xdg.set("/x");
    CHECK(Config::from_environment().cache_root == "/x/huggingface/hub");
    hf_home.set("/hf");
    CHECK(Config::from_environment().cache_root == "/hf/hub");
    hub.set("/hub");
    CHECK(Config::from_environment().cache_root == "/hub");
    cache.set("/t");
    CHECK(Config::from_environment().cache_root == "/t");
}

TEST_CASE("config: the data dir is TABAGENT_HOME, else TabAgent in the user's data folder") {
    // The data folder is XDG_DATA_HOME on Linux and LOCALAPPDATA on Windows: set both.
    test::EnvVar tabagent_home("TABAGENT_HOME", nullptr), xdg("XDG_DATA_HOME", "/d"), local("LOCALAPPDATA", "/d");
    CHECK(Config::from_environment().data_dir == "/d/TabAgent");
    tabagent_home.set("/th");
    CHECK(Config::from_environment().data_dir == "/th");
}

TEST_CASE("config: download silences come from TABAGENT_FIRST_BYTE_TIMEOUT_MS and TABAGENT_STALL_TIMEOUT_MS") {
    test::EnvVar first("TABAGENT_FIRST_BYTE_TIMEOUT_MS", nullptr), stall("TABAGENT_STALL_TIMEOUT_MS", nullptr);
    // Defaults: a Xet bridge may need a minute for its first byte (issue 13); a body that stops, 10 s.
    CHECK(Config::from_environment().first_byte_timeout == std::chrono::milliseconds(120'000));
    CHECK(Config::from_environment().stall_timeout == std::chrono::milliseconds(10'000));
    first.set("3000");
    stall.set("1000");
    CHECK(Config::from_environment().first_byte_timeout == std::chrono::milliseconds(3000));
    CHECK(Config::from_environment().stall_timeout == std::chrono::milliseconds(1000));
    stall.set("soon"); // not a number: the default
    CHECK(Config::from_environment().stall_timeout == std::chrono::milliseconds(10'000));
}

TEST_CASE("config: the connection count starts at TABAGENT_START_CONNECTIONS, never above TABAGENT_MAX_CONNECTIONS") {
    test::EnvVar ceiling("TABAGENT_MAX_CONNECTIONS", nullptr), start("TABAGENT_START_CONNECTIONS", nullptr);
    CHECK(Config::from_environment().max_connections_per_host == 32); // DESIGN §7: ceiling default 32
    CHECK(Config::from_environment().start_connections == 16);
    ceiling.set("8"); // a lower ceiling pulls the start down with it
    CHECK(Config::from_environment().max_connections_per_host == 8);
    CHECK(Config::from_environment().start_connections == 8);
    ceiling.set("64");
    start.set("24");
    CHECK(Config::from_environment().start_connections == 24);
    ceiling.set("500"); // out of range: clamped
    CHECK(Config::from_environment().max_connections_per_host == 64);
}
