// What the CLI takes in from outside, over arbitrary bytes: a record on --in, flag values (mac, uuid, psk, port),
// and the record fields the NVS image is built from. Every input ends as a value or a provision::Error, never
// another exception or an abort (nlohmann's type_error 316 on bytes that are not UTF-8 was one), and whatever
// is printed is valid UTF-8 JSON that reads back. An oracle, not just a crash check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "provision/error.hpp"
#include "provision/identity.hpp"
#include "provision/nvs.hpp"
#include "provision/record.hpp"
#include "provision/serial/port_url.hpp"
#include "provision/text.hpp"

namespace {

using provision::Record;

// Prints a record as the CLI does and checks that the text is UTF-8 JSON that parses back.
void print_and_reread(const Record& record) {
  const std::string text = provision::to_json_text(record);
  if (!provision::is_valid_utf8(text)) std::abort();
  if (Record::parse(text, nullptr, false).is_discarded()) std::abort();
}

template <typename F>
void intake(F&& take, Record& record, const char* field) {
  try {
    take();
  } catch (const provision::Error& error) {
    print_and_reread(provision::error_record(error, record));
    return;
  }
  (void)field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Record record = Record::object();
  record["port"] = text;  // a --port value goes into the record as given
  record[text] = true;    // and a record's keys are bytes too
  print_and_reread(record);

  intake([&] { (void)provision::parse_mac(text); }, record, "mac");
  intake([&] { (void)provision::normalize_uuid(text); }, record, "uuid");
  intake([&] { (void)provision::normalize_psk(text); }, record, "psk");
  intake([&] { (void)provision::serial::parse_port_url(text); }, record, "port");
  intake(
      [&] {
        Record in = provision::parse_record(text, "stdin");
        print_and_reread(in);
        // nvs-build --in: every field the image takes is checked as strictly as from a flag.
        (void)provision::nvs::credentials_content(in, "provision");
      },
      record, "in");
  // A record whose fields hold the raw bytes, as a file with non-UTF-8 strings would after a lenient reader.
  Record fields = Record::object();
  for (const char* name : {"uuid", "psk", "mac", "wifi_ssid", "wifi_password"}) fields[name] = text;
  intake([&] { (void)provision::nvs::credentials_content(fields, "provision"); }, fields, "record");
  return 0;
}
