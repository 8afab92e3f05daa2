#include "server/tls_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace techmatch::server {
namespace {

constexpr unsigned char kH2[] = {'h', '2'};

// ALPN: "h2" or no connection (gRPC clients offer it; anything else is not
// a gRPC client).
int SelectH2(SSL*, const unsigned char** out, unsigned char* outlen,
             const unsigned char* in, unsigned int inlen, void*) {
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof(kH2) && std::memcmp(in + i + 1, kH2, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// The queued OpenSSL errors as one line, and the queue cleared.
std::string TakeErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof(text));
    absl::StrAppend(&out, out.empty() ? "" : "; ", text);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::FromFiles(
    const std::string& cert_file, const std::string& key_file,
    const std::string& client_ca_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("TLS: ", TakeErrors()));
  }
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, &SelectH2, nullptr);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read the TLS certificate ", cert_file, ": ", TakeErrors()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) !=
      1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read the TLS key ", key_file, ": ", TakeErrors()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("the TLS key ", key_file, " does not match ", cert_file));
  }
  if (!client_ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca_file.c_str());
    if (names == nullptr ||
        SSL_CTX_load_verify_locations(ctx, client_ca_file.c_str(), nullptr) !=
            1) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot read the client CA ", client_ca_file, ": ", TakeErrors()));
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       nullptr);
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(const TlsContext& context, int fd)
    : ssl_(SSL_new(context.get())) {
  if (ssl_ != nullptr) {
    SSL_set_fd(ssl_, fd);
    SSL_set_accept_state(ssl_);
  }
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsSession::Io TlsSession::Result(int ret) {
  const int code = SSL_get_error(ssl_, ret);
  switch (code) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Io::kClosed;
    case SSL_ERROR_SYSCALL: {
      const int saved = errno;
      error_ = TakeErrors();
      if (error_.empty()) {
        if (saved == 0) return Io::kClosed;  // EOF without close_notify
        if (saved == EAGAIN || saved == EINTR) return Io::kWantRead;
        error_ = std::strerror(saved);
      }
      return Io::kFailed;
    }
    default:
      error_ = TakeErrors();
      if (error_.empty()) error_ = absl::StrCat("SSL error ", code);
      return Io::kFailed;
  }
}

TlsSession::Io TlsSession::Handshake() {
  if (ssl_ == nullptr) {
    error_ = "cannot create a TLS session";
    return Io::kFailed;
  }
  if (established_) return Io::kOk;
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_);
  if (ret != 1) return Result(ret);
  established_ = true;
  if (X509* cert = SSL_get1_peer_certificate(ssl_)) {
    // Verified by OpenSSL against the client CA (the handshake fails
    // otherwise); RFC 2253 form, one line.
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio != nullptr &&
        X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                           XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      const long len = BIO_get_mem_data(bio, &data);
      if (len > 0) client_subject_.assign(data, static_cast<size_t>(len));
    }
    BIO_free(bio);
    X509_free(cert);
  }
  return Io::kOk;
}

TlsSession::Io TlsSession::Read(char* p, size_t n, size_t* got) {
  *got = 0;
  ERR_clear_error();
  size_t read = 0;
  const int ret = SSL_read_ex(ssl_, p, n, &read);
  if (ret == 1) {
    *got = read;
    return Io::kOk;
  }
  return Result(ret);
}

TlsSession::Io TlsSession::Write(const char* p, size_t n, size_t* put) {
  *put = 0;
  if (n == 0) return Io::kOk;
  ERR_clear_error();
  size_t written = 0;
  const int ret = SSL_write_ex(ssl_, p, n, &written);
  if (ret == 1) {
    *put = written;
    return Io::kOk;
  }
  return Result(ret);
}

bool TlsSession::pending() const {
  // Decrypted bytes not yet read (SSL_has_pending would also count a
  // partial record, whose rest the socket signals when it comes).
  return ssl_ != nullptr && SSL_pending(ssl_) > 0;
}

void TlsSession::Shutdown() {
  if (ssl_ == nullptr || !established_) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace techmatch::server
