// Which serial port is which board: the USB serial ports of this machine, read from sysfs (Linux), with their
// stable names (/dev/serial/by-id, by-path), USB identity and the bridge that implies how to reset the board.
//
// sysfs layout read (Documentation/ABI/stable/sysfs-bus-usb, Documentation/usb/usb-serial): each
// <root>/sys/class/tty/<name> links into /sys/devices; its `device` link is the usb-serial port (ttyUSB*, whose
// parent is the USB interface) or the USB interface itself (ttyACM*, cdc_acm); the interface's parent is the USB
// device, holding idVendor, idProduct, manufacturer, product, serial, busnum, devpath. The USB device's folder
// name is its bus-port location ("1-2.3"). udev's /dev/serial/by-id and by-path links point at ../../<name>.
// `root` is "/" on a station; tests pass a recorded tree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provision/record.hpp"

namespace provision::serial {

// One row per USB serial bridge found on ESP32 boards (vendor datasheets, Linux drivers' id tables, esptool and
// espflash port filters).
struct UsbBridge {
  std::uint16_t vid = 0;
  std::uint16_t pid = 0;
  std::string_view kind;   // "cp210x", "ch34x", "ftdi", "usb-serial-jtag"
  std::string_view chip;   // "CP2102/CP2102N/CP2104", ...
  std::string_view reset;  // the --before it implies: "default-reset" (DTR/RTS circuit) or "usb-reset"
};
// The row for vid:pid, or nullptr (an unknown device: kind "unknown", reset "default-reset").
const UsbBridge* find_usb_bridge(std::uint16_t vid, std::uint16_t pid);

struct UsbSerialPort {
  std::string path;     // /dev/ttyUSB0
  std::string by_id;    // /dev/serial/by-id/... or empty
  std::string by_path;  // /dev/serial/by-path/... or empty
  std::uint16_t vid = 0;
  std::uint16_t pid = 0;
  std::string manufacturer, product, serial;  // as the device reports them (may be empty)
  std::string location;                       // bus-port path of the USB device, "1-2.3"
  int interface_number = -1;                  // bInterfaceNumber (an FT2232 has two ports at one location)
  std::string driver;                         // cp210x, ch341, ftdi_sio, cdc_acm, ...
  std::string bridge;                         // UsbBridge::kind or "unknown"
  std::string reset;                          // UsbBridge::reset or "default-reset"
  bool esp_bridge() const { return bridge != "unknown"; }
};

// The USB serial ports under `root` (ttyUSB*, ttyACM* and any other tty whose device is on USB), sorted by path.
// A machine without USB ports (or without sysfs) gives an empty list. Unreadable attributes are left empty.
std::vector<UsbSerialPort> list_usb_serial_ports(const std::filesystem::path& root = "/");

// The port `path` names (a /dev path or one of its by-id / by-path links), or nullopt when it is not a USB serial
// port under `root` (a pty, a socket:// URL, an unplugged board).
std::optional<UsbSerialPort> find_usb_serial_port(const std::string& path, const std::filesystem::path& root = "/");

// The path to open for `port` listed under `root`: port.path itself on "/", else the same path inside the root
// (a test's tree links <root>/dev/ttyUSB0 to a simulator's pseudo-terminal).
std::string host_path(const UsbSerialPort& port, const std::filesystem::path& root);

// Record fields of a port: path, by_id, by_path, vid, pid ("10c4", four lower-case hex digits), vid_pid
// ("10c4:ea60"), manufacturer, product, serial, location, interface, driver, bridge, reset.
Record port_fields(const UsbSerialPort& port);

// --usb-vid-pid "10c4:ea60" (or "303a:" for any product of a vendor), --usb-serial, --usb-location "1-2.3"
// (a prefix match on whole components: "1-2" matches 1-2 and 1-2.3). Empty fields match everything.
struct UsbPortFilter {
  std::optional<std::uint16_t> vid, pid;
  std::string serial;
  std::string location;
  bool matches(const UsbSerialPort& port) const;
};
// Throws Error(bad_input, "usb-vid-pid") naming the value and the form.
void parse_vid_pid(std::string_view text, UsbPortFilter& filter);

}  // namespace provision::serial
