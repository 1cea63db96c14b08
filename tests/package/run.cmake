# Checks that an application can use usermgmt the two supported ways: find_package() after
# cmake --install, and add_subdirectory(). Also checks that the public headers pull in no
# third-party header. Run by CTest with SOURCE_DIR, BUILD_DIR, WORK_DIR and CXX set.
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

# 2. The public headers include only the standard library.
run(${CXX} -std=c++20 -M -I${prefix}/include ${SOURCE_DIR}/tests/package/consumer/main.cpp)
if(last_output MATCHES "sqlite3\\.h|sodium|boost")
  message(FATAL_ERROR "a public header pulls in a third-party header:\n${last_output}")
endif()

# 3. add_subdirectory (the core alone, to keep the test short).
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/subdir
    -DUSERMGMT_SOURCE_DIR=${SOURCE_DIR} -DUSERMGMT_BUILD_HTTP=OFF -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/subdir)
file(REMOVE ${WORK_DIR}/consumer.db)
run(${WORK_DIR}/subdir/consumer ${WORK_DIR})
if(NOT last_output MATCHES "consumer ok")
  message(FATAL_ERROR "subdirectory consumer: unexpected output: ${last_output}")
endif()
message(STATUS "package consumer ok")
