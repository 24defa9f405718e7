# PcDeps.cmake: find libuv and (for tests) cmocka. Each is wrapped in one
# portcullis:: INTERFACE target. The CMake package is preferred (vcpkg, upstream
# builds); Debian 12 ships only pkg-config files, so that is the fallback.
# libuv's own CMake build exports uv_a / uv (older releases) or libuv::uv_a /
# libuv::uv (1.47 and vcpkg); the static library is preferred.
find_package(libuv CONFIG QUIET)
set(_pc_uv "")
foreach(_t libuv::uv_a uv_a libuv::uv uv)
  if(NOT _pc_uv AND TARGET ${_t})
    set(_pc_uv ${_t})
  endif()
endforeach()
if(_pc_uv)
  add_library(portcullis::libuv INTERFACE IMPORTED)
  target_link_libraries(portcullis::libuv INTERFACE ${_pc_uv})
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv>=1.44)
  add_library(portcullis::libuv ALIAS PkgConfig::LIBUV)
endif()

if(BUILD_TESTING)
  find_package(cmocka CONFIG QUIET)
  if(CMAKE_CROSSCOMPILING AND WIN32)
    # Debian's mingw cmocka config names a file it does not install; take the
    # static library itself.
    find_library(PC_CMOCKA_LIB NAMES cmocka-static cmocka REQUIRED)
    find_path(PC_CMOCKA_INCLUDE cmocka.h REQUIRED)
    add_library(portcullis::cmocka INTERFACE IMPORTED)
    target_link_libraries(portcullis::cmocka INTERFACE ${PC_CMOCKA_LIB})
    target_include_directories(portcullis::cmocka INTERFACE ${PC_CMOCKA_INCLUDE})
  elseif(TARGET cmocka::cmocka)
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
option(PORTCULLIS_WITH_LIBIDN2 "Use libidn2 for Unicode names in lists when it is found" ON)
add_library(pc_idn INTERFACE)
if(PORTCULLIS_WITH_LIBIDN2 AND NOT CMAKE_CROSSCOMPILING) # the host's .pc files would lie
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(LIBIDN2 QUIET IMPORTED_TARGET libidn2)
  endif()
endif()
if(PORTCULLIS_WITH_LIBIDN2 AND LIBIDN2_FOUND)
  message(STATUS "libidn2 ${LIBIDN2_VERSION} found: Unicode names in lists become punycode")
  target_link_libraries(pc_idn INTERFACE PkgConfig::LIBIDN2)
  target_compile_definitions(pc_idn INTERFACE PC_HAVE_LIBIDN2=1)
else()
  message(STATUS "libidn2 not used (not found, or PORTCULLIS_WITH_LIBIDN2=OFF): Unicode names in lists will be refused")
endif()
