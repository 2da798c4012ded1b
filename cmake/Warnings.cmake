# Compiler flags shared by every cohortwatch target, through the interface target
# cohortwatch_build_flags: strict warnings (errors when COHORTWATCH_WERROR), and sanitizers on request.
add_library(cohortwatch_build_flags INTERFACE)
target_compile_options(cohortwatch_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
  -Wformat=2 -Wcast-qual -Wmissing-declarations -Wno-maybe-uninitialized)
if(COHORTWATCH_WERROR)
  # GCC 12 at -O2 reports std::variant<std::string, ...> copies as maybe-uninitialized (a known
  # false positive, GCC bug 105593 and friends): it is off; ASan, UBSan and valgrind see real ones.
  # -Wnull-dereference is left out for the same reason: it fires inside Boost.Asio once inlined.
  target_compile_options(cohortwatch_build_flags INTERFACE -Werror)
endif()
if(COHORTWATCH_SANITIZE)
  target_compile_options(cohortwatch_build_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(cohortwatch_build_flags INTERFACE -fsanitize=address,undefined)
endif()

# Adds the component library for the calling folder: every .cpp in it but main.cpp and those
# named after EXCLUDE (built into another target of the folder), public headers included as
# "<folder>/<name>.h" from the project root.
function(cohortwatch_component name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;EXCLUDE" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(FILTER sources EXCLUDE REGEX "/main\\.cpp$")
  foreach(excluded ${ARG_EXCLUDE})
    list(REMOVE_ITEM sources ${CMAKE_CURRENT_SOURCE_DIR}/${excluded})
  endforeach()
  add_library(cohortwatch_${name} STATIC ${sources})
  add_library(cohortwatch::${name} ALIAS cohortwatch_${name})
  target_include_directories(cohortwatch_${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(cohortwatch_${name} PUBLIC ${ARG_DEPENDS} PRIVATE cohortwatch_build_flags)
endfunction()
