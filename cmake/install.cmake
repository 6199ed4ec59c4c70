# Install rules (GNUInstallDirs) in three components, one Debian package each (cmake/packaging.cmake):
#   espprov     the station tools espprov and espprov-sim, their man pages and completion, the udev rules
#   espprov-ca  the reference CA server, its man page and completion, its systemd unit
#   dev         libprovision: the layer libraries, the public headers, the CMake package config, so that a program
#               links it with find_package(provision) and target_link_libraries(app PRIVATE provision::provision)
include(CMakePackageConfigHelpers)
set(ESPPROV_PACKAGE_MAINTAINER "espprov maintainers <espprov@example.org>" CACHE STRING "Maintainer of the .deb packages")

# ---- Man pages and completion scripts, generated from the programs' own command-line definitions ---------------
# `espprov --generate-docs DIR` (hidden) writes espprov.1, espprov.bash and _espprov from the CLI11 app that --help
# prints; espprov-sim's --help is a usage text, read by espprov-usage-docs. Man pages are gzipped for Debian.
option(ESPPROV_DOCS "Generate the man pages and the completion scripts in every build" ON)
find_program(ESPPROV_GZIP gzip REQUIRED)
set(ESPPROV_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
set(docs_outputs)
foreach(entry "espprov;1" "espprov-ca;8" "espprov-sim;1")
  list(GET entry 0 tool)
  list(GET entry 1 section)
  set(outputs ${ESPPROV_DOCS_DIR}/${tool}.${section} ${ESPPROV_DOCS_DIR}/${tool}.${section}.gz
              ${ESPPROV_DOCS_DIR}/${tool}.bash ${ESPPROV_DOCS_DIR}/_${tool})
  if(tool STREQUAL "espprov-sim")
    set(generate $<TARGET_FILE:espprov-usage-docs> $<TARGET_FILE:espprov-sim> espprov-sim 1 ${PROJECT_VERSION}
                 "simulated ESP32-family boards on pseudo-terminals, speaking the ROM bootloader protocol"
                 ${ESPPROV_DOCS_DIR})
    set(depends espprov-usage-docs espprov-sim)
  else()
    set(generate $<TARGET_FILE:${tool}> --generate-docs ${ESPPROV_DOCS_DIR})
    set(depends ${tool})
  endif()
  add_custom_command(OUTPUT ${outputs}
    COMMAND ${generate}
    COMMAND ${ESPPROV_GZIP} -9nkf ${ESPPROV_DOCS_DIR}/${tool}.${section}
    DEPENDS ${depends}
    COMMENT "Man page and completion of ${tool}" VERBATIM)
  list(APPEND docs_outputs ${outputs})
endforeach()
if(ESPPROV_DOCS)
  add_custom_target(espprov_docs ALL DEPENDS ${docs_outputs})
else()
  add_custom_target(espprov_docs DEPENDS ${docs_outputs})
endif()

# ---- The tools --------------------------------------------------------------------------------------------------
install(TARGETS espprov espprov-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT espprov)
install(TARGETS espprov-ca RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT espprov-ca)
foreach(entry "espprov;1;espprov" "espprov-sim;1;espprov" "espprov-ca;8;espprov-ca")
  list(GET entry 0 tool)
  list(GET entry 1 section)
  list(GET entry 2 component)
  install(FILES ${ESPPROV_DOCS_DIR}/${tool}.${section}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
          COMPONENT ${component})
  install(FILES ${ESPPROV_DOCS_DIR}/${tool}.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          RENAME ${tool} COMPONENT ${component})
  install(FILES ${ESPPROV_DOCS_DIR}/_${tool} DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
          COMPONENT ${component})
endforeach()

# udev rules for station serial adapters, and the CA's systemd unit. Debian 12 keeps both under /lib
# (ESPPROV_UDEV_RULES_DIR and ESPPROV_SYSTEMD_UNIT_DIR: scripts/package sets them); a prefix install puts them
# under the prefix.
set(ESPPROV_UDEV_RULES_DIR lib/udev/rules.d CACHE STRING "Where the udev rules go")
set(ESPPROV_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING "Where the systemd unit goes")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/70-espprov.rules DESTINATION ${ESPPROV_UDEV_RULES_DIR}
        COMPONENT espprov)
configure_file(${PROJECT_SOURCE_DIR}/packaging/espprov-ca.service.in ${PROJECT_BINARY_DIR}/packaging/espprov-ca.service
               @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/packaging/espprov-ca.service DESTINATION ${ESPPROV_SYSTEMD_UNIT_DIR}
        COMPONENT espprov-ca)

# ---- libprovision for other programs: find_package(provision) -----------------------------------------------------
# The layers are exported as provision::core, provision::codecs, provision::transport, provision::clients,
# provision::workflow; provision::provision is all of them (what a station program links).
set(provision_layers provision_core provision_codecs provision_transport provision_clients provision_workflow)
foreach(layer ${provision_layers})
  string(REPLACE "provision_" "" short ${layer})
  set_target_properties(${layer} PROPERTIES EXPORT_NAME ${short})
endforeach()
install(TARGETS ${provision_layers} provision EXPORT provisionTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/provision DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
set(provision_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/provision)
install(EXPORT provisionTargets NAMESPACE provision:: DESTINATION ${provision_cmake_dir} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/provisionConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/provisionConfig.cmake INSTALL_DESTINATION ${provision_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/provisionConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/provisionConfig.cmake ${PROJECT_BINARY_DIR}/cmake/provisionConfigVersion.cmake
        DESTINATION ${provision_cmake_dir} COMPONENT dev)

# ---- Debian's per-package documents: copyright and changelog ----------------------------------------------------
foreach(package espprov espprov-ca libprovision-dev)
  set(component ${package})
  if(package STREQUAL "libprovision-dev")
    set(component dev)
  endif()
  set(PACKAGE ${package})
  configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${PROJECT_BINARY_DIR}/packaging/${package}/changelog
                 @ONLY)
  execute_process(COMMAND ${ESPPROV_GZIP} -9nf ${PROJECT_BINARY_DIR}/packaging/${package}/changelog)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${PROJECT_BINARY_DIR}/packaging/${package}/changelog.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component})
endforeach()
