#pragma once
// Server Name Indication for an OpenSSL client connection (internal to fleet_client).
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <string>

namespace fleet::detail {

// Same as OpenSSL's SSL_set_tlsext_host_name macro, written without its C-style cast (-Wold-style-cast).
inline bool set_sni(SSL* ssl, const std::string& host) {
  return SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  static_cast<void*>(const_cast<char*>(host.c_str()))) == 1;
}

}  // namespace fleet::detail
