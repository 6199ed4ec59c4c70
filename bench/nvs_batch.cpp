// nvs-batch images per second, end to end: `espprov nvs-batch` on 20,000 credential rows (uuid, psk, mac, a
// ~700-byte certificate, the shared ~1200-byte CA certificate, WiFi settings) into 0x6000-byte images, manifests
// included, durable at the end. Side by side, when $ESPPROV_NVS_REFERENCE names Espressif's nvs_partition_gen.py:
// the same rows through that generator in one Python process (bench/nvs_batch_reference.py). Target: >= 10x the
// reference.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <unistd.h>

namespace {

constexpr int kDevices = 20000;
const std::filesystem::path kBin = ESPPROV_BIN_DIR;
const std::filesystem::path kSource = ESPPROV_SOURCE_DIR;

std::string random_base64(std::mt19937_64& random, std::size_t characters) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < characters; ++i) out.push_back(kAlphabet[random() % 64]);
  return out;
}

void write_inputs(const std::filesystem::path& dir) {
  std::mt19937_64 random(42);
  std::ofstream definitions(dir / "keys.csv");
  definitions << "key,type,encoding,value\nprovision,namespace,,\nuuid,data,string,\npsk,data,string,\n"
                 "mac,data,string,\ncertificate,data,string,\nca_cert,data,string,"
              << random_base64(random, 1200) << "\nwifi_ssid,data,string,Factory-Line-3\nwifi_password,data,string,\n";
  std::ofstream values(dir / "devices.csv");
  values << "id,uuid,psk,mac,certificate,wifi_password\n";
  for (int i = 0; i < kDevices; ++i) {
    values << fmt::format("d{:05},{:08x}-{:04x}-4{:03x}-{:04x}-{:012x},{:016x}{:016x}{:016x}{:016x},"
                          "A0:B1:C2:{:02X}:{:02X}:{:02X},{},pw-{:012x}\n",
                          i, random() & 0xFFFFFFFF, random() & 0xFFFF, random() & 0xFFF, random() & 0xFFFF,
                          random() & 0xFFFFFFFFFFFF, random(), random(), random(), random(), (i >> 16) & 0xFF,
                          (i >> 8) & 0xFF, i & 0xFF, random_base64(random, 700), random() & 0xFFFFFFFFFFFF);
  }
}

double seconds_of(const std::string& command) {
  const auto start = std::chrono::steady_clock::now();
  if (std::system(command.c_str()) != 0) {
    fmt::print(stderr, "nvs_batch: failed: {}\n", command);
    std::exit(1);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("espprov-bench-nvs-batch-{}", ::getpid());
  std::filesystem::create_directories(dir);
  write_inputs(dir);
  const double ours = seconds_of(fmt::format(
      "'{}' nvs-batch --definitions '{}' --values '{}' --id-column id --outdir '{}' --size 0x6000 > /dev/null",
      (kBin / "espprov").string(), (dir / "keys.csv").string(), (dir / "devices.csv").string(),
      (dir / "out").string()));
  fmt::print("nvs_batch espprov  : {} images of 0x6000 bytes + manifests in {:.3f} s = {:.0f} images/s "
             "(process start, CSV parsing, files, one sync at the end)\n",
             kDevices, ours, kDevices / ours);
  const char* reference = std::getenv("ESPPROV_NVS_REFERENCE");
  if (reference == nullptr || !std::filesystem::exists(reference)) {
    fmt::print("nvs_batch reference: not measured (set ESPPROV_NVS_REFERENCE to Espressif's nvs_partition_gen.py, "
               "ESP-IDF <= v5.1, to run it side by side)\n");
  } else {
    const auto out = dir / "reference.txt";
    seconds_of(fmt::format("python3 '{}' '{}' '{}' '{}' '{}' 0x6000 > '{}'",
                           (kSource / "bench" / "nvs_batch_reference.py").string(), reference,
                           (dir / "keys.csv").string(), (dir / "devices.csv").string(), (dir / "ref").string(),
                           out.string()));
    double theirs = 0;
    std::ifstream(out) >> theirs;
    fmt::print("nvs_batch reference: {} images in {:.3f} s = {:.0f} images/s (in-process, generation loop only)\n",
               kDevices, theirs, kDevices / theirs);
    fmt::print("nvs_batch ratio    : {:.1f}x the reference\n", theirs / ours);
  }
  fmt::print("nvs_batch target   : >= 10x the reference in-process\n");
  std::filesystem::remove_all(dir);
  return 0;
}
