# Targets only the sanitizer and fuzzing builds use (see sanitize_flags.cmake).
# EXCLUDE_FROM_ALL: a normal build never compiles them.

# The event loop, worker pool and control server tests alone, for TSan: the
# code where threads meet (posting to the loop, the pool's queue, the server
# on a loop thread), built from its own sources so that a TSan build need not
# compile the whole daemon.
add_executable(mha_loop_tests EXCLUDE_FROM_ALL
  tests/unit/event_loop_test.cpp tests/unit/control_server_test.cpp
  daemon/event_loop.cpp daemon/worker_pool.cpp daemon/control_server.cpp)
target_include_directories(mha_loop_tests PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(mha_loop_tests PRIVATE mha_catch_main mha_common Threads::Threads Catch2::Catch2 mha_warnings)

# The daemon's glue over the fakes, for TSan as well: DaemonApp and
# ClusterMonitor with the real loop, pool, control socket and operation
# thread (tests/unit/daemon_app_test.cpp, cluster_monitor_test.cpp).
add_executable(mha_app_tests EXCLUDE_FROM_ALL
  tests/unit/daemon_app_test.cpp tests/unit/cluster_monitor_test.cpp tests/fakes/fake_cluster.cpp
  daemon/failpoints_none.cpp)
target_include_directories(mha_app_tests PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(mha_app_tests PRIVATE mha_catch_main mhad_core Catch2::Catch2 mha_warnings)

if(MHA_FUZZ)
  add_subdirectory(tests/fuzz)
endif()
