// TCP sockets on 127.0.0.1 only: the host backend's stand-in for the network between nodes
// (peer replication, calibration). Listeners bind an ephemeral port chosen by the kernel, so
// concurrent tests never collide; every blocking call has a timeout, so a dead peer turns into an
// error instead of a hang.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <utility>

#include "util/units.hpp"

namespace ckptlab::hw {

// A socket call failed, timed out, or a message did not check out.
class LoopbackError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool valid() const { return fd_ >= 0; }
  // Sends every byte, or throws LoopbackError when the peer is gone or no byte could be sent for
  // `timeout`. Thread-safe against a concurrent recv_all on the same socket, not against another
  // send_all.
  void send_all(std::span<const std::byte> bytes, Seconds timeout);
  // Receives exactly bytes.size() bytes, or throws (peer closed early, timeout without progress).
  void recv_all(std::span<std::byte> bytes, Seconds timeout);
  // Shuts both directions down: a peer blocked in send or recv on the other end fails at once.
  void shutdown();

 private:
  int fd_ = -1;
};

// Listens on 127.0.0.1, port chosen by the kernel.
class Listener {
 public:
  Listener();
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  std::uint16_t port() const { return port_; }
  // Accepts one connection or throws LoopbackError after `timeout`.
  Socket accept(Seconds timeout);

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Connects to 127.0.0.1:`port` (TCP_NODELAY, large buffers). Throws LoopbackError on failure.
Socket connect_loopback(std::uint16_t port, Seconds timeout);
// Two connected sockets through a fresh listener: (connecting end, accepted end).
std::pair<Socket, Socket> loopback_pair(Seconds timeout);

// A framed, checksummed message: header (magic, version, rank, payload bytes), the payload in
// chunks, and a trailer with the XXH3-64 of the payload, hashed while it streams.
struct MessageHeader {
  std::int64_t version = 0;
  std::int32_t rank = 0;
  std::uint64_t bytes = 0;
};
void send_message(Socket& s, const MessageHeader& header, std::span<const std::byte> payload,
                  Seconds timeout);
// Receives a message into `payload`. Throws LoopbackError when the header is not a ckptlab
// message, when its size differs from payload.size(), or when the checksum does not match (the
// payload is then partly written: the caller must not use it).
MessageHeader recv_message(Socket& s, std::span<std::byte> payload, Seconds timeout);

}  // namespace ckptlab::hw
