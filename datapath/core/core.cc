// datapath/core/core.cc — publishing versions and freeing them after a grace period.
//
// Order matters: the new pointer is stored (release) before the token is taken, so a
// thread reporting a state at or after that token has finished every access that could
// have loaded the old pointer.
#include "core/core.h"

#include <chrono>
#include <thread>

namespace loom {

Core::Core(const CoreConfig& cfg) : ct_(cfg.ct), neigh_(cfg.neigh_capacity) {
  owned_ = Pipeline::empty();
  current_.store(owned_.get(), std::memory_order_release);
}

Core::~Core() = default;  // forwarding threads must be stopped by now

std::shared_ptr<const Pipeline> Core::apply(const Batch& batch, BuildError& err) {
  std::lock_guard<std::mutex> g(mu_);
  auto next = build_pipeline(*owned_, batch, err);
  if (!next) return nullptr;
  current_.store(next.get(), std::memory_order_release);
  retired_.push_back(Retired{qsbr_.start(), std::move(owned_)});
  owned_ = next;
  while (!retired_.empty() && qsbr_.check(retired_.front().token)) retired_.pop_front();
  return next;
}

std::shared_ptr<const Pipeline> Core::snapshot() const {
  std::lock_guard<std::mutex> g(mu_);
  return owned_;
}

size_t Core::reclaim() {
  std::lock_guard<std::mutex> g(mu_);
  // Tokens grow along the deque, so the first one still waiting stops the scan.
  while (!retired_.empty() && qsbr_.check(retired_.front().token)) retired_.pop_front();
  return retired_.size();
}

bool Core::synchronize(uint32_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (reclaim() == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace loom
