// The WiFi transport choice (wifi_transport.hpp): AT console or Improv, probed when asked to.
#include <fmt/format.h>

#include "provision/improv.hpp"
#include "provision/wifi_transport.hpp"

namespace provision::wifi {

std::string_view to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::at: return "at";
    case Protocol::improv: return "improv";
    case Protocol::automatic: return "auto";
  }
  return "at";
}

Protocol parse_protocol(std::string_view text, std::string_view field) {
  for (auto protocol : {Protocol::at, Protocol::improv, Protocol::automatic}) {
    if (text == to_string(protocol)) return protocol;
  }
  throw Error(ErrorCode::usage, fmt::format("{}: '{}' is not a WiFi protocol; use at, improv or auto", field, text),
              std::string(field));
}

asio::awaitable<Protocol> choose_protocol(Link& link, Protocol wanted, Millis probe_timeout) {
  if (wanted != Protocol::automatic) co_return wanted;
  const bool answered = (co_await improv::probe(link, probe_timeout)).has_value();
  co_return answered ? Protocol::improv : Protocol::at;
}

asio::awaitable<Record> configure_over(Link& link, const WifiSettings& settings, const TransportOptions& options) {
  const Protocol protocol = co_await choose_protocol(link, options.protocol, options.improv_probe);
  if (protocol == Protocol::improv) {
    improv::Client client(link);
    co_return improv::provisioned_fields(co_await client.provision(settings, options.at.connect_timeout));
  }
  if (options.wait_for_console) co_await wait_ready(link, options.at.ready_timeout);
  auto fields = connect_fields(co_await configure(link, settings, options.at));
  fields["wifi_protocol"] = "at";
  co_return fields;
}

asio::awaitable<Record> device_info_over(Link& link, const TransportOptions& options,
                                         std::optional<DeviceInfo>* at_info) {
  const Protocol protocol = co_await choose_protocol(link, options.protocol, options.improv_probe);
  Record fields;
  if (protocol == Protocol::improv) {
    improv::Client client(link);
    fields = improv::info_fields(co_await client.device_info());
    if (options.protocol == Protocol::automatic) fields["wifi_protocol"] = "improv";
    co_return fields;
  }
  if (options.wait_for_console) co_await wait_ready(link, options.at.ready_timeout);
  auto info_answer = co_await info(link, options.at.command_timeout);
  if (at_info) *at_info = info_answer;
  fields = info_fields(info_answer);
  // Named only when it was found out: an explicit choice is already known to the caller.
  if (options.protocol == Protocol::automatic) fields["wifi_protocol"] = "at";
  co_return fields;
}

}  // namespace provision::wifi
