// USB serial ports read from a recorded sysfs tree (tests/data/sysfs/bench, see its README) and from this machine.
#include "provision/serial/usb_ports.hpp"

#include <catch2/catch.hpp>

#include "provision/error.hpp"
#include "support/process.hpp"

namespace usb_ports_test {

using namespace provision::serial;

namespace {

const std::filesystem::path& bench() {
  static const auto root = test_support::source_path("tests/data/sysfs/bench");
  return root;
}

const UsbSerialPort& port_named(const std::vector<UsbSerialPort>& ports, const std::string& path) {
  for (const auto& port : ports) {
    if (port.path == path) return port;
  }
  FAIL("no port " << path);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("the recorded bench lists its six USB serial ports, sorted, and skips the UART and the console",
          "[ports][unit]") {
  auto ports = list_usb_serial_ports(bench());
  std::vector<std::string> paths;
  for (const auto& port : ports) paths.push_back(port.path);
  CHECK(paths == std::vector<std::string>{"/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyUSB0", "/dev/ttyUSB1",
                                          "/dev/ttyUSB2", "/dev/ttyUSB3"});
}

TEST_CASE("a CP2102N reports its descriptors, stable names, location and the classic reset", "[ports][unit]") {
  auto ports = list_usb_serial_ports(bench());
  const auto& cp = port_named(ports, "/dev/ttyUSB0");
  CHECK(cp.vid == 0x10C4);
  CHECK(cp.pid == 0xEA60);
  CHECK(cp.manufacturer == "Silicon Labs");
  CHECK(cp.product == "CP2102N USB to UART Bridge Controller");
  CHECK(cp.serial == "a4c1385b2a5aec118b3e2fbc1b6b3a9e");
  CHECK(cp.location == "1-1");
  CHECK(cp.interface_number == 0);
  CHECK(cp.driver == "cp210x");
  CHECK(cp.bridge == "cp210x");
  CHECK(cp.reset == "default-reset");
  CHECK(cp.by_id ==
        "/dev/serial/by-id/usb-Silicon_Labs_CP2102N_USB_to_UART_Bridge_Controller_a4c1385b2a5aec118b3e2fbc1b6b3a9e-"
        "if00-port0");
  CHECK(cp.by_path == "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0");
  auto fields = port_fields(cp);
  CHECK(fields["vid_pid"] == "10c4:ea60");
  CHECK(fields["vid"] == "10c4");
  CHECK(fields["bridge"] == "cp210x");
  CHECK(fields["location"] == "1-1");
}

TEST_CASE("a CH340 without manufacturer and serial strings leaves them empty", "[ports][unit]") {
  auto ports = list_usb_serial_ports(bench());
  const auto& ch = port_named(ports, "/dev/ttyUSB1");
  CHECK(ch.vid == 0x1A86);
  CHECK(ch.pid == 0x7523);
  CHECK(ch.manufacturer.empty());
  CHECK(ch.serial.empty());
  CHECK(ch.product == "USB2.0-Serial");
  CHECK(ch.bridge == "ch34x");
  CHECK(ch.driver == "ch341");
  CHECK(ch.by_id == "/dev/serial/by-id/usb-1a86_USB2.0-Serial-if00-port0");
}

TEST_CASE("FTDI adapters behind a hub have bus-port locations below the hub's", "[ports][unit]") {
  auto ports = list_usb_serial_ports(bench());
  const auto& r = port_named(ports, "/dev/ttyUSB2");
  const auto& x = port_named(ports, "/dev/ttyUSB3");
  CHECK(r.location == "1-3.1");
  CHECK(x.location == "1-3.2");
  CHECK(r.pid == 0x6001);
  CHECK(x.pid == 0x6015);
  CHECK(r.bridge == "ftdi");
  CHECK(x.bridge == "ftdi");
  CHECK(r.serial == "A50285BI");
  CHECK(x.by_path == "/dev/serial/by-path/pci-0000:00:14.0-usb-0:3.2:1.0-port0");
}

TEST_CASE("the Espressif USB-Serial/JTAG (cdc_acm) implies usb-reset, an unknown device default-reset",
          "[ports][unit]") {
  auto ports = list_usb_serial_ports(bench());
  const auto& jtag = port_named(ports, "/dev/ttyACM0");
  CHECK(jtag.vid == 0x303A);
  CHECK(jtag.pid == 0x1001);
  CHECK(jtag.driver == "cdc_acm");
  CHECK(jtag.interface_number == 0);
  CHECK(jtag.bridge == "usb-serial-jtag");
  CHECK(jtag.reset == "usb-reset");
  CHECK(jtag.serial == "F4:12:FA:5B:9C:10");
  CHECK(jtag.esp_bridge());
  const auto& gnss = port_named(ports, "/dev/ttyACM1");
  CHECK(gnss.bridge == "unknown");
  CHECK(gnss.reset == "default-reset");
  CHECK_FALSE(gnss.esp_bridge());
  CHECK(gnss.by_id == "/dev/serial/by-id/usb-u-blox_AG_-_www.u-blox.com_u-blox_GNSS_receiver-if00");
}

TEST_CASE("a port is found by its path or either stable name", "[ports][unit]") {
  auto by_path = find_usb_serial_port("/dev/ttyACM0", bench());
  auto by_id = find_usb_serial_port("/dev/serial/by-id/usb-Espressif_USB_JTAG_serial_debug_unit_F4:12:FA:5B:9C:10-if00",
                                    bench());
  auto by_location = find_usb_serial_port("/dev/serial/by-path/pci-0000:00:14.0-usb-0:4:1.0", bench());
  REQUIRE(by_path);
  REQUIRE(by_id);
  REQUIRE(by_location);
  CHECK(by_id->path == "/dev/ttyACM0");
  CHECK(by_location->path == "/dev/ttyACM0");
  CHECK(find_usb_serial_port(host_path(*by_path, bench()), bench())->path == "/dev/ttyACM0");
  CHECK_FALSE(find_usb_serial_port("/dev/ttyS0", bench()));
  CHECK_FALSE(find_usb_serial_port("/dev/pts/3", bench()));
  CHECK_FALSE(find_usb_serial_port("socket://127.0.0.1:4000", bench()));
}

TEST_CASE("filters select by VID:PID, vendor, serial and location subtree", "[ports][unit]") {
  auto ports = list_usb_serial_ports(bench());
  auto select = [&](const UsbPortFilter& filter) {
    std::vector<std::string> out;
    for (const auto& port : ports) {
      if (filter.matches(port)) out.push_back(port.path);
    }
    return out;
  };
  UsbPortFilter ftdi;
  parse_vid_pid("0403:6015", ftdi);
  CHECK(select(ftdi) == std::vector<std::string>{"/dev/ttyUSB3"});
  UsbPortFilter vendor;
  parse_vid_pid("0403:", vendor);
  CHECK(select(vendor) == std::vector<std::string>{"/dev/ttyUSB2", "/dev/ttyUSB3"});
  UsbPortFilter hub;
  hub.location = "1-3";
  CHECK(select(hub) == std::vector<std::string>{"/dev/ttyUSB2", "/dev/ttyUSB3"});
  UsbPortFilter one;
  one.location = "1-3.1";
  CHECK(select(one) == std::vector<std::string>{"/dev/ttyUSB2"});
  UsbPortFilter partial;
  partial.location = "1-";  // not a whole component
  CHECK(select(partial).empty());
  UsbPortFilter serial;
  serial.serial = "A50285BI";
  CHECK(select(serial) == std::vector<std::string>{"/dev/ttyUSB2"});
  CHECK(select(UsbPortFilter{}).size() == 6);
}

TEST_CASE("a malformed --usb-vid-pid is refused naming the value", "[ports][unit]") {
  for (const char* text : {"10c4", "10c4-ea60", "xyz:ea60", "10c4:ea600", ":ea60", ""}) {
    UsbPortFilter filter;
    try {
      parse_vid_pid(text, filter);
      FAIL("accepted " << text);
    } catch (const provision::Error& e) {
      CHECK(e.field() == "usb-vid-pid");
      CHECK_THAT(e.what(), Catch::Contains(std::string("'") + text + "'"));
    }
  }
}

TEST_CASE("a root without sysfs gives an empty list", "[ports][unit]") {
  test_support::TempDir empty;
  CHECK(list_usb_serial_ports(empty.path()).empty());
  CHECK(list_usb_serial_ports(empty / "missing").empty());
}

TEST_CASE("this machine's own sysfs lists only USB ports with a USB identity", "[ports][unit]") {
  // Whatever this machine has (often nothing): every listed port is a USB device with its identity read.
  for (const auto& port : list_usb_serial_ports("/")) {
    CHECK(port.path.rfind("/dev/", 0) == 0);
    CHECK_FALSE(port.location.empty());
    CHECK((port.vid != 0 || port.pid != 0));
  }
}

}  // namespace usb_ports_test
