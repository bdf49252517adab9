# tabagent_windows_manifest(target): embeds cmake/windows/app.manifest (long paths, asInvoker,
# Windows 10/11) as the executable's application manifest (resource 1 of type RT_MANIFEST, 24).
# Nothing on other platforms.
function(tabagent_windows_manifest target)
  if(NOT WIN32)
    return()
  endif()
  enable_language(RC)
  set(rc ${CMAKE_BINARY_DIR}/windows_manifest.rc)
  # Rewritten only when its text changes (a moved source tree), so the resource is not rebuilt on
  # every configure.
  file(CONFIGURE OUTPUT ${rc} CONTENT "1 24 \"${PROJECT_SOURCE_DIR}/cmake/windows/app.manifest\"\n")
  target_sources(${target} PRIVATE ${rc})
  set_property(SOURCE ${rc} APPEND PROPERTY OBJECT_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/windows/app.manifest)
endfunction()
