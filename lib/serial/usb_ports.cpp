// USB serial ports from sysfs; see provision/serial/usb_ports.hpp for the layout read. No libudev: the few
// attributes needed are plain files, and reading them under a root path lets tests run on recorded trees.
#include "provision/serial/usb_ports.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <system_error>

#include "provision/error.hpp"

namespace provision::serial {
namespace fs = std::filesystem;

namespace {

// Sources: Silicon Labs AN571 / the Linux cp210x id table; WCH CH340/CH343/CH9102 datasheets and the ch341 /
// cdc_acm drivers; FTDI's TN_100 default PIDs; Espressif's USB-Serial/JTAG (TRM "USB Serial/JTAG Controller",
// esptool's USB_JTAG_SERIAL_PID 0x1001). The DTR/RTS circuit boards (DevKitC, ESP-Prog) use default-reset; the
// native peripheral decodes DTR/RTS itself and needs esptool's USBJTAGSerialReset.
constexpr std::array kBridges{
    UsbBridge{0x10C4, 0xEA60, "cp210x", "CP2102/CP2102N/CP2104", "default-reset"},
    UsbBridge{0x10C4, 0xEA70, "cp210x", "CP2105", "default-reset"},
    UsbBridge{0x1A86, 0x7523, "ch34x", "CH340", "default-reset"},
    UsbBridge{0x1A86, 0x5523, "ch34x", "CH341", "default-reset"},
    UsbBridge{0x1A86, 0x55D3, "ch34x", "CH343", "default-reset"},
    UsbBridge{0x1A86, 0x55D4, "ch34x", "CH9102", "default-reset"},
    UsbBridge{0x0403, 0x6001, "ftdi", "FT232R", "default-reset"},
    UsbBridge{0x0403, 0x6010, "ftdi", "FT2232 (ESP-Prog, WROVER-KIT)", "default-reset"},
    UsbBridge{0x0403, 0x6014, "ftdi", "FT232H", "default-reset"},
    UsbBridge{0x0403, 0x6015, "ftdi", "FT230X/FT231X", "default-reset"},
    UsbBridge{0x303A, 0x1001, "usb-serial-jtag", "ESP32-S3/C3/C6/H2 USB-Serial/JTAG", "usb-reset"},
};

// The first line of a sysfs attribute without its line end; empty when missing or unreadable.
std::string read_attribute(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::optional<std::uint16_t> parse_hex16(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    int digit = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<unsigned>(digit);
  }
  return static_cast<std::uint16_t>(value);
}

// The tty name each link in <root>/dev/serial/<kind> points at ("../../ttyUSB0" -> "ttyUSB0"), by link path.
std::vector<std::pair<std::string, std::string>> stable_links(const fs::path& root, const char* kind) {
  std::vector<std::pair<std::string, std::string>> links;
  std::error_code ec;
  const fs::path folder = root / "dev/serial" / kind;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_ec;
    fs::path target = fs::read_symlink(it->path(), link_ec);
    if (link_ec) continue;
    links.emplace_back(target.filename().string(), (fs::path("/dev/serial") / kind / it->path().filename()).string());
  }
  std::sort(links.begin(), links.end());
  return links;
}

std::string link_for(const std::vector<std::pair<std::string, std::string>>& links, const std::string& name) {
  for (const auto& [tty, link] : links) {
    if (tty == name) return link;
  }
  return {};
}

// Walks up from the tty's device to the USB interface (bInterfaceNumber) and the USB device (idVendor).
std::optional<UsbSerialPort> read_port(const fs::path& class_entry) {
  std::error_code ec;
  fs::path device = fs::canonical(class_entry / "device", ec);
  if (ec) return std::nullopt;  // a virtual tty (console, pty) has no device
  UsbSerialPort port;
  port.driver = fs::read_symlink(device / "driver", ec).filename().string();
  if (ec) port.driver.clear();
  fs::path usb_device;
  // Up to /sys/devices at most: the walk never leaves the device tree (nor a recorded tree's root).
  for (fs::path at = device; at.has_relative_path() && at.filename() != "devices"; at = at.parent_path()) {
    if (port.interface_number < 0 && fs::exists(at / "bInterfaceNumber", ec)) {
      auto number = parse_hex16(read_attribute(at / "bInterfaceNumber"));
      port.interface_number = number ? *number : -1;
      if (port.driver.empty()) port.driver = fs::read_symlink(at / "driver", ec).filename().string();
    }
    if (fs::exists(at / "idVendor", ec)) {
      usb_device = at;
      break;
    }
  }
  if (usb_device.empty()) return std::nullopt;  // not on USB (an on-board UART, a PCI card)
  auto vid = parse_hex16(read_attribute(usb_device / "idVendor"));
  auto pid = parse_hex16(read_attribute(usb_device / "idProduct"));
  if (!vid || !pid) return std::nullopt;
  port.vid = *vid;
  port.pid = *pid;
  port.manufacturer = read_attribute(usb_device / "manufacturer");
  port.product = read_attribute(usb_device / "product");
  port.serial = read_attribute(usb_device / "serial");
  port.location = usb_device.filename().string();
  const UsbBridge* bridge = find_usb_bridge(port.vid, port.pid);
  port.bridge = bridge ? std::string(bridge->kind) : "unknown";
  port.reset = bridge ? std::string(bridge->reset) : "default-reset";
  return port;
}

}  // namespace

const UsbBridge* find_usb_bridge(std::uint16_t vid, std::uint16_t pid) {
  for (const auto& bridge : kBridges) {
    if (bridge.vid == vid && bridge.pid == pid) return &bridge;
  }
  return nullptr;
}

std::vector<UsbSerialPort> list_usb_serial_ports(const fs::path& root) {
  std::vector<UsbSerialPort> ports;
  const auto by_id = stable_links(root, "by-id");
  const auto by_path = stable_links(root, "by-path");
  std::error_code ec;
  for (fs::directory_iterator it(root / "sys/class/tty", ec), end; !ec && it != end; it.increment(ec)) {
    auto port = read_port(it->path());
    if (!port) continue;
    const std::string name = it->path().filename().string();
    port->path = "/dev/" + name;
    port->by_id = link_for(by_id, name);
    port->by_path = link_for(by_path, name);
    ports.push_back(std::move(*port));
  }
  std::sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return ports;
}

std::optional<UsbSerialPort> find_usb_serial_port(const std::string& given, const fs::path& root) {
  std::string path = given;
  const std::string root_text = root.string();
  if (root_text != "/" && !root_text.empty() && path.rfind(root_text, 0) == 0) {
    path = "/" + fs::path(path.substr(root_text.size())).relative_path().string();  // host_path() undone
  }
  if (path.rfind("/dev/", 0) != 0) return std::nullopt;
  for (auto& port : list_usb_serial_ports(root)) {
    if (port.path == path || port.by_id == path || port.by_path == path) return port;
  }
  // Another link to the port (a udev rule's own name): compare what it resolves to, within the root.
  std::error_code ec;
  fs::path resolved = fs::canonical(root / fs::path(path).relative_path(), ec);
  if (ec) return std::nullopt;
  for (auto& port : list_usb_serial_ports(root)) {
    if (resolved.filename() == fs::path(port.path).filename()) return port;
  }
  return std::nullopt;
}

std::string host_path(const UsbSerialPort& port, const fs::path& root) {
  if (root.empty() || root == "/") return port.path;
  return (root / fs::path(port.path).relative_path()).string();
}

Record port_fields(const UsbSerialPort& port) {
  Record record = Record::object();
  record["path"] = port.path;
  record["by_id"] = port.by_id;
  record["by_path"] = port.by_path;
  record["vid"] = fmt::format("{:04x}", port.vid);
  record["pid"] = fmt::format("{:04x}", port.pid);
  record["vid_pid"] = fmt::format("{:04x}:{:04x}", port.vid, port.pid);
  record["manufacturer"] = port.manufacturer;
  record["product"] = port.product;
  record["serial"] = port.serial;
  record["location"] = port.location;
  record["interface"] = port.interface_number;
  record["driver"] = port.driver;
  record["bridge"] = port.bridge;
  record["reset"] = port.reset;
  return record;
}

bool UsbPortFilter::matches(const UsbSerialPort& port) const {
  if (vid && port.vid != *vid) return false;
  if (pid && port.pid != *pid) return false;
  if (!serial.empty() && port.serial != serial) return false;
  if (!location.empty()) {
    if (port.location.rfind(location, 0) != 0) return false;
    // whole components: "1-2" matches "1-2" and "1-2.3", not "1-21"
    if (port.location.size() > location.size() && port.location[location.size()] != '.') return false;
  }
  return true;
}

void parse_vid_pid(std::string_view text, UsbPortFilter& filter) {
  std::size_t colon = text.find(':');
  auto vid = parse_hex16(text.substr(0, colon));
  std::optional<std::uint16_t> pid;
  bool pid_ok = true;
  if (colon != std::string_view::npos && colon + 1 < text.size()) {
    pid = parse_hex16(text.substr(colon + 1));
    pid_ok = pid.has_value();
  }
  if (!vid || colon == std::string_view::npos || !pid_ok) {
    throw Error(ErrorCode::bad_input,
                fmt::format("--usb-vid-pid '{}' is not VID:PID; give four hex digits each, e.g. 10c4:ea60 "
                            "(or 303a: for any product of a vendor)",
                            text),
                "usb-vid-pid");
  }
  filter.vid = vid;
  filter.pid = pid;
}

}  // namespace provision::serial
