# The per-user Windows installer (CPack NSIS generator, Debian's `nsis`), from the `windows` preset
# build: see cmake/packaging.cmake and docs/PACKAGING.md. CPack's own NSIS.template.in asks for
# admin rights (RequestExecutionLevel admin) and writes HKLM; packaging/nsis/NSIS.template.in is
# ours: no elevation, everything under the user's profile and HKCU.
# $INSTDIR ($LOCALAPPDATA\Programs\TabAgent, the per-user Programs folder):
#   tabagent-host.exe, tabagent-cache.exe
#   com.tabagent.host.json          Chrome-family manifest, "path": "tabagent-host.exe"
#   com.tabagent.host.firefox.json  Firefox manifest, same relative path
#   Uninstall.exe
# The manifests name the host relative to their own folder, which Chrome and Firefox allow on
# Windows (Chrome's native messaging documentation: "On Windows it can be relative to the directory
# containing the manifest file"; MDN's Native manifests page says the same for Firefox), so they are
# fixed files and the install directory may be anything, non-ASCII included.

install(TARGETS tabagent-host RUNTIME DESTINATION . COMPONENT tabagent)
if(TARGET tabagent-cache)
  install(TARGETS tabagent-cache RUNTIME DESTINATION . COMPONENT tabagent)
endif()

set(HOST_PATH "tabagent-host.exe")
set(ALLOWED_ORIGINS "${TABAGENT_ALLOWED_ORIGINS_JSON}")
set(ALLOWED_EXTENSIONS "${TABAGENT_ALLOWED_EXTENSIONS_JSON}")
configure_file(${TABAGENT_REPO_ROOT}/manifest/com.tabagent.host.chrome.json
               ${CMAKE_CURRENT_BINARY_DIR}/packaging/${TABAGENT_HOST_NAME}.json @ONLY NEWLINE_STYLE CRLF)
configure_file(${TABAGENT_REPO_ROOT}/manifest/com.tabagent.host.firefox.json
               ${CMAKE_CURRENT_BINARY_DIR}/packaging/${TABAGENT_HOST_NAME}.firefox.json @ONLY NEWLINE_STYLE CRLF)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/packaging/${TABAGENT_HOST_NAME}.json
              ${CMAKE_CURRENT_BINARY_DIR}/packaging/${TABAGENT_HOST_NAME}.firefox.json
        DESTINATION . COMPONENT tabagent)

set(CPACK_GENERATOR NSIS)
set(CPACK_MODULE_PATH ${TABAGENT_REPO_ROOT}/packaging/nsis) # our NSIS.template.in
set(CPACK_PACKAGE_FILE_NAME "TabAgent-${PROJECT_VERSION}-win64-setup")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "TabAgent")
set(CPACK_NSIS_PACKAGE_NAME "TabAgent")
set(CPACK_NSIS_DISPLAY_NAME "TabAgent")
set(CPACK_NSIS_UNINSTALL_NAME "Uninstall")
set(CPACK_NSIS_COMPRESSOR "/SOLID lzma")
set(CPACK_NSIS_HOST_NAME "${TABAGENT_HOST_NAME}")
# Quoted for NSIS: the manifest paths of one browser registration each (see the template).
