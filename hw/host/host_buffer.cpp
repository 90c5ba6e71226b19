#include "hw/host/host_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace ckptlab::hw {

HostBuffer::HostBuffer(std::size_t bytes, bool lock) : size_(bytes) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  capacity_ = std::max<std::size_t>(page, (bytes + page - 1) / page * page);
  data_ = static_cast<std::byte*>(std::aligned_alloc(page, capacity_));
  if (!data_) throw std::bad_alloc();
  std::memset(data_, 0, capacity_);  // fault every page in now, not during a timed copy
  if (lock) locked_ = ::mlock(data_, capacity_) == 0;
}

HostBuffer::~HostBuffer() { release(); }

HostBuffer::HostBuffer(HostBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      locked_(std::exchange(other.locked_, false)) {}

HostBuffer& HostBuffer::operator=(HostBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    locked_ = std::exchange(other.locked_, false);
  }
  return *this;
}

void HostBuffer::release() {
  if (!data_) return;
  if (locked_) ::munlock(data_, capacity_);
  std::free(data_);
  data_ = nullptr;
}

}  // namespace ckptlab::hw
