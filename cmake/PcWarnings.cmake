# PcWarnings.cmake: one INTERFACE target, pc_options, that carries the language
# level, the warning set, sanitizers and hardening for every project target.
add_library(pc_options INTERFACE)

if(MSVC)
  target_compile_options(pc_options INTERFACE /W4 /utf-8 /wd4100)
  # fopen, strcpy, snprintf: standard C, which MSVC calls "unsafe" (C4996).
  target_compile_definitions(pc_options INTERFACE _CRT_SECURE_NO_WARNINGS)
else()
  target_compile_options(pc_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition -Wformat=2 -Wundef -Wpointer-arith -Wwrite-strings
    -Wvla -Wimplicit-fallthrough -Wdeclaration-after-statement -Wconversion
    -Wno-sign-conversion -Wno-unused-parameter)
endif()

if(MINGW)
  # mingw's default stdio is msvcrt's, which lacks %zu and %lld; its own C99
  # stdio has them. The format checker still reads printf attributes as the
  # msvcrt dialect (cmocka's included), so format checks are left to the
  # other builds, which see the same format strings.
  target_compile_definitions(pc_options INTERFACE __USE_MINGW_ANSI_STDIO=1)
  target_compile_options(pc_options INTERFACE -Wno-format)
  # Fully static: the .exe imports system DLLs only.
  target_link_options(pc_options INTERFACE -static)
endif()

if(NOT WIN32)
  # Strict C11 hides the POSIX types that uv.h needs (pthread_rwlock_t).
  target_compile_definitions(pc_options INTERFACE _POSIX_C_SOURCE=200809L)
endif()

if(PORTCULLIS_WERROR)
  if(MSVC)
    target_compile_options(pc_options INTERFACE /WX)
  else()
    target_compile_options(pc_options INTERFACE -Werror)
  endif()
endif()

set(_pc_sanitize "")
if(PORTCULLIS_ASAN OR PORTCULLIS_SANITIZE)
  list(APPEND _pc_sanitize address)
endif()
if(PORTCULLIS_UBSAN OR PORTCULLIS_SANITIZE)
  list(APPEND _pc_sanitize undefined)
endif()
if(_pc_sanitize)
  list(JOIN _pc_sanitize "," _pc_san)
  target_compile_options(pc_options INTERFACE -fsanitize=${_pc_san} -fno-omit-frame-pointer
                                              -fno-sanitize-recover=undefined)
  target_link_options(pc_options INTERFACE -fsanitize=${_pc_san})
endif()
