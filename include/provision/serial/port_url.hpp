// --port values (pure): a device path, or socket:// / rfc2217:// URLs for remote rigs (pyserial's URL forms).
#pragma once

#include <string>
#include <string_view>

namespace provision::serial {

// A parsed --port value. Pure.
struct PortUrl {
  enum class Kind { device, socket, rfc2217 };
  Kind kind = Kind::device;
  std::string path;  // device: the path
  std::string host;  // socket / rfc2217: host name or IP literal (without brackets)
  std::string port;  // socket / rfc2217: TCP port
};
// Accepts "/dev/ttyUSB0" (any path), "socket://host:port", "rfc2217://host:port", "[::1]" literals.
// Throws Error(bad_input, field "port") naming the value and the accepted forms.
PortUrl parse_port_url(std::string_view text);

}  // namespace provision::serial
