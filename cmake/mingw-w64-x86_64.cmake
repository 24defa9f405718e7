# mingw-w64-x86_64.cmake: cross-compiling for 64-bit Windows with Debian's
# mingw-w64 (scripts/windows-cross.sh uses it).
#
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
#         -DCMAKE_PREFIX_PATH=<where scripts/windows/mingw-deps.sh installed libuv, cmocka>
#
# Libraries and headers come only from the mingw sysroot and that prefix;
# tests run through scripts/windows/wine-run.sh when wine is installed.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(PC_MINGW x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${PC_MINGW}-gcc)
set(CMAKE_RC_COMPILER ${PC_MINGW}-windres)
set(CMAKE_AR ${PC_MINGW}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${PC_MINGW}-ranlib CACHE FILEPATH "")

set(CMAKE_FIND_ROOT_PATH /usr/${PC_MINGW} ${CMAKE_PREFIX_PATH})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(PC_WINE NAMES wine wine64)
if(PC_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/../scripts/windows/wine-run.sh")
endif()
