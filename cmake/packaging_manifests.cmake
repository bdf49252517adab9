# Run at install time (install(CODE) in cmake/packaging_deb.cmake), when CMAKE_INSTALL_PREFIX is the
# final prefix (/usr when CPack builds the .deb) and DESTDIR the staging root. Writes the host
# manifests from manifest/*.json with the absolute path of the installed host.
#   PART private: <prefix>/<PKG_DATADIR>/native-messaging-hosts/<HOST_NAME>.json (Chrome family)
#   PART system:  the browsers' system directories (Chromium's chrome_paths.cc DIR_NATIVE_MESSAGING;
#                 Edge's and Mozilla's documentation; docs/PACKAGING.md has the table):
#                 links to the private manifest, and Firefox's own manifest.
set(host_path "${CMAKE_INSTALL_PREFIX}/${PKG_LIBEXECDIR}/tabagent-host")
set(private_manifest "${CMAKE_INSTALL_PREFIX}/${PKG_DATADIR}/native-messaging-hosts/${HOST_NAME}.json")
# JSON string escaping of the path: backslash and quote (the prefix is the only free part).
string(REPLACE "\\" "\\\\" HOST_PATH "${host_path}")
string(REPLACE "\"" "\\\"" HOST_PATH "${HOST_PATH}")

function(tabagent_record file)
  # install_manifest.txt lists what `cmake --install` wrote; CPack ignores it.
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${file}")
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()

function(tabagent_write_manifest template dest)
  set(ALLOWED_ORIGINS "${ORIGINS_JSON}")
  set(ALLOWED_EXTENSIONS "${EXTENSIONS_JSON}")
  message(STATUS "Installing: $ENV{DESTDIR}${dest}")
  configure_file("${TEMPLATE_DIR}/${template}" "$ENV{DESTDIR}${dest}" @ONLY)
  file(CHMOD "$ENV{DESTDIR}${dest}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  tabagent_record("$ENV{DESTDIR}${dest}")
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()

if(PART STREQUAL "private")
  tabagent_write_manifest(com.tabagent.host.chrome.json "${private_manifest}")
elseif(PART STREQUAL "system")
  # Chrome (every channel; Brave, Vivaldi and Opera read only this one, Edge reads it after its
  # own), Chrome for Testing, Chromium, Edge.
  foreach(dir /etc/opt/chrome /etc/opt/chrome_for_testing /etc/chromium /etc/opt/edge)
    set(link "$ENV{DESTDIR}${dir}/native-messaging-hosts/${HOST_NAME}.json")
    message(STATUS "Installing: ${link} -> ${private_manifest}")
    file(MAKE_DIRECTORY "$ENV{DESTDIR}${dir}/native-messaging-hosts")
    file(REMOVE "${link}")
    file(CREATE_LINK "${private_manifest}" "${link}" SYMBOLIC)
    tabagent_record("${link}")
  endforeach()
  tabagent_write_manifest(com.tabagent.host.firefox.json
                          "/usr/lib/mozilla/native-messaging-hosts/${HOST_NAME}.json")
else()
  message(FATAL_ERROR "packaging_manifests.cmake: PART must be private or system")
endif()
