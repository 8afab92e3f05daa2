// Server-side TLS for the H2Guard: OpenSSL over the guard's non-blocking
// client sockets, so that a TLS port gets the same HTTP/2 frame guard as a
// plaintext one (gRPC then serves the decrypted stream over a socketpair).
//
// TlsContext holds the certificate, key and client CA of a port: TLS 1.2
// or later, ALPN "h2" required (gRPC speaks nothing else), no session
// tickets and no renegotiation (a handshake is all the TLS work a
// connection does besides records, so no read ever has to write), and with
// a client CA, mutual TLS: a client without a certificate the CA signed
// fails the handshake. TlsSession is one connection's state.
#ifndef TECHMATCH_SERVER_TLS_SESSION_H_
#define TECHMATCH_SERVER_TLS_SESSION_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace techmatch::server {

class TlsContext {
 public:
  // Reads PEM files. FAILED_PRECONDITION naming the file when one cannot be
  // read or the key does not match the certificate. `client_ca_file` empty:
  // no client certificates are asked for.
  static absl::StatusOr<std::unique_ptr<TlsContext>> FromFiles(
      const std::string& cert_file, const std::string& key_file,
      const std::string& client_ca_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// One server-side TLS connection over a non-blocking socket it does not
// own. Not thread-safe (the guard's event loop only).
class TlsSession {
 public:
  // What an operation needs before it can go on.
  enum class Io {
    kOk,         // done (or some bytes moved)
    kWantRead,   // wait until the socket is readable, then call again
    kWantWrite,  // wait until the socket is writable, then call again
    kClosed,     // the peer closed the connection (close_notify or EOF)
    kFailed,     // a TLS or socket error: close the connection
  };

  TlsSession(const TlsContext& context, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Advances the handshake; kOk once it is complete.
  Io Handshake();
  bool established() const { return established_; }
  // Reads up to `n` bytes of plaintext into `p`, *got of them (kOk).
  Io Read(char* p, size_t n, size_t* got);
  // Writes up to `n` bytes of `p`, *put of them (kOk). After kWantWrite the
  // next call must pass the same bytes again (more may follow them).
  Io Write(const char* p, size_t n, size_t* put);
  // Whether decrypted bytes wait inside the session: the socket may not
  // wake the event loop for them.
  bool pending() const;
  // Sends close_notify, best effort (never blocks).
  void Shutdown();

  // The subject of the client's verified certificate ("CN=dong-nai-portal")
  // once established under mutual TLS; empty otherwise.
  const std::string& client_subject() const { return client_subject_; }
  // Why the last kFailed happened, for the log.
  const std::string& error() const { return error_; }

 private:
  Io Result(int ret);

  SSL* ssl_;
  bool established_ = false;
  std::string client_subject_;
  std::string error_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_TLS_SESSION_H_
