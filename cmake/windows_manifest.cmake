# tabagent_windows_manifest(target): embeds cmake/windows/app.manifest (long paths, asInvoker,
# Windows 10/11) as the executable's application manifest (resource 1 of type RT_MANIFEST, 24).
# Nothing on other platforms.
function(tabagent_windows_manifest target)
  if(NOT WIN32)
    return()
  endif()
  enable_language(RC)
  set(rc ${CMAKE_BINARY_DIR}/windows_manifest.rc)
  if(NOT EXISTS ${rc})
    file(WRITE ${rc} "1 24 \"${PROJECT_SOURCE_DIR}/cmake/windows/app.manifest\"\n")
  endif()
  target_sources(${target} PRIVATE ${rc})
  set_property(SOURCE ${rc} APPEND PROPERTY OBJECT_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/windows/app.manifest)
endfunction()
