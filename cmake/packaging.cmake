# Packages made by CPack (issue 14 item 4; docs/PACKAGING.md says what each one installs where).
#   Linux:   cmake --preset release && cmake --build --preset release -j2 && cpack --preset deb
#            -> build/release/tabagent_<version>_amd64.deb
#   Windows: cmake --preset windows && cmake --build --preset windows -j2 && cpack --preset nsis
#            -> build/windows/TabAgent-<version>-win64-setup.exe
# Included from the top-level CMakeLists.txt; nothing else in the build depends on it.

get_filename_component(TABAGENT_REPO_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
set(TABAGENT_HOST_NAME "com.tabagent.host")
# The manifests' default callers (manifest/README.md): the TabAgent extension and its Firefox add-on id.
set(TABAGENT_CHROME_ORIGINS "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/" CACHE STRING
    "allowed_origins of the packaged Chrome-family manifest (;-separated chrome-extension://<id>/)")
set(TABAGENT_FIREFOX_IDS "tabagent@tabagent.com" CACHE STRING
    "allowed_extensions of the packaged Firefox manifest (;-separated add-on ids)")
set(TABAGENT_PACKAGE_CONTACT "TabAgent maintainers <maintainers@users.noreply.b-seed-681ecb5a.example>"
    CACHE STRING "Maintainer of the packages (Debian Maintainer field, NSIS Publisher contact)")

# The templates' quoted placeholders take a list: a;b becomes "a", "b".
string(REPLACE ";" "\", \"" TABAGENT_ALLOWED_ORIGINS_JSON "${TABAGENT_CHROME_ORIGINS}")
string(REPLACE ";" "\", \"" TABAGENT_ALLOWED_EXTENSIONS_JSON "${TABAGENT_FIREFOX_IDS}")

set(CPACK_PACKAGE_NAME "tabagent")
set(CPACK_PACKAGE_VENDOR "TabAgent")
set(CPACK_PACKAGE_CONTACT "${TABAGENT_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "native messaging host for the TabAgent browser extension")
# Wrapped by hand: Debian's long description lines stay under 80 columns (lintian).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "tabagent-host is the native messaging host of the TabAgent browser extension."
  "Chrome, Chromium, Edge, Brave, Vivaldi or Firefox start it when the extension"
  "asks: it downloads models from the Hugging Face Hub into the huggingface_hub"
  "cache (~/.cache/huggingface/hub, shared with Python tools), resumes and"
  "verifies the downloads, and serves the files to the extension over loopback."
  ""
  "tabagent-cache lists, downloads, verifies and cleans the same cache from a"
  "terminal."
  ""
  "The package registers the host system-wide, for every user and browser.")
set(CPACK_PACKAGE_CHECKSUM SHA256)
set(CPACK_STRIP_FILES ON)
set(CPACK_VERBATIM_VARIABLES ON)
set(CPACK_SOURCE_GENERATOR "")

if(WIN32)
  include(${CMAKE_CURRENT_LIST_DIR}/packaging_nsis.cmake)
else()
  include(${CMAKE_CURRENT_LIST_DIR}/packaging_deb.cmake)
endif()

include(CPack)
