// The CA folder: keys, certificates and registry made by `espprov-ca init`, read by serve, list and export.
#include <fmt/format.h>

#include "ca_server.hpp"
#include "provision/files.hpp"
#include "registry.hpp"

namespace provision::ca {

Record init_ca_dir(const std::filesystem::path& dir, KeyType key_type, const std::string& host,
                   const std::string& db) {
  CaFiles files{dir};
  const auto location = server::registry_location(db, dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::io, fmt::format("cannot create {}: {}", dir.string(), ec.message()), "dir");
  if (std::filesystem::exists(files.ca_key())) {
    throw Error(ErrorCode::io,
                fmt::format("{} already holds a CA ({}); use another folder, or remove it to start over (every "
                            "certificate it issued would then be orphaned)",
                            dir.string(), files.ca_key().string()),
                "dir");
  }
  const auto now = std::chrono::system_clock::now();
  Pkey ca_key = generate_key(key_type);
  // A random suffix keeps two test CAs apart in a trust store (same name, different keys confuse tools).
  Cert ca_cert = make_ca_certificate(ca_key.get(), "espprov reference CA " + random_hex(4), now);
  Pkey server_key = generate_key(KeyType::ec_p256);
  CaIdentity ca{std::move(ca_key), std::move(ca_cert)};
  Cert server_cert = issue_server_certificate(ca, server_key.get(), host, now);
  write_file_atomic(files.ca_key(), private_key_pem(ca.key.get()), FileMode::secret);
  write_file_atomic(files.server_key(), private_key_pem(server_key.get()), FileMode::secret);
  write_file_atomic(files.ca_cert(), certificate_pem(ca.cert.get()));
  // The chain a TLS client needs: the server certificate, then the CA that signed it.
  write_file_atomic(files.server_cert(), certificate_pem(server_cert.get()) + certificate_pem(ca.cert.get()));
  server::open_registry(location).reset();  // creates (or migrates) the schema
  Record out = Record::object();
  out["dir"] = dir.string();
  out["ca_cert"] = files.ca_cert().string();
  out["server_cert"] = files.server_cert().string();
  out["key_type"] = key_type == KeyType::rsa_2048 ? "rsa" : "ec";
  out["host"] = host;
  out["registry"] = location.describe();
  return out;
}

CaIdentity load_ca(const CaFiles& files) {
  for (const auto& path : {files.ca_key(), files.ca_cert()}) {
    if (!std::filesystem::exists(path)) {
      throw Error(ErrorCode::io,
                  fmt::format("{} is missing; run espprov-ca init {} first", path.string(), files.dir.string()), "dir");
    }
  }
  CaIdentity ca;
  ca.key = parse_private_key(read_file_text(files.ca_key()), "ca.key");
  ca.cert = parse_certificate(read_file_text(files.ca_cert()), "ca.pem");
  return ca;
}

std::vector<Record> list_registry(const std::filesystem::path& dir, const std::string& db) {
  if (dir.empty() && db.empty()) throw Error(ErrorCode::usage, "give --dir CA_FOLDER or --db DATABASE", "dir");
  std::vector<Record> out;
  for (const auto& row : server::read_registry(server::registry_location(db, dir))) {
    Record record = Record::object();
    record["uuid"] = row.uuid;
    record["mac"] = row.mac;
    record["chip"] = row.chip;
    record["cert_serial"] = row.serial;
    record["expiry"] = row.expiry;
    record["key_generated_by_ca"] = !row.private_key.empty();
    record["has_pop"] = !row.pop_sha256.empty();
    record["owner"] = row.owner;
    record["device_name"] = row.device_name;
    record["location"] = row.location;
    record["claimed_at"] = row.claimed_at;
    record["created_at"] = row.created_at;
    record["updated_at"] = row.updated_at;
    record["certificate"] = row.certificate;
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace provision::ca
