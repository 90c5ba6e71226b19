#include "hw/host/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>

namespace ckptlab::hw {
namespace {

constexpr std::uint64_t kMagic = 0x4B4C42504B43ull;  // "CKPBLK"
constexpr std::size_t kChunk = std::size_t{1} << 20;

[[noreturn]] void fail(const std::string& what) {
  throw LoopbackError("loopback: " + what + ": " + std::strerror(errno));
}

int timeout_ms(Seconds t) { return static_cast<int>(std::max(1.0, t.value * 1000)); }

// Waits until `fd` is ready for `events`; throws on timeout.
void wait_ready(int fd, short events, Seconds timeout, const char* what) {
  pollfd p{fd, events, 0};
  while (true) {
    const int n = ::poll(&p, 1, timeout_ms(timeout));
    if (n > 0) return;
    if (n == 0) throw LoopbackError(std::string("loopback: ") + what + " timed out");
    if (errno != EINTR) fail(std::string("poll before ") + what);
  }
}

void tune(int fd) {
  const int one = 1;
  const int buffer = 4 << 20;  // large buffers: fewer wake-ups per MiB on loopback
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
}

sockaddr_in loopback_address(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only, never a routable address
  return a;
}

struct Wire {  // little-endian hosts only (checked below); the harness never leaves the host
  std::uint64_t magic;
  std::int64_t version;
  std::int64_t rank;
  std::uint64_t bytes;
};
static_assert(sizeof(Wire) == 32);

}  // namespace

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void Socket::send_all(std::span<const std::byte> bytes, Seconds timeout) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_ready(fd_, POLLOUT, timeout, "send");
      continue;
    }
    fail("send");
  }
}

void Socket::recv_all(std::span<std::byte> bytes, Seconds timeout) {
  while (!bytes.empty()) {
    const ssize_t n = ::recv(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) throw LoopbackError("loopback: peer closed the connection mid-message");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_ready(fd_, POLLIN, timeout, "recv");
      continue;
    }
    fail("recv");
  }
}

void Socket::shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Listener::Listener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail("socket");
  sockaddr_in a = loopback_address(0);  // port 0: the kernel picks a free ephemeral port
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("bind 127.0.0.1:0");
  if (::listen(fd_, 64) != 0) fail("listen");
  socklen_t len = sizeof a;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) fail("getsockname");
  port_ = ntohs(a.sin_port);
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

Socket Listener::accept(Seconds timeout) {
  wait_ready(fd_, POLLIN, timeout, "accept");
  const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) fail("accept");
  tune(fd);
  return Socket(fd);
}

Socket connect_loopback(std::uint16_t port, Seconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fail("socket");
  Socket s(fd);
  tune(fd);
  const sockaddr_in a = loopback_address(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EINPROGRESS) fail("connect 127.0.0.1:" + std::to_string(port));
    wait_ready(fd, POLLOUT, timeout, "connect");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      errno = err;
      fail("connect 127.0.0.1:" + std::to_string(port));
    }
  }
  return s;
}

std::pair<Socket, Socket> loopback_pair(Seconds timeout) {
  Listener listener;
  Socket out = connect_loopback(listener.port(), timeout);
  Socket in = listener.accept(timeout);
  return {std::move(out), std::move(in)};
}

void send_message(Socket& s, const MessageHeader& header, std::span<const std::byte> payload,
                  Seconds timeout) {
  static_assert(std::endian::native == std::endian::little, "the wire format is little-endian");
  const Wire w{kMagic, header.version, header.rank, payload.size()};
  s.send_all(std::as_bytes(std::span(&w, 1)), timeout);
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  try {
    for (std::size_t off = 0; off < payload.size(); off += kChunk) {
      const auto chunk = payload.subspan(off, std::min(kChunk, payload.size() - off));
      XXH3_64bits_update(state, chunk.data(), chunk.size());
      s.send_all(chunk, timeout);
    }
  } catch (...) {
    XXH3_freeState(state);
    throw;
  }
  const std::uint64_t sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  s.send_all(std::as_bytes(std::span(&sum, 1)), timeout);
}

MessageHeader recv_message(Socket& s, std::span<std::byte> payload, Seconds timeout) {
  Wire w{};
  s.recv_all(std::as_writable_bytes(std::span(&w, 1)), timeout);
  if (w.magic != kMagic) throw LoopbackError("loopback: not a ckptlab message (bad magic)");
  if (w.bytes != payload.size()) {
    throw LoopbackError("loopback: message of " + std::to_string(w.bytes) + " bytes, expected " +
                        std::to_string(payload.size()));
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  try {
    for (std::size_t off = 0; off < payload.size(); off += kChunk) {
      const auto chunk = payload.subspan(off, std::min(kChunk, payload.size() - off));
      s.recv_all(chunk, timeout);
      XXH3_64bits_update(state, chunk.data(), chunk.size());
    }
  } catch (...) {
    XXH3_freeState(state);
    throw;
  }
  const std::uint64_t sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  std::uint64_t sent = 0;
  s.recv_all(std::as_writable_bytes(std::span(&sent, 1)), timeout);
  if (sum != sent) throw LoopbackError("loopback: payload checksum mismatch");
  return {w.version, static_cast<std::int32_t>(w.rank), w.bytes};
}

}  // namespace ckptlab::hw
