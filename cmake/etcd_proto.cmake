# Copies etcd's API .proto files (Debian's golang-etcd-server-dev) into
# OUT_DIR/etcd/..., without the gogoproto and google.api annotations that only
# the Go generator and the HTTP gateway understand (those .proto files are not
# installed). Run in script mode: cmake -DSRC_DIR=... -DOUT_DIR=... -P this.
foreach(rel etcdserver/etcdserverpb/rpc.proto mvcc/mvccpb/kv.proto auth/authpb/auth.proto)
  file(READ "${SRC_DIR}/${rel}" text)
  string(REGEX REPLACE "import \"gogoproto/gogo.proto\";" "" text "${text}")
  string(REGEX REPLACE "import \"google/api/annotations.proto\";" "" text "${text}")
  string(REGEX REPLACE "option \\(gogoproto\\.[a-z_]+\\) = [a-z]+;" "" text "${text}")
  string(REGEX REPLACE " *\\[\\(gogoproto\\.[^]]*\\]" "" text "${text}")
  # The HTTP options hold at most one level of nested braces (additional_bindings).
  string(REGEX REPLACE "option \\(google\\.api\\.http\\) = {([^{}]|{[^{}]*})*};" "" text "${text}")
  foreach(word gogoproto google.api)
    string(FIND "${text}" "${word}" left)
    if(NOT left EQUAL -1)
      message(FATAL_ERROR "${rel}: a ${word} annotation was not stripped")
    endif()
  endforeach()
  file(WRITE "${OUT_DIR}/etcd/${rel}" "${text}")
endforeach()
