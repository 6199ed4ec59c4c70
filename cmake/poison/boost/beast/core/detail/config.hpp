// Seen only by the codecs layer, like ../../../asio/detail/config.hpp: Beast's headers include this one first.
#error "layer violation: a codec includes Boost.Beast; HTTP belongs to provision_clients (the CA client)"
