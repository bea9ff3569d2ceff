// The ctest fixture that starts one 3-member etcd cluster for a whole test
// run and stops it at the end (also used by bench/etcd.sh):
//   jfsbr_etcd_fixture start FILE [MEMBERS]  |  jfsbr_etcd_fixture stop FILE
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "testing/etcd_cluster.h"

int main(int argc, char** argv) {
  using jfsbr::EtcdCluster;
  if (argc < 3 || argc > 4 || (strcmp(argv[1], "start") != 0 && strcmp(argv[1], "stop") != 0)) {
    fprintf(stderr, "usage: %s start FILE [MEMBERS] | stop FILE\n", argv[0]);
    return 2;
  }
  if (strcmp(argv[1], "stop") == 0) {
    auto st = EtcdCluster::StopSaved(argv[2]);
    if (!st.ok()) fprintf(stderr, "%s\n", st.ToString().c_str());
    return 0;  // nothing to stop is fine
  }
  (void)EtcdCluster::StopSaved(argv[2]);  // a cluster left by an interrupted run
  int members = argc == 4 ? atoi(argv[3]) : 3;
  auto c = EtcdCluster::Start(members < 1 ? 1 : members, /*detach=*/true);
  if (!c.ok()) {
    fprintf(stderr, "cannot start the etcd test cluster: %s\n", c.status().ToString().c_str());
    return 1;
  }
  auto st = (*c)->Save(argv[2]);
  if (!st.ok()) {
    fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  (*c)->Release();
  printf("etcd test cluster: %s (%s)\n", (*c)->Endpoints().c_str(), (*c)->dir().c_str());
  return 0;
}
