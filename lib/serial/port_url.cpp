// --port values: a device path, or socket:// / rfc2217:// URLs for remote rigs (pyserial's URL forms).
#include <string>

#include "provision/error.hpp"
#include "provision/serial/port_url.hpp"

namespace provision::serial {
namespace {

constexpr std::string_view kForms =
    "a device path (/dev/ttyUSB0, /dev/ttyACM0, /dev/pts/3), socket://HOST:PORT or rfc2217://HOST:PORT";

Error bad_port(std::string_view text, std::string_view why) {
  return Error(ErrorCode::bad_input,
               "port: '" + std::string(text) + "' " + std::string(why) + "; expected " + std::string(kForms), "port");
}

bool is_decimal_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

// "host:port", "[v6]:port"; a trailing "/" or "?options" (pyserial style) is ignored.
void split_host_port(std::string_view original, std::string_view rest, PortUrl& url) {
  auto end = rest.find_first_of("/?");
  if (end != std::string_view::npos) rest = rest.substr(0, end);
  std::string_view host, port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) throw bad_port(original, "has an IPv6 literal without ']'");
    host = rest.substr(1, close - 1);
    auto after = rest.substr(close + 1);
    if (after.empty() || after.front() != ':') throw bad_port(original, "has no :PORT after the IPv6 literal");
    port = after.substr(1);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) throw bad_port(original, "has no :PORT");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) throw bad_port(original, "needs brackets around an IPv6 address");
  }
  if (host.empty()) throw bad_port(original, "has no host");
  if (!is_decimal_port(port)) throw bad_port(original, "has a TCP port that is not 1..65535");
  url.host = std::string(host);
  url.port = std::string(port);
}

}  // namespace

PortUrl parse_port_url(std::string_view text) {
  PortUrl url;
  if (text.empty()) throw bad_port(text, "is empty");
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    url.kind = PortUrl::Kind::device;
    url.path = std::string(text);
    return url;
  }
  auto scheme = text.substr(0, scheme_end);
  auto rest = text.substr(scheme_end + 3);
  if (scheme == "socket") {
    url.kind = PortUrl::Kind::socket;
  } else if (scheme == "rfc2217") {
    url.kind = PortUrl::Kind::rfc2217;
  } else {
    throw bad_port(text, "has an unknown scheme '" + std::string(scheme) + "'");
  }
  split_host_port(text, rest, url);
  return url;
}

}  // namespace provision::serial
