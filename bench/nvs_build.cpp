// Credentials images per second: 10,000 distinct devices (uuid, psk, mac, ~700-byte certificate, ~1200-byte CA
// certificate, WiFi settings) into 0x6000-byte partitions, plain and XTS-AES-256 encrypted, on one core.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "provision/nvs.hpp"
#include "provision/record.hpp"

namespace {

constexpr int kDevices = 10000;
constexpr std::size_t kImageBytes = 0x6000;

std::string random_base64(std::mt19937_64& random, std::size_t characters) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < characters; ++i) {
    out.push_back(kAlphabet[random() % 64]);
    if (i % 64 == 63) out.push_back('\n');
  }
  return out;
}

std::string pem(std::mt19937_64& random, std::size_t body_characters) {
  return "-----BEGIN CERTIFICATE-----\n" + random_base64(random, body_characters) + "\n-----END CERTIFICATE-----\n";
}

std::vector<provision::Record> make_devices() {
  std::mt19937_64 random(42);
  const std::string ca_cert = pem(random, 1130);  // ~1200 bytes, the same CA for every device
  std::vector<provision::Record> devices;
  devices.reserve(kDevices);
  for (int i = 0; i < kDevices; ++i) {
    provision::Record record = provision::Record::object();
    record["uuid"] = fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", random() & 0xFFFFFFFF, random() & 0xFFFF,
                                 random() & 0xFFF, random() & 0xFFFF, random() & 0xFFFFFFFFFFFF);
    record["psk"] = fmt::format("{:016x}{:016x}{:016x}{:016x}", random(), random(), random(), random());
    record["mac"] = fmt::format("A0:B1:C2:{:02X}:{:02X}:{:02X}", (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF);
    record["certificate"] = pem(random, 640);  // ~700 bytes
    record["ca_cert"] = ca_cert;
    record["wifi_ssid"] = "Factory-Line-3";
    record["wifi_password"] = fmt::format("pw-{:012x}", random() & 0xFFFFFFFFFFFF);
    devices.push_back(std::move(record));
  }
  return devices;
}

void run(const char* label, const std::vector<provision::Record>& devices,
         const provision::nvs::CredentialsOptions& options) {
  std::uint64_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& device : devices) {
    const auto image = provision::nvs::build_credentials_image(device, options);
    checksum += image[64 + 32 * 5 + 7] + image.size();  // keeps every build observable
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("nvs_build {:9}: {} images of {:#x} bytes in {:.3f} s = {:.0f} images/s, {:.1f} us/image "
             "(checksum {})\n",
             label, devices.size(), kImageBytes, seconds, devices.size() / seconds, seconds * 1e6 / devices.size(),
             checksum);
}

}  // namespace

int main() {
  const auto devices = make_devices();
  provision::nvs::CredentialsOptions options;
  options.size_bytes = kImageBytes;
  run("plain", devices, options);
  options.keys = provision::nvs::generate_keys();
  run("encrypted", devices, options);
  fmt::print("nvs_build target: >= 10000 images/s plain on one core\n");
  return 0;
}
