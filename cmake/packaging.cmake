# Debian packages with cpack (scripts/package runs it on a Release build):
#   espprov_<version>_<arch>.deb           espprov, espprov-sim, man pages, completion, udev rules
#   espprov-ca_<version>_<arch>.deb        espprov-ca, its man page and completion, espprov-ca.service
#   libprovision-dev_<version>_<arch>.deb  libprovision for find_package(provision)
# and, for the two tool packages, <name>-dbgsym_<version>_<arch>.ddeb with the debug info cpack strips out
# (found by build id under /usr/lib/debug/.build-id). Depends come from dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME espprov)
set(CPACK_PACKAGE_VENDOR "the espprov authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${ESPPROV_PACKAGE_MAINTAINER})
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL espprov espprov-ca dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION electronics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_DEV_DEBUGINFO_PACKAGE OFF)  # static libraries: nothing to split

set(CPACK_DEBIAN_ESPPROV_PACKAGE_NAME espprov)
set(CPACK_DEBIAN_ESPPROV_PACKAGE_SECTION electronics)
string(CONCAT CPACK_COMPONENT_ESPPROV_DESCRIPTION
    "provision ESP32-family boards on a factory station\n"
    "espprov turns a blank ESP32-family board into a known, trusted, connected\n"
    "device over its USB serial port: it reads the MAC over the ROM bootloader,\n"
    "derives the UUID, makes the pre-shared key, registers with a Certificate\n"
    "Authority, builds and flashes the NVS credentials partition, configures\n"
    "WiFi and checks the result. Includes espprov-sim (simulated boards on\n"
    "pseudo-terminals) and udev rules for the boards' USB serial adapters.")
set(CPACK_DEBIAN_ESPPROV_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/espprov/postinst)
set(CPACK_DEBIAN_ESPPROV_PACKAGE_RECOMMENDS "bash-completion")

set(CPACK_DEBIAN_ESPPROV-CA_PACKAGE_NAME espprov-ca)
set(CPACK_DEBIAN_ESPPROV-CA_PACKAGE_SECTION net)
string(CONCAT CPACK_COMPONENT_ESPPROV-CA_DESCRIPTION
    "reference Certificate Authority for espprov\n"
    "espprov-ca signs device certificates for espprov stations over HTTPS\n"
    "(bearer token, CSR checks by OpenSSL, a SQLite registry). The package\n"
    "installs a hardened systemd unit, espprov-ca.service.")
set(CPACK_DEBIAN_ESPPROV-CA_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/espprov-ca/postinst
    ${PROJECT_SOURCE_DIR}/packaging/espprov-ca/prerm ${PROJECT_SOURCE_DIR}/packaging/espprov-ca/postrm)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libprovision-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
# The headers and the exported targets name these (cmake/provisionConfig.cmake.in).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libboost-dev (>= 1.74), libssl-dev (>= 3), libfmt-dev, nlohmann-json3-dev (>= 3.10), libsqlite3-dev, zlib1g-dev, libpq-dev, libmosquitto-dev, pkg-config")
string(CONCAT CPACK_COMPONENT_DEV_DESCRIPTION
    "library to provision ESP32-family boards (development files)\n"
    "libprovision is the library behind espprov, in layers (core, codecs,\n"
    "transport, clients, workflow), as static libraries. A CMake program links\n"
    "it with find_package(provision) and the target provision::provision.")

include(CPack)
