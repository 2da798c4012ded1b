// worker/worker_process.h and worker/remote.h against the real cohortwatch-worker (a chart drawn
// there comes back as a PNG that cairo decodes; a worker that left when idle is replaced without
// the caller noticing) and against stand-in workers (shell scripts) that misbehave on purpose:
// one that is missing, one that dies holding a message, one that hangs, one that leaves twice.
#include "worker/worker_process.h"

#include <cairo.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "worker/protocol.h"
#include "worker/remote.h"

namespace cohortwatch::worker {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// Sets an environment variable for one test and puts it back after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class WorkerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-worker-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A stand-in worker: a shell script.
  std::string script(const std::string& name, const std::string& body) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
    return path.string();
  }

  fs::path dir_;
};

reports::Chart twoCohorts() {
  reports::Chart chart;
  chart.kind = reports::ChartKind::kLine;
  chart.title = "Proven reoffending by cohort";
  chart.x_label = "Cohort";
  chart.y_label = "Proven reoffending";
  chart.y_unit = "%";
  chart.categories = {"2024Q4", "2025Q1"};
  reports::ChartSeries series;
  series.name = "This YOT";
  series.points = {reports::ChartPoint{31.0, false}, reports::ChartPoint{27.5, true}};
  chart.series = {series};
  return chart;
}

struct PngSize {
  int width = 0;
  int height = 0;
};

std::optional<PngSize> decodePng(const std::string& png) {
  struct Reader {
    const std::string* bytes;
    std::size_t at = 0;
  } reader{&png};
  auto read = [](void* closure, unsigned char* data, unsigned int length) {
    auto* r = static_cast<Reader*>(closure);
    if (r->bytes->size() - r->at < length) return CAIRO_STATUS_READ_ERROR;
    std::copy_n(r->bytes->data() + r->at, length, reinterpret_cast<char*>(data));
    r->at += length;
    return CAIRO_STATUS_SUCCESS;
  };
  cairo_surface_t* surface = cairo_image_surface_create_from_png_stream(read, &reader);
  std::optional<PngSize> size;
  if (cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS) {
    size = PngSize{cairo_image_surface_get_width(surface), cairo_image_surface_get_height(surface)};
  }
  cairo_surface_destroy(surface);
  return size;
}

bool processExists(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST_F(WorkerProcessTest, TheRealWorkerDrawsAChart) {
  ChartRasteriser rasteriser;
  const std::string png = rasteriser.renderPng(twoCohorts(), 480, 240);
  const auto size = decodePng(png);
  ASSERT_TRUE(size.has_value()) << "not a PNG: " << png.size() << " bytes";
  EXPECT_EQ(size->width, 480);
  EXPECT_EQ(size->height, 240);
  // Out of range: the worker answers with no image, as reports::renderPng does.
  EXPECT_TRUE(rasteriser.renderPng(twoCohorts(), 50, 240).empty());
}

TEST_F(WorkerProcessTest, AWorkerThatLeftWhenIdleIsReplacedUnnoticed) {
  ScopedEnv idle("COHORTWATCH_WORKER_IDLE_SECONDS", "1");
  WorkerProcess process;
  const std::string request = encodeRequest(RenderChartRequest{twoCohorts(), 300, 200});
  auto first = process.exchange(request, seconds(30));
  ASSERT_EQ(first.failure, WorkerProcess::Failure::kNone) << first.detail;
  const auto first_pid = process.pid();
  ASSERT_TRUE(first_pid.has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // it leaves after 1 s
  EXPECT_FALSE(processExists(*first_pid)) << "the idle worker is still there (or a zombie)";
  auto second = process.exchange(request, seconds(30));
  ASSERT_EQ(second.failure, WorkerProcess::Failure::kNone) << second.detail;
  ASSERT_TRUE(process.pid().has_value());
  EXPECT_NE(*process.pid(), *first_pid);
  WireReader reader(second.payload);
  ASSERT_EQ(readResponseTag(reader), ResponseTag::kResult);
  EXPECT_TRUE(decodePng(readPng(reader)).has_value());
}

TEST_F(WorkerProcessTest, ARequestCrossingTheWorkersLeavingIsSentAgain) {
  // The stand-in says it is leaving to its first request, then execs the real worker.
  std::string real_error;
  const fs::path real = findWorkerProgram(real_error);
  ASSERT_FALSE(real.empty()) << real_error;
  const std::string marker = (dir_ / "left").string();
  const std::string stand_in = script(
      "leaves-once",
      "if [ ! -e " + marker + " ]; then touch " + marker +
          "; printf '\\010\\000\\000\\000\\001\\000\\000\\000\\000\\000\\000\\000'; exit 0; fi\n"
          "exec " + real.string());
  ScopedEnv worker("COHORTWATCH_WORKER", stand_in);
  ChartRasteriser rasteriser;
  EXPECT_TRUE(decodePng(rasteriser.renderPng(twoCohorts(), 300, 200)).has_value());
  EXPECT_TRUE(fs::exists(marker));
}

TEST_F(WorkerProcessTest, AMissingWorkerMeansRetryWithNothingSent) {
  ScopedEnv worker("COHORTWATCH_WORKER", (dir_ / "no-such-worker").string());
  config::SmtpChannelSettings settings;
  settings.url = "smtp://127.0.0.1:1";
  RemoteSmtpChannel channel(settings);
  channels::EmailMessage message;
  message.to = {{"", "manager@yot.example.org"}};
  const auto delivery = channel.send(message);
  EXPECT_EQ(delivery.status, channels::Delivery::Status::kRetry);
  EXPECT_FALSE(delivery.ambiguous);
  EXPECT_NE(delivery.detail.find("COHORTWATCH_WORKER"), std::string::npos) << delivery.detail;
}

TEST_F(WorkerProcessTest, AWorkerThatDiesHoldingAMessageMeansRetryPerhapsSent) {
  // Reads some of the request, then ends without a word.
  ScopedEnv worker("COHORTWATCH_WORKER", script("dies", "head -c 16 >/dev/null; exit 3"));
  config::WebhookChannelSettings settings;
  settings.url = "https://chat.example.org/hook";
  RemoteWebhookChannel channel(settings);
  const auto delivery = channel.send({"msg_cw_1", "{}"}, std::chrono::system_clock::now());
  EXPECT_EQ(delivery.status, channels::Delivery::Status::kRetry);
  EXPECT_TRUE(delivery.ambiguous);
  EXPECT_NE(delivery.detail.find("ended before answering"), std::string::npos) << delivery.detail;
}

TEST_F(WorkerProcessTest, AWorkerThatHangsIsStoppedAtTheDeadline) {
  ScopedEnv worker("COHORTWATCH_WORKER", script("hangs", "exec sleep 600"));
  WorkerProcess process;
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = process.exchange(encodeRequest(RenderChartRequest{twoCohorts(), 300, 200}),
                                        seconds(1));
  EXPECT_EQ(outcome.failure, WorkerProcess::Failure::kTimedOut);
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
  EXPECT_FALSE(process.pid().has_value());
}

TEST_F(WorkerProcessTest, AWorkerThatAlwaysLeavesIsGivenUpOnAfterTwoTries) {
  const std::string count = (dir_ / "starts").string();
  ScopedEnv worker("COHORTWATCH_WORKER",
                   script("always-leaves", "echo x >> " + count +
                                               "; printf '\\010\\000\\000\\000\\001\\000\\000\\000"
                                               "\\000\\000\\000\\000'"));
  WorkerProcess process;
  const auto outcome = process.exchange(encodeRequest(RenderChartRequest{twoCohorts(), 300, 200}),
                                        seconds(10));
  EXPECT_EQ(outcome.failure, WorkerProcess::Failure::kEnded);
  std::ifstream in(count);
  std::string line;
  int starts = 0;
  while (std::getline(in, line)) ++starts;
  EXPECT_EQ(starts, 2);
}

TEST_F(WorkerProcessTest, AFetchWithoutAWorkerIsRetryableAndKeepsTheState) {
  ScopedEnv worker("COHORTWATCH_WORKER", (dir_ / "no-such-worker").string());
  config::HttpSource settings;
  settings.url = "http://127.0.0.1:1/export";
  RemoteHttpFetcher fetcher(settings, dir_ / "spool");
  const connectors::HttpSourceState state{"\"e\"", "lm", "2026-12-04T18:00:00Z"};
  const auto result = fetcher.fetch(state, std::chrono::system_clock::now());
  EXPECT_EQ(result.outcome, connectors::FetchOutcome::kRetryable);
  EXPECT_EQ(result.next_state, state);
  EXPECT_FALSE(result.error.empty());
}

}  // namespace
}  // namespace cohortwatch::worker
