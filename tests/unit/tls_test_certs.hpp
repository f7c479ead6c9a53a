#pragma once
// A throwaway PKI for TLS tests (unit_net, unit_client): a CA and server certificates generated at test
// time with OpenSSL 3 (EC P-256, SHA-256), written as PEM into a private temporary directory that the
// destructor removes. Generating them per run means nothing secret is checked in and nothing expires.
// Failures throw std::runtime_error: a test that cannot build its certificates must not pass.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace fleet::test {

class TestPki {
 public:
  struct Names {
    std::vector<std::string> dns;  // subjectAltName DNS entries, e.g. "localhost"
    std::vector<std::string> ips;  // subjectAltName IP entries, e.g. "127.0.0.1"
  };
  struct Leaf {
    std::string cert_file;  // PEM: the certificate
    std::string key_file;   // PEM: its private key (unencrypted)
  };

  TestPki();  // creates the directory and the CA
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // The CA certificate (PEM): what a client is told to trust.
  const std::string& ca_file() const noexcept { return ca_file_; }
  const std::filesystem::path& dir() const noexcept { return dir_; }

  // A server certificate (serverAuth) for `names`, signed by the CA. `label` names the files and the CN.
  Leaf issue(const std::string& label, const Names& names);
  // A self-signed server certificate for `names`: the right names, but an issuer nobody trusts.
  Leaf self_signed(const std::string& label, const Names& names);

 private:
  struct Ca;
  std::filesystem::path dir_;
  std::string ca_file_;
  std::unique_ptr<Ca> ca_;
  long serial_ = 1;
};

// The names every test server answers to: DNS:localhost and IP:127.0.0.1.
TestPki::Names loopback_names();

}  // namespace fleet::test
