// The ctest fixtures that start one server for a whole test run and stop it
// at the end (also used by scripts/demo.sh and bench/):
//   jfsbr_fixture etcd start FILE [MEMBERS]  |  jfsbr_fixture etcd stop FILE
//   jfsbr_fixture s3 start FILE              |  jfsbr_fixture s3 stop FILE
//   jfsbr_fixture pg start FILE [durable]    |  jfsbr_fixture pg stop FILE
//   jfsbr_fixture mariadb start FILE [durable] | jfsbr_fixture mariadb stop FILE
//   jfsbr_fixture redis start FILE             | jfsbr_fixture redis stop FILE
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "testing/etcd_cluster.h"
#include "testing/mariadb_server.h"
#include "testing/pg_server.h"
#include "testing/redis_server.h"
#include "testing/s3_server.h"

namespace {

using namespace jfsbr;

template <typename Server, typename StartFn, typename DescribeFn>
int StartSaved(const char* file, StartFn start, DescribeFn describe) {
  (void)Server::StopSaved(file);  // one left by an interrupted run
  std::filesystem::create_directories(std::filesystem::path(file).parent_path());
  auto s = start();
  if (!s.ok()) {
    fprintf(stderr, "cannot start the test server: %s\n", s.status().ToString().c_str());
    return 1;
  }
  if (auto st = (*s)->Save(file); !st.ok()) {
    fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  (*s)->Release();
  printf("%s (%s)\n", describe(**s).c_str(), (*s)->dir().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kind = argc >= 2 ? argv[1] : "";
  bool known =
      kind == "etcd" || kind == "s3" || kind == "pg" || kind == "mariadb" || kind == "redis";
  bool start = argc >= 4 && strcmp(argv[2], "start") == 0;
  bool stop = argc == 4 && strcmp(argv[2], "stop") == 0;
  bool durable = argc == 5 && strcmp(argv[4], "durable") == 0;
  if (!known || (!start && !stop) || (kind == "s3" && argc != 4) || argc > 5 ||
      (argc == 5 && kind != "etcd" && !durable)) {
    fprintf(stderr,
            "usage: %s etcd|s3|pg|mariadb|redis start FILE [MEMBERS|durable] | "
            "etcd|s3|pg|mariadb|redis stop "
            "FILE\n",
            argv[0]);
    return 2;
  }
  const char* file = argv[3];
  if (stop) {
    auto st = kind == "etcd"    ? EtcdCluster::StopSaved(file)
              : kind == "s3"    ? S3Server::StopSaved(file)
              : kind == "pg"    ? PgServer::StopSaved(file)
              : kind == "redis" ? RedisServer::StopSaved(file)
                                : MariaServer::StopSaved(file);
    if (!st.ok()) fprintf(stderr, "%s\n", st.ToString().c_str());
    return 0;  // nothing to stop is fine
  }
  if (kind == "s3") {
    return StartSaved<S3Server>(
        file, [] { return S3Server::Start(/*detach=*/true); },
        [](const S3Server& s) { return "s3 test server: " + s.endpoint(); });
  }
  if (kind == "pg") {
    return StartSaved<PgServer>(
        file, [&] { return PgServer::Start(/*detach=*/true, durable); },
        [](const PgServer& s) {
          return "postgres test server: 127.0.0.1:" + std::to_string(s.port());
        });
  }
  if (kind == "redis") {
    return StartSaved<RedisServer>(
        file, [&] { return RedisServer::Start(RedisServer::Options{/*detach=*/true}); },
        [](const RedisServer& s) {
          return "redis test server: 127.0.0.1:" + std::to_string(s.port());
        });
  }
  if (kind == "mariadb") {
    return StartSaved<MariaServer>(
        file, [&] { return MariaServer::Start(/*detach=*/true, durable); },
        [](const MariaServer& s) {
          return "mariadb test server: 127.0.0.1:" + std::to_string(s.port());
        });
  }
  int members = argc == 5 ? atoi(argv[4]) : 3;
  return StartSaved<EtcdCluster>(
      file, [&] { return EtcdCluster::Start(members < 1 ? 1 : members, /*detach=*/true); },
      [](const EtcdCluster& c) { return "etcd test cluster: " + c.Endpoints(); });
}
