# PcPackaging.cmake: install rules for everything but the binary, and the CPack
# configuration of the Linux packages (.deb and .rpm). Included by the top-level
# CMakeLists.txt right after the binary's install() rule.
#
#   cmake -S . -B build-pkg -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF
#   cmake --build build-pkg && (cd build-pkg && cpack -G DEB && cpack -G RPM)
#
# scripts/linux-packages.sh does exactly that and then inspects, lints and
# installs the result; docs/packaging.md says what the packages contain.
#
# Paths. The packages install under /usr, and their configuration in /etc:
# - Build with CMAKE_INSTALL_PREFIX=/usr. GNUInstallDirs then makes
#   CMAKE_INSTALL_FULL_SYSCONFDIR /etc, which is what the binary compiles in as
#   its default configuration (PC_DEFAULT_CONF in cmake/version.h.in), so
#   "portcullis -h" in the package names /etc/portcullis/portcullis.conf.
#   A tree configured with another prefix refuses to make a DEB or RPM (see
#   the CPack project file below) instead of shipping a binary that looks
#   for /usr/local/etc/portcullis/portcullis.conf.
# - Files under /etc use absolute destinations: a relative "etc" would land in
#   /usr/etc. Everything else is relative to the prefix. CPack RPM tags every
#   absolute-destination file %config, so only /etc files may be absolute;
#   they are listed again with %config(noreplace) below.
# - On Windows nothing here applies yet: the MSI (CPack WIX) settings are to be
#   added in an if(WIN32) block before include(CPack) at the end.
# - Version: project(VERSION) only. The package version, file names, the
#   Debian changelog and the RPM %changelog are all made from PROJECT_VERSION.

include_guard(GLOBAL)

set(PC_PACKAGE_MAINTAINER "Portcullis developers <portcullis@example.org>"
    CACHE STRING "Maintainer of the .deb/.rpm packages (Name <address>)")
# No license has been chosen yet; see packaging/linux/copyright.
set(PC_PACKAGE_LICENSE "LicenseRef-portcullis-undecided"
    CACHE STRING "License tag of the RPM package (an SPDX expression)")

set(CPACK_PACKAGE_NAME portcullis)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "Portcullis developers")
set(CPACK_PACKAGE_CONTACT "${PC_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "filtering forward HTTP/HTTPS proxy")
# The extended description, in lines of at most 76 characters; a "." line
# separates paragraphs (Debian's syntax; the RPM gets an empty line instead).
set(_pc_description
    "Portcullis is a small, strict forward proxy for offices, labs, CI fleets\n"
    "and homes. It forwards plain HTTP, tunnels HTTPS with CONNECT, refuses\n"
    "destinations named in blocklists (a domain blocks all its subdomains) or\n"
    "missing from allowlists, can refuse private and cloud-metadata addresses\n"
    "after DNS, and writes one access log line per transaction.\n"
    ".\n"
    "It listens on 127.0.0.1:3128 for loopback clients only until configured\n"
    "otherwise, refuses ambiguous HTTP framing, reloads its configuration on\n"
    "SIGHUP without dropping connections, and runs under systemd as an\n"
    "unprivileged user with Type=notify.")
string(CONCAT _pc_description ${_pc_description})
set(CPACK_STRIP_FILES ON)

if(NOT WIN32)
  set(_pc_pkg "${PROJECT_SOURCE_DIR}/packaging/linux")
  set(_pc_gen "${PROJECT_BINARY_DIR}/packaging")

  # ---- Generated files: gzipped man pages and changelogs -------------------
  # The changelog date is the last commit's (or SOURCE_DATE_EPOCH, or now), so
  # two builds of one commit make the same files.
  set(_pc_epoch "$ENV{SOURCE_DATE_EPOCH}")
  if(_pc_epoch STREQUAL "")
    find_package(Git QUIET)
    if(GIT_FOUND)
      execute_process(COMMAND "${GIT_EXECUTABLE}" log -1 --format=%ct
                      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                      OUTPUT_VARIABLE _pc_epoch OUTPUT_STRIP_TRAILING_WHITESPACE
                      ERROR_QUIET RESULT_VARIABLE _pc_git_rc)
      if(NOT _pc_git_rc EQUAL 0)
        set(_pc_epoch "")
      endif()
    endif()
  endif()
  set(_pc_saved_epoch "$ENV{SOURCE_DATE_EPOCH}")
  if(NOT _pc_epoch STREQUAL "")
    set(ENV{SOURCE_DATE_EPOCH} "${_pc_epoch}") # string(TIMESTAMP) honours it
  endif()
  string(TIMESTAMP PC_CHANGELOG_DATE_DEB "%a, %d %b %Y %H:%M:%S +0000" UTC)
  string(TIMESTAMP PC_CHANGELOG_DATE_RPM "%a %b %d %Y" UTC)
  if(_pc_saved_epoch STREQUAL "")
    unset(ENV{SOURCE_DATE_EPOCH})
  else()
    set(ENV{SOURCE_DATE_EPOCH} "${_pc_saved_epoch}")
  endif()
  configure_file("${_pc_pkg}/changelog.in" "${_pc_gen}/changelog" @ONLY)
  configure_file("${_pc_pkg}/rpm/changelog.in" "${_pc_gen}/rpm-changelog" @ONLY)

  # Debian wants man pages and changelogs compressed with gzip -9n (no name,
  # no time stamp, so the bytes are reproducible).
  find_program(PC_GZIP gzip REQUIRED)
  set(_pc_gz_outputs "")
  # Each item is SOURCE|NAME; an empty SOURCE means the file generated above.
  foreach(_pc_pair "docs/man/portcullis.8|portcullis.8"
                   "docs/man/portcullis.conf.5|portcullis.conf.5" "|changelog")
    string(REPLACE "|" ";" _pc_pair "${_pc_pair}")
    list(GET _pc_pair 0 _pc_src)
    list(GET _pc_pair 1 _pc_name)
    if(_pc_src STREQUAL "")
      set(_pc_src "${_pc_gen}/${_pc_name}")
    else()
      set(_pc_src "${PROJECT_SOURCE_DIR}/${_pc_src}")
    endif()
    add_custom_command(
      OUTPUT "${_pc_gen}/gz/${_pc_name}.gz"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${_pc_gen}/gz"
      COMMAND "${CMAKE_COMMAND}" -E copy "${_pc_src}" "${_pc_gen}/gz/${_pc_name}"
      COMMAND "${PC_GZIP}" -9nf "${_pc_gen}/gz/${_pc_name}"
      DEPENDS "${_pc_src}"
      COMMENT "Compressing ${_pc_name}"
      VERBATIM)
    list(APPEND _pc_gz_outputs "${_pc_gen}/gz/${_pc_name}.gz")
  endforeach()
  add_custom_target(pc_package_docs ALL DEPENDS ${_pc_gz_outputs})

  # ---- Install rules -------------------------------------------------------
  # The system integration (configuration, unit, user, logrotate) names
  # /usr/sbin/portcullis, /etc/portcullis and /var/log/portcullis, so it is
  # installed only for the /usr layout of the packages. "cmake --install" of a
  # build for another prefix (/usr/local by default) installs the binary and
  # the manual pages only.
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    install(FILES "${_pc_pkg}/portcullis.conf" "${_pc_pkg}/blocklist.txt"
            DESTINATION /etc/portcullis)
    install(FILES "${_pc_pkg}/portcullis.logrotate" DESTINATION /etc/logrotate.d
            RENAME portcullis)
    # /usr/lib, not ${CMAKE_INSTALL_LIBDIR} (lib64 on RPM systems): systemd
    # looks for units and sysusers.d files there on every distribution.
    install(FILES "${_pc_pkg}/portcullis.service" DESTINATION lib/systemd/system)
    install(FILES "${_pc_pkg}/portcullis.sysusers" DESTINATION lib/sysusers.d
            RENAME portcullis.conf)
  else()
    message(STATUS "Install prefix ${CMAKE_INSTALL_PREFIX}: the systemd unit, default "
                   "configuration and logrotate file are installed with prefix /usr only")
  endif()
  install(FILES "${_pc_gen}/gz/portcullis.8.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man8")
  install(FILES "${_pc_gen}/gz/portcullis.conf.5.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man5")
  # The version has no Debian revision, so it is a native package: its Debian
  # changelog is changelog.gz, not changelog.Debian.gz (lintian, no-changelog).
  install(FILES "${_pc_pkg}/copyright" "${_pc_gen}/gz/changelog.gz"
          DESTINATION "${CMAKE_INSTALL_DOCDIR}")

  # ---- Both generators ---------------------------------------------------
  set(CPACK_GENERATOR "DEB;RPM")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_PACKAGE_RELOCATABLE OFF) # /etc and /usr are fixed

  # Run by cpack for each generator: refuse to package a build whose compiled-in
  # configuration path is not /etc/portcullis/portcullis.conf.
  file(CONFIGURE OUTPUT "${_pc_gen}/CPackProjectConfig.cmake" @ONLY CONTENT [[
# Generated by cmake/PcPackaging.cmake; read by cpack for each generator.
if(CPACK_GENERATOR MATCHES "^(DEB|RPM)$"
   AND NOT "@CMAKE_INSTALL_FULL_SYSCONFDIR@" STREQUAL "/etc")
  message(FATAL_ERROR "This build would look for its configuration in "
    "@CMAKE_INSTALL_FULL_SYSCONFDIR@/portcullis/portcullis.conf, not in "
    "/etc/portcullis/portcullis.conf as the ${CPACK_GENERATOR} package installs it. "
    "Configure the build with -DCMAKE_INSTALL_PREFIX=/usr to make packages.")
endif()
]])
  set(CPACK_PROJECT_CONFIG_FILE "${_pc_gen}/CPackProjectConfig.cmake")

  # Run by cpack after staging (and stripping) the files, before the package
  # is made: the RPM owns an empty /var/log/portcullis (see
  # CPACK_RPM_USER_FILELIST), and the binary loses the compiler's .comment
  # section, as Debian's dh_strip does (CPack's strip keeps it).
  file(CONFIGURE OUTPUT "${_pc_gen}/CPackPreBuild.cmake" @ONLY CONTENT [[
# Generated by cmake/PcPackaging.cmake; run by cpack on the staged files.
set(_bin "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/usr/sbin/portcullis")
if(EXISTS "${_bin}" AND NOT "@CMAKE_OBJCOPY@" STREQUAL "")
  execute_process(COMMAND "@CMAKE_OBJCOPY@" --remove-section=.comment "${_bin}"
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "objcopy --remove-section=.comment ${_bin} failed")
  endif()
endif()
if(CPACK_GENERATOR STREQUAL "RPM")
  file(MAKE_DIRECTORY "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/var/log/portcullis")
endif()
]])
  set(CPACK_PRE_BUILD_SCRIPTS "${_pc_gen}/CPackPreBuild.cmake")

  # ---- DEB ---------------------------------------------------------------
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # portcullis_<version>_<arch>.deb
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PC_PACKAGE_MAINTAINER}")
  set(CPACK_DEBIAN_PACKAGE_SECTION net)
  set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
  # CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY in front as the synopsis line.
  set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${_pc_description}")
  # dpkg-shlibdeps (dpkg-dev) adds libc6, libuv1 and, when linked, libidn2-0.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  # postinst runs adduser; deb-systemd-helper comes from init-system-helpers,
  # which is essential.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
  # The packaged configuration writes an access log, which grows without
  # logrotate; the proxy itself runs without it.
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "logrotate")
  # conffiles lists the three /etc files (deb-conffiles(5)): an admin's edit
  # survives upgrades, and dpkg asks before replacing it.
  set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
      "${_pc_pkg}/deb/conffiles;${_pc_pkg}/deb/postinst;${_pc_pkg}/deb/prerm;${_pc_pkg}/deb/postrm")
  set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

  # ---- RPM ---------------------------------------------------------------
  set(CPACK_RPM_FILE_NAME RPM-DEFAULT) # portcullis-<version>-1.<arch>.rpm
  set(CPACK_RPM_PACKAGE_RELEASE 1)
  set(CPACK_RPM_PACKAGE_SUMMARY "Filtering forward HTTP/HTTPS proxy")
  # RPM separates paragraphs with an empty line, Debian with " .".
  string(REPLACE "\n.\n" "\n\n" CPACK_RPM_PACKAGE_DESCRIPTION "${_pc_description}")
  set(CPACK_RPM_PACKAGE_LICENSE "${PC_PACKAGE_LICENSE}")
  set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
  set(CPACK_RPM_PACKAGE_VENDOR "${CPACK_PACKAGE_VENDOR}")
  set(CPACK_RPM_CHANGELOG_FILE "${_pc_gen}/rpm-changelog")
  # Requires: rpm's automatic dependencies name libuv.so.1 (and libidn2.so.0
  # when linked), which the distribution's libuv package provides; scriptlets
  # add /bin/sh. logrotate: as for the .deb, but RPM distributions install it
  # everywhere anyway and rpmlint asks for the hard dependency.
  set(CPACK_RPM_PACKAGE_REQUIRES "logrotate")
  # No /usr/lib/.build-id links: this package has no -debuginfo. Packager:
  # the tag rpmlint asks for.
  set(CPACK_RPM_SPEC_MORE_DEFINE
      "%define _build_id_links none\n%define packager ${PC_PACKAGE_MAINTAINER}")
  set(CPACK_RPM_PRE_INSTALL_SCRIPT_FILE "${_pc_pkg}/rpm/pre.sh")
  set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE "${_pc_pkg}/rpm/post.sh")
  set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE "${_pc_pkg}/rpm/preun.sh")
  set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE "${_pc_pkg}/rpm/postun.sh")
  # Edited configuration survives upgrades (the new one lands as .rpmnew).
  # The RPM owns the log directory, as the service user's (%pre creates the
  # user first); the pre-build script above adds the empty directory to the
  # RPM's staging tree only. The .deb makes it in postinst instead.
  set(CPACK_RPM_USER_FILELIST
      "%config(noreplace) /etc/portcullis/portcullis.conf"
      "%config(noreplace) /etc/portcullis/blocklist.txt"
      "%config(noreplace) /etc/logrotate.d/portcullis"
      "%dir %attr(0750,portcullis,portcullis) /var/log/portcullis")
  # The package owns /etc/portcullis and /usr/share/doc/portcullis, and no
  # directory that belongs to the system (filesystem, systemd, logrotate).
  set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
      /usr/sbin /etc/logrotate.d /var /var/log /usr/lib/systemd /usr/lib/systemd/system
      /usr/lib/sysusers.d /usr/share/man /usr/share/man/man5 /usr/share/man/man8)
endif()

if(WIN32)
  # ---- Windows: MSI (CPack WIX on Windows; wixl for the Linux CI) ---------
  # packaging/windows: the default configuration and blocklist (installed in
  # %ProgramData%\Portcullis), service-elements.xml (the service and Event
  # Log source, shared by both MSI builds), programdata.wxs (the ProgramData
  # files, shared too), and the two wrappers configured here.
  set(_pc_win "${PROJECT_SOURCE_DIR}/packaging/windows")
  set(_pc_gen "${PROJECT_BINARY_DIR}/packaging")
  # Never change it: MajorUpgrade finds the installed product by it.
  set(PC_WIX_UPGRADE_GUID "A4A641CF-E295-460B-9E7A-DC46EDDB116C")
  set(PC_WIX_EXE_ID "CM_FP_bin.portcullis.exe") # CPack's File Id for bin/portcullis.exe
  file(READ "${_pc_win}/service-elements.xml" _pc_elems)
  string(CONFIGURE "${_pc_elems}" PC_WIX_SERVICE_ELEMENTS @ONLY)
  configure_file("${_pc_win}/wix-patch.xml.in" "${_pc_gen}/wix-patch.xml" @ONLY)
  configure_file("${_pc_win}/portcullis-wixl.wxs.in" "${_pc_gen}/portcullis-wixl.wxs" @ONLY)

  set(CPACK_GENERATOR "WIX;ZIP")
  set(CPACK_PACKAGE_INSTALL_DIRECTORY "Portcullis")
  set(CPACK_PACKAGE_FILE_NAME "portcullis-${PROJECT_VERSION}-win64")
  set(CPACK_WIX_UPGRADE_GUID "${PC_WIX_UPGRADE_GUID}")
  set(CPACK_WIX_PATCH_FILE "${_pc_gen}/wix-patch.xml")
  set(CPACK_WIX_EXTRA_SOURCES "${_pc_win}/programdata.wxs")
  set(CPACK_WIX_CANDLE_EXTRA_FLAGS "-dPcWinSrc=${_pc_win}")
  set(CPACK_WIX_EXTENSIONS WixUtilExtension) # util:ServiceConfig (recovery actions)

  # The same MSI content with wixl, from a cross build: cmake --build . --target msi-wixl
  # makes portcullis-<version>-win64-wixl.msi in the build directory.
  find_program(PC_WIXL wixl)
  if(PC_WIXL)
    set(_pc_stage "${_pc_gen}/wixl-stage")
    set(_pc_msi "${PROJECT_BINARY_DIR}/portcullis-${PROJECT_VERSION}-win64-wixl.msi")
    add_custom_command(
      OUTPUT "${_pc_msi}"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${_pc_stage}"
      COMMAND "${CMAKE_COMMAND}" -E copy $<TARGET_FILE:portcullis> "${_pc_win}/portcullis.conf"
              "${_pc_win}/blocklist.txt" "${_pc_win}/programdata.wxs"
              "${_pc_gen}/portcullis-wixl.wxs" "${_pc_stage}"
      # wixl resolves Source paths relative to the working directory only.
      COMMAND "${CMAKE_COMMAND}" -E chdir "${_pc_stage}" "${PC_WIXL}" -a x64 -D PcWinSrc=.
              -o "${_pc_msi}" portcullis-wixl.wxs programdata.wxs
      DEPENDS portcullis "${_pc_gen}/portcullis-wixl.wxs" "${_pc_win}/programdata.wxs"
              "${_pc_win}/portcullis.conf" "${_pc_win}/blocklist.txt"
      COMMENT "Building the MSI with wixl"
      VERBATIM)
    # Part of every cross build: it takes a fraction of a second, and the
    # integration test wine_msi installs it.
    add_custom_target(msi-wixl ALL DEPENDS "${_pc_msi}")
  endif()
endif()

include(CPack)
