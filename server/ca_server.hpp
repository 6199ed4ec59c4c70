// The reference Certificate Authority server (espprov-ca): a CA folder made by init_ca_dir, a registry in SQLite
// and an HTTP(S) server speaking the register contract of docs/ca.md, plus claiming (issue 9).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "provision/ca_crypto.hpp"
#include "provision/record.hpp"

namespace provision::ca {

// The files of a CA folder. Secret ones (keys, registry) are 0600.
struct CaFiles {
  std::filesystem::path dir;
  std::filesystem::path ca_key() const { return dir / "ca.key"; }
  std::filesystem::path ca_cert() const { return dir / "ca.pem"; }
  std::filesystem::path server_key() const { return dir / "server.key"; }
  std::filesystem::path server_cert() const { return dir / "server.pem"; }
  std::filesystem::path registry() const { return dir / "registry.db"; }
};

// Creates DIR (if needed) with a CA key and self-signed certificate, a TLS server certificate for `host` (plus
// localhost, 127.0.0.1 and ::1) and an empty registry. Refuses a folder that already holds a CA key.
// Returns {"dir","ca_cert","server_cert","key_type","host"}.
// `db` ("" = DIR/registry.db, "sqlite:PATH" or "postgresql://...") is where the registry goes; a PostgreSQL
// database gets the schema (or is migrated to the current one) and may already hold devices of this CA.
Record init_ca_dir(const std::filesystem::path& dir, KeyType key_type, const std::string& host,
                   const std::string& db = {});

// Loads the CA key and certificate. Throws Error(io) naming the missing file and saying to run init.
CaIdentity load_ca(const CaFiles& files);

struct ServerOptions {
  std::filesystem::path dir;
  std::string db;  // "" = DIR/registry.db; "sqlite:PATH"; "postgresql://..." (shared by several servers)
  std::string listen_host = "127.0.0.1";
  std::string listen_port = "8443";
  std::string token_file;  // required unless no_auth
  bool no_auth = false;    // anyone who reaches the port may register (the CLI warns)
  bool plain_http = false; // refused unless listening on loopback only
  int validity_days = 825;
  int max_connections = 512;
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds header_timeout{10000};  // a request's headers (and the TLS handshake)
  std::chrono::milliseconds body_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};    // between requests on a kept-alive connection
  int threads = 0;                                  // 0 = one per core
  bool log_requests = false;                        // one line per request on stderr (never a secret)
  int claim_attempts_per_minute = 5;                // failed claims per device before 429
};

// Serves until SIGTERM or SIGINT (then finishes requests in flight, at most a few seconds). Calls `on_listening`
// with {"listening":"https://127.0.0.1:PORT","ca_cert":"DIR/ca.pem"} once the socket accepts connections.
// Returns the process exit status (0 after a signal). Throws Error for a bad folder, token file or address,
// Error(usage) without a token file or no_auth, or for plain HTTP off loopback, and Error(io) when another
// server holds the registry.
int serve(const ServerOptions& options, const std::function<void(const Record&)>& on_listening);

// The registry's devices, oldest first, without secrets (no psk, pop hash or private key).
// `db` as for init_ca_dir.
std::vector<Record> list_registry(const std::filesystem::path& dir, const std::string& db = {});

}  // namespace provision::ca
