#include "tls_test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace fleet::test {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free_all(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;
using Ext = std::unique_ptr<X509_EXTENSION, ExtFree>;

[[noreturn]] void fail(const std::string& what) {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error("test PKI: " + what + ": " + buf);
}

void check(int rc, const char* what) {
  if (rc != 1) fail(what);
}

Pkey new_key() {
  // EVP_PKEY_Q_keygen directly: the EVP_EC_gen convenience macro contains a C-style cast (-Wold-style-cast).
  // P-256 keeps generation fast, which matters under the sanitizers.
  Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!k) fail("EC key generation");
  return k;
}

// Adds one v3 extension from its openssl.cnf-style value; ctx carries issuer and subject for the key ids.
void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  Ext ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) fail("extension " + value);
  check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

std::string san_value(const TestPki::Names& names) {
  std::string v;
  for (const auto& d : names.dns) v += (v.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : names.ips) v += (v.empty() ? "" : ",") + std::string("IP:") + ip;
  return v;
}

// Builds and signs a certificate. issuer == nullptr: self-signed with `key`.
Cert make_cert(const std::string& cn, EVP_PKEY* key, long serial, bool is_ca, const TestPki::Names* names,
               X509* issuer, EVP_PKEY* issuer_key) {
  Cert cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial), "serial");
  // Back-dated by an hour so a slightly skewed clock cannot make the certificate "not yet valid".
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600)) {
    fail("validity");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0),
        "subject CN");
  check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject), "issuer name");
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid");
  if (is_ca) {
    add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
  }
  if (names && (!names->dns.empty() || !names->ips.empty())) {
    add_ext(cert.get(), &ctx, NID_subject_alt_name, san_value(*names));
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) fail("X509_sign");
  return cert;
}

Bio open_for_write(const std::filesystem::path& path) {
  Bio bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) fail("open " + path.string());
  return bio;
}

void write_cert(const std::filesystem::path& path, X509* cert) {
  auto bio = open_for_write(path);
  check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  auto bio = open_for_write(path);
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PrivateKey");
}

}  // namespace

struct TestPki::Ca {
  Pkey key;
  Cert cert;
};

TestPki::TestPki() {
  // mkdtemp: a fresh, private (0700) directory per instance, so parallel test processes never collide.
  std::string tmpl = (std::filesystem::temp_directory_path() / "fleet-tls-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  dir_ = tmpl;
  try {
    ca_ = std::make_unique<Ca>();
    ca_->key = new_key();
    ca_->cert = make_cert("Fleet Live Test CA", ca_->key.get(), serial_++, true, nullptr, nullptr, nullptr);
    ca_file_ = (dir_ / "ca.pem").string();
    write_cert(ca_file_, ca_->cert.get());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

TestPki::Leaf TestPki::issue(const std::string& label, const Names& names) {
  auto key = new_key();
  auto cert = make_cert(label, key.get(), serial_++, false, &names, ca_->cert.get(), ca_->key.get());
  Leaf leaf{(dir_ / (label + ".crt")).string(), (dir_ / (label + ".key")).string()};
  write_cert(leaf.cert_file, cert.get());
  write_key(leaf.key_file, key.get());
  return leaf;
}

TestPki::Leaf TestPki::self_signed(const std::string& label, const Names& names) {
  auto key = new_key();
  auto cert = make_cert(label, key.get(), serial_++, false, &names, nullptr, nullptr);
  Leaf leaf{(dir_ / (label + ".crt")).string(), (dir_ / (label + ".key")).string()};
  write_cert(leaf.cert_file, cert.get());
  write_key(leaf.key_file, key.get());
  return leaf;
}

TestPki::Names loopback_names() { return {{"localhost"}, {"127.0.0.1"}}; }

}  // namespace fleet::test
