// PipeFrom: a producer thread, a bounded queue of written pieces, a reader.
#include "util/pipe.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace jfsbr {
namespace {

struct Channel {
  std::mutex mu;
  std::condition_variable changed;
  std::deque<std::string> pieces;
  size_t held = 0, limit = 0;
  bool done = false;       // the producer returned
  bool abandoned = false;  // the reader went away
  Status result;
};

class PipeSink : public Sink {
 public:
  explicit PipeSink(Channel* c) : c_(c) {}
  Status Write(std::string_view data) override {
    if (data.empty()) return Status::OK();
    std::unique_lock<std::mutex> l(c_->mu);
    c_->changed.wait(l, [&] { return c_->abandoned || c_->held < c_->limit; });
    if (c_->abandoned) return Status::IOError("the reader of the stream stopped");
    c_->pieces.emplace_back(data);
    c_->held += data.size();
    c_->changed.notify_all();
    return Status::OK();
  }
  Status Close() override { return Status::OK(); }

 private:
  Channel* c_;
};

class PipeSource : public Source {
 public:
  explicit PipeSource(std::function<Status(Sink*)> producer, size_t limit) {
    c_.limit = limit;
    thread_ = std::thread([this, producer = std::move(producer)] {
      PipeSink sink(&c_);
      Status st = producer(&sink);
      std::lock_guard<std::mutex> l(c_.mu);
      c_.result = st;
      c_.done = true;
      c_.changed.notify_all();
    });
  }
  ~PipeSource() override {
    {
      std::lock_guard<std::mutex> l(c_.mu);
      c_.abandoned = true;
      c_.changed.notify_all();
    }
    thread_.join();
  }
  Result<size_t> Read(char* buf, size_t n) override {
    std::unique_lock<std::mutex> l(c_.mu);
    c_.changed.wait(l, [&] { return c_.done || !c_.pieces.empty(); });
    if (c_.pieces.empty()) {
      if (!c_.result.ok()) return c_.result;
      return size_t{0};
    }
    std::string& front = c_.pieces.front();
    size_t k = std::min(n, front.size() - offset_);
    memcpy(buf, front.data() + offset_, k);
    offset_ += k;
    if (offset_ == front.size()) {
      c_.held -= front.size();
      c_.pieces.pop_front();
      offset_ = 0;
      c_.changed.notify_all();
    }
    return k;
  }

 private:
  Channel c_;
  size_t offset_ = 0;  // into pieces.front()
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Source> PipeFrom(std::function<Status(Sink*)> producer, size_t buffer_bytes) {
  return std::make_unique<PipeSource>(std::move(producer), buffer_bytes);
}

}  // namespace jfsbr
