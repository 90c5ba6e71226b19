// A page-aligned host buffer whose pages are touched (and locked when the system allows it) at
// allocation: the host analogue of cudaHostAlloc'd pinned memory. Touching up front keeps page
// faults out of timed copies, which is what pinned memory buys a GPU->host copy.
#pragma once

#include <cstddef>
#include <span>

namespace ckptlab::hw {

class HostBuffer {
 public:
  HostBuffer() = default;
  // Allocates `bytes` (rounded up to a page), zero-filled; with `lock`, tries mlock() and
  // records whether it worked (RLIMIT_MEMLOCK is often small: not an error). Throws
  // std::bad_alloc when the allocation fails.
  explicit HostBuffer(std::size_t bytes, bool lock = false);
  ~HostBuffer();
  HostBuffer(HostBuffer&& other) noexcept;
  HostBuffer& operator=(HostBuffer&& other) noexcept;
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool locked() const { return locked_; }
  std::span<std::byte> span() { return {data_, size_}; }
  std::span<const std::byte> span() const { return {data_, size_}; }

 private:
  void release();
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  bool locked_ = false;
};

}  // namespace ckptlab::hw
