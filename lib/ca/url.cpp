// The CA URL users type: https://host[:port][/base]. Every mistake gets a message that says what to write.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "provision/ca/codec.hpp"
#include "provision/error.hpp"

namespace provision::ca {
namespace {

constexpr std::string_view kField = "ca_url";

[[noreturn]] void bad_url(std::string_view text, const std::string& why) {
  throw Error(ErrorCode::bad_input, fmt::format("--ca-url \"{}\": {}", text, why), std::string(kField));
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_';
  });
}

bool valid_ipv6(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isxdigit(c) || c == ':' || c == '.';
  }) && host.find(':') != std::string_view::npos;
}

void parse_port(std::string_view text, std::string_view port, CaUrl& url) {
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) {
    bad_url(text, fmt::format("the port \"{}\" is not a number from 1 to 65535", port));
  }
  int value = std::stoi(std::string(port));
  if (value < 1 || value > 65535) bad_url(text, fmt::format("the port {} is outside 1..65535", value));
  url.port = std::to_string(value);
}

void parse_authority(std::string_view text, std::string_view authority, CaUrl& url) {
  if (authority.find('@') != std::string_view::npos) {
    bad_url(text, "credentials in the URL are not supported; put the bearer token in a file and pass --token-file");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url(text, "an IPv6 literal needs a closing ']': https://[::1]:8443");
    url.host = lower(authority.substr(1, close - 1));
    if (!valid_ipv6(url.host)) bad_url(text, fmt::format("\"{}\" is not an IPv6 address", url.host));
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad_url(text, "after ']' only \":port\" may follow: https://[::1]:8443");
      port = rest.substr(1);
      if (port.empty()) bad_url(text, "the port after ':' is missing");
    }
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      bad_url(text, fmt::format("an IPv6 address needs brackets: https://[{}]:8443", authority));
    }
    url.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) bad_url(text, "the port after ':' is missing");
    }
    if (url.host.empty()) bad_url(text, "the host is missing: https://ca.example.com:8443");
    if (!valid_host_name(url.host)) bad_url(text, fmt::format("\"{}\" is not a host name or address", url.host));
  }
  if (!port.empty()) parse_port(text, port, url);
}

}  // namespace

bool CaUrl::host_is_ip() const {
  if (host.find(':') != std::string::npos) return true;
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isdigit(c) || c == '.';
  });
}

std::string CaUrl::origin() const {
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return fmt::format("{}://{}:{}", tls ? "https" : "http", shown, port);
}

std::string CaUrl::host_header() const {
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? shown : shown + ":" + port;
}

CaUrl parse_ca_url(std::string_view input) {
  std::string_view text = trim(input);
  if (text.empty()) bad_url(text, "empty; write the CA's address, e.g. https://ca.example.com:8443");
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    bad_url(text, fmt::format("no scheme; write https://{} (plain http://{} needs --allow-insecure-http)", text,
                              text));
  }
  CaUrl url;
  std::string scheme = lower(text.substr(0, scheme_end));
  if (scheme == "https") {
    url.tls = true;
    url.port = "443";
  } else if (scheme == "http") {
    url.tls = false;
    url.port = "80";
  } else {
    bad_url(text, fmt::format("the scheme \"{}\" is not supported; write https://", scheme));
  }
  auto rest = text.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    bad_url(text, "a query or fragment is not allowed; give only https://host[:port][/base]");
  }
  auto slash = rest.find('/');
  parse_authority(text, rest.substr(0, slash), url);
  std::string path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!path.empty() && path.back() == '/') path.pop_back();
  for (std::string_view endpoint : {"/api/devices/register", "/api/health"}) {
    if (path.size() >= endpoint.size() && path.compare(path.size() - endpoint.size(), endpoint.size(),
                                                       endpoint) == 0) {
      bad_url(text, fmt::format("give the CA's base URL, not the endpoint: {}{}", url.origin(),
                                path.substr(0, path.size() - endpoint.size())));
    }
  }
  if (path.find_first_of(" \t\"<>\\") != std::string::npos) bad_url(text, "the path has characters a URL cannot hold");
  url.base_path = path;
  return url;
}

KeySource parse_key_source(std::string_view text) {
  if (text == "station") return KeySource::station;
  if (text == "none") return KeySource::none;
  throw Error(ErrorCode::bad_input,
              fmt::format("--key-source \"{}\": write station (the station makes the key and sends a CSR) or none "
                          "(no CSR, for CAs that make the key or need none)", text),
              "key_source");
}

}  // namespace provision::ca
