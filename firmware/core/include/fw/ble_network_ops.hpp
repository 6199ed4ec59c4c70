// Seed 000's network management over BLE (PROTOCOL.md §7.5): a request message in, a response message out, each
// operation one call on ProvisioningService, so a network added over BLE is listed by AT+WIFI_LIST? and the other
// way round.
#pragma once

#include <string>
#include <string_view>

#include "fw/ble_messages.hpp"
#include "fw/provisioning_service.hpp"

namespace fw {

// The response to one reassembled request message (never empty: malformed requests get a response too).
std::string handle_network_request(ProvisioningService& service, std::string_view message);

// A response to a request that could not be read (too long, out of sequence): op and id are unknown, so both 0.
std::string network_error_response(blemsg::Status status);

// The unsolicited WIFI_EVENT message: the state after a connection attempt ended or the link dropped.
std::string encode_wifi_event(const WifiStatus& status, const WifiFailure* failure);

}  // namespace fw
