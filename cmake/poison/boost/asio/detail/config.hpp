// Seen only by the codecs layer (lib/CMakeLists.txt puts this folder before the system headers): every Asio header
// includes this one first, so a codec that includes Asio stops here. Codecs take bytes and return values; I/O
// belongs to the transport and client layers (docs/architecture.md).
#error "layer violation: a codec includes Boost.Asio; move the I/O to provision_transport or provision_clients"
