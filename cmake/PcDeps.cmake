# PcDeps.cmake: find libuv and (for tests) cmocka. Each is wrapped in one
# portcullis:: INTERFACE target. The CMake package is preferred (vcpkg, upstream
# builds); Debian 12 ships only pkg-config files, so that is the fallback.
find_package(libuv CONFIG QUIET)
if(TARGET libuv::uv_a OR TARGET libuv::uv)
  add_library(portcullis::libuv INTERFACE IMPORTED)
  if(TARGET libuv::uv_a)
    target_link_libraries(portcullis::libuv INTERFACE libuv::uv_a)
  else()
    target_link_libraries(portcullis::libuv INTERFACE libuv::uv)
  endif()
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv>=1.44)
  add_library(portcullis::libuv ALIAS PkgConfig::LIBUV)
endif()

if(BUILD_TESTING)
  find_package(cmocka CONFIG QUIET)
  if(TARGET cmocka::cmocka)
    add_library(portcullis::cmocka ALIAS cmocka::cmocka)
  else()
    find_package(PkgConfig REQUIRED)
    pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
    add_library(portcullis::cmocka ALIAS PkgConfig::CMOCKA)
  endif()
endif()

# libidn2 is optional: with it, internationalised names in rule lists are
# converted to punycode; without it, such names are refused with advice.
# pc_idn carries the library and PC_HAVE_LIBIDN2=1 (or nothing) to pc_pure and,
# through it, to its tests.
option(PC_WITH_LIBIDN2 "Use libidn2 for Unicode names in lists when it is found" ON)
add_library(pc_idn INTERFACE)
if(PC_WITH_LIBIDN2)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(LIBIDN2 QUIET IMPORTED_TARGET libidn2)
  endif()
endif()
if(PC_WITH_LIBIDN2 AND LIBIDN2_FOUND)
  message(STATUS "libidn2 ${LIBIDN2_VERSION} found: Unicode names in lists become punycode")
  target_link_libraries(pc_idn INTERFACE PkgConfig::LIBIDN2)
  target_compile_definitions(pc_idn INTERFACE PC_HAVE_LIBIDN2=1)
else()
  message(STATUS "libidn2 not used (not found, or PC_WITH_LIBIDN2=OFF): Unicode names in lists will be refused")
endif()
