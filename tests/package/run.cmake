# Checks that an application can use usermgmt every supported way: find_package() after
# cmake --install (everything, or the core component alone without Boost), pkg-config,
# add_subdirectory(), and a shared-library build whose exports are the public API only. Also
# checks that the public headers pull in no third-party header. Run by CTest with SOURCE_DIR, BUILD_DIR, WORK_DIR and CXX set.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# 1. Installed package + find_package.
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/installed
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/installed)
run(${WORK_DIR}/installed/consumer ${WORK_DIR})
if(NOT last_output MATCHES "http ok" OR NOT last_output MATCHES "consumer ok")
  message(FATAL_ERROR "installed consumer: unexpected output: ${last_output}")
endif()

# 2. Core only: the core component finds no Boost (here, Boost cannot be found at all).
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/core-only
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release -DUSERMGMT_COMPONENTS=core
    -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/core-only)
file(REMOVE ${WORK_DIR}/consumer.db)
run(${WORK_DIR}/core-only/consumer ${WORK_DIR})
if(NOT last_output STREQUAL "consumer ok\n")
  message(FATAL_ERROR "core-only consumer: unexpected output: ${last_output}")
endif()
# An unknown component is refused with a message.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/unknown
                -DCMAKE_PREFIX_PATH=${prefix} -DUSERMGMT_COMPONENTS=gui RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc OR NOT err MATCHES "usermgmt has no component gui")
  message(FATAL_ERROR "an unknown component was not refused: ${err}")
endif()

# 3. pkg-config, for builds outside CMake: the core, then the adapter (when it was built).
file(GLOB_RECURSE pc_files ${prefix}/usermgmt.pc)
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${pc_dir}:$ENV{PKG_CONFIG_PATH}")
set(pc_packages usermgmt)
if(EXISTS ${pc_dir}/usermgmt-http.pc)
  list(APPEND pc_packages usermgmt-http)
endif()
foreach(package IN LISTS pc_packages)
  run(pkg-config --cflags --libs ${package})
  string(STRIP "${last_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(defines "")
  if(package STREQUAL "usermgmt-http")
    set(defines -DUSERMGMT_CONSUMER_HTTP)
  endif()
  run(${CXX} -std=c++20 ${defines} ${SOURCE_DIR}/tests/package/consumer/main.cpp -o ${WORK_DIR}/pc-${package} ${flags})
  file(REMOVE ${WORK_DIR}/consumer.db)
  run(${WORK_DIR}/pc-${package} ${WORK_DIR})
  if(NOT last_output MATCHES "consumer ok")
    message(FATAL_ERROR "pkg-config consumer (${package}): unexpected output: ${last_output}")
  endif()
  if(package STREQUAL "usermgmt-http" AND NOT last_output MATCHES "http ok")
    message(FATAL_ERROR "pkg-config consumer of usermgmt-http: no HTTP answer: ${last_output}")
  endif()
endforeach()

# 4. The public headers include only the standard library.
run(${CXX} -std=c++20 -M -DUSERMGMT_WITH_POSTGRES=1 -I${prefix}/include ${SOURCE_DIR}/tests/package/consumer/main.cpp)
if(last_output MATCHES "sqlite3\\.h|sodium|boost")
  message(FATAL_ERROR "a public header pulls in a third-party header:\n${last_output}")
endif()

# 5. add_subdirectory (the core alone, to keep the test short).
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/subdir
    -DUSERMGMT_SOURCE_DIR=${SOURCE_DIR} -DUSERMGMT_BUILD_HTTP=OFF -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/subdir)
file(REMOVE ${WORK_DIR}/consumer.db)
run(${WORK_DIR}/subdir/consumer ${WORK_DIR})
if(NOT last_output MATCHES "consumer ok")
  message(FATAL_ERROR "subdirectory consumer: unexpected output: ${last_output}")
endif()

# 6. A shared-library build (BUILD_SHARED_LIBS=ON): only the public API is exported, and the
#    consumer runs against the installed .so files.
set(shared_prefix ${WORK_DIR}/shared-prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/shared-build -G Ninja -DCMAKE_BUILD_TYPE=Release
    -DBUILD_SHARED_LIBS=ON -DUSERMGMT_BUILD_TESTS=OFF -DUSERMGMT_BUILD_EXAMPLES=OFF)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/shared-build)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/shared-build --prefix ${shared_prefix})
file(GLOB_RECURSE core_so ${shared_prefix}/libusermgmt.so)
if(NOT core_so)
  message(FATAL_ERROR "the shared build installed no libusermgmt.so")
endif()
run(nm -DC --defined-only ${core_so})
if(NOT last_output MATCHES "usermgmt::UserService::create" OR last_output MATCHES "usermgmt::detail::verify_jwt")
  message(FATAL_ERROR "libusermgmt.so exports the wrong symbols (hidden by default, the public API exported)")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/shared-consumer
    -DCMAKE_PREFIX_PATH=${shared_prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/shared-consumer)
file(REMOVE ${WORK_DIR}/consumer.db)
run(${WORK_DIR}/shared-consumer/consumer ${WORK_DIR})
if(NOT last_output MATCHES "http ok" OR NOT last_output MATCHES "consumer ok")
  message(FATAL_ERROR "shared-library consumer: unexpected output: ${last_output}")
endif()
run(ldd ${WORK_DIR}/shared-consumer/consumer)
if(NOT last_output MATCHES "libusermgmt.so" OR NOT last_output MATCHES "libusermgmt_http.so")
  message(FATAL_ERROR "the shared-library consumer is not linked to the shared libraries: ${last_output}")
endif()
message(STATUS "package consumer ok")
