# The .deb (CPack DEB generator), from the Linux Release build: see cmake/packaging.cmake and
# docs/PACKAGING.md. Layout (paths under CMAKE_INSTALL_PREFIX, /usr in the package):
#   libexec/tabagent/tabagent-host                               the host (browsers start it; not a command)
#   share/tabagent/native-messaging-hosts/com.tabagent.host.json Chrome-family manifest, absolute path
#   bin/tabagent-cache                                           the cache CLI, with its man page
#   share/doc/tabagent/{copyright,changelog.gz}
# and, in the package only (component "browsers", not part of a plain `cmake --install`):
#   /etc/opt/chrome/native-messaging-hosts/com.tabagent.host.json             -> the manifest above
#   /etc/opt/chrome_for_testing/native-messaging-hosts/com.tabagent.host.json -> (symbolic links)
#   /etc/chromium/native-messaging-hosts/com.tabagent.host.json               ->
#   /etc/opt/edge/native-messaging-hosts/com.tabagent.host.json               ->
#   /usr/lib/mozilla/native-messaging-hosts/com.tabagent.host.json            Firefox manifest
include(GNUInstallDirs)

set(TABAGENT_DEB_DIR ${TABAGENT_REPO_ROOT}/packaging/deb)
# The host is run by browsers, not by people: the FHS's libexec (Debian policy 9.1.1 allows it
# since FHS 3.0; lintian's executable-in-usr-lib asks for it over /usr/lib/<package>).
set(TABAGENT_PKG_LIBEXECDIR ${CMAKE_INSTALL_LIBEXECDIR}/tabagent)
set(TABAGENT_PKG_DATADIR ${CMAKE_INSTALL_DATADIR}/tabagent)

install(TARGETS tabagent-host RUNTIME DESTINATION ${TABAGENT_PKG_LIBEXECDIR} COMPONENT tabagent)
set(TABAGENT_PACKAGED_EXECUTABLES "${TABAGENT_PKG_LIBEXECDIR}/tabagent-host")
if(TARGET tabagent-cache)
  install(TARGETS tabagent-cache RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tabagent)
  list(APPEND TABAGENT_PACKAGED_EXECUTABLES "${CMAKE_INSTALL_BINDIR}/tabagent-cache")
endif()
# CPack's strip (CPACK_STRIP_FILES) keeps the .comment section (compiler versions), which dh_strip
# removes (lintian binary-has-unneeded-section); done here when the install strips.
if(CMAKE_OBJCOPY)
  install(CODE "if(CMAKE_INSTALL_DO_STRIP)
    foreach(exe ${TABAGENT_PACKAGED_EXECUTABLES})
      execute_process(COMMAND \"${CMAKE_OBJCOPY}\" --remove-section=.comment
                      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${exe}\" COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()" COMPONENT tabagent)
endif()

# The manifests carry the absolute path of the installed host, known only at install time (CPack
# installs with CMAKE_INSTALL_PREFIX=/usr into a staging DESTDIR): written by a script run then.
set(TABAGENT_MANIFEST_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/packaging_manifests.cmake)
set(TABAGENT_MANIFEST_VARS
  "set(TEMPLATE_DIR \"${TABAGENT_REPO_ROOT}/manifest\")
   set(HOST_NAME \"${TABAGENT_HOST_NAME}\")
   set(PKG_LIBEXECDIR \"${TABAGENT_PKG_LIBEXECDIR}\")
   set(PKG_DATADIR \"${TABAGENT_PKG_DATADIR}\")
   set(ORIGINS_JSON \"${TABAGENT_ALLOWED_ORIGINS_JSON}\")
   set(EXTENSIONS_JSON \"${TABAGENT_ALLOWED_EXTENSIONS_JSON}\")")
install(CODE "${TABAGENT_MANIFEST_VARS}
  set(PART private)
  include(\"${TABAGENT_MANIFEST_SCRIPT}\")" COMPONENT tabagent)
install(CODE "${TABAGENT_MANIFEST_VARS}
  set(PART system)
  include(\"${TABAGENT_MANIFEST_SCRIPT}\")" COMPONENT browsers EXCLUDE_FROM_ALL)

# Debian's documentation files: copyright (machine-readable), changelog and the man page, gzipped
# with -n so the package is reproducible.
configure_file(${TABAGENT_DEB_DIR}/changelog.in ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog @ONLY)
configure_file(${TABAGENT_DEB_DIR}/tabagent-cache.1.in ${CMAKE_CURRENT_BINARY_DIR}/packaging/tabagent-cache.1 @ONLY)
foreach(doc changelog tabagent-cache.1)
  execute_process(COMMAND gzip -9nkf ${CMAKE_CURRENT_BINARY_DIR}/packaging/${doc} COMMAND_ERROR_IS_FATAL ANY)
endforeach()
install(FILES ${TABAGENT_DEB_DIR}/copyright ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/tabagent COMPONENT tabagent)
if(TARGET tabagent-cache)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/packaging/tabagent-cache.1.gz
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT tabagent)
endif()
install(FILES ${TABAGENT_DEB_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides
        RENAME tabagent COMPONENT tabagent)

set(CPACK_GENERATOR DEB)
# One package holding both components; a plain `cmake --install` installs only "tabagent".
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL tabagent browsers)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # tabagent_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_NAME tabagent)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# libc (and libm) from dpkg-shlibdeps; libstdc++, libgcc and libcrypto are linked statically.
# libcurl is loaded with dlopen on first network use (src/core/hub/curl_library.cpp tries
# libcurl.so.4, then libcurl-gnutls.so.4), so dpkg-shlibdeps cannot see it: named here.
# 7.68.0 is the oldest libcurl with curl_multi_wakeup (7.68.0) and curl_multi_poll (7.66.0).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.68.0) | libcurl3-gnutls (>= 7.68.0)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
