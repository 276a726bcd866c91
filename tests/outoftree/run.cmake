# cmake -DBUILD=<Coil build dir> -DWORK=<scratch dir> -DSOURCE=<this dir>
#       -DLIBDIR=<CMAKE_INSTALL_LIBDIR> -DGENERATOR=<generator> -DCC=<C compiler>
#       [-DSANITIZE=ON] -P run.cmake
#
# Installs the Coil build into WORK/prefix, then, as a user would:
# 1. configures and builds this directory's project (find_package(Coil),
#    coil_add_interface()) against it, and runs the program;
# 2. compiles pkgconfig.c with the flags of `pkg-config coil` and runs it.
# Fails on any step's non-zero exit, printing its output.

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("== ${what}\n${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}): ${ARGN}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK}/prefix")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(flags "")
if(SANITIZE)
  # The installed libcoil is instrumented: so must the programs be.
  set(flags -fsanitize=address,undefined -fno-omit-frame-pointer)
endif()
list(JOIN flags " " flags_string)

step("install" "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${prefix}")

step("configure" "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${WORK}/build" -G "${GENERATOR}"
     "-DCMAKE_C_COMPILER=${CC}" "-DCMAKE_PREFIX_PATH=${prefix}"
     "-DCMAKE_C_FLAGS=${flags_string}" "-DCMAKE_EXE_LINKER_FLAGS=${flags_string}")
step("build" "${CMAKE_COMMAND}" --build "${WORK}/build")
step("run" "${WORK}/build/adder_app")
if(NOT out MATCHES "add: 42, sum: 42")
  message(FATAL_ERROR "unexpected output")
endif()

# A rebuild with nothing changed regenerates nothing and compiles nothing.
step("rebuild" "${CMAKE_COMMAND}" --build "${WORK}/build")
if(out MATCHES "Generating|Building C")
  message(FATAL_ERROR "a rebuild with nothing changed did work")
endif()

find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
set(ENV{PKG_CONFIG_PATH} "${prefix}/${LIBDIR}/pkgconfig")
step("pkg-config" "${PKG_CONFIG}" --cflags --libs coil)
string(STRIP "${out}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
step("pkg-config build" "${CC}" -std=c11 -Wall -Wextra -Werror ${flags} "${SOURCE}/pkgconfig.c"
     ${pc_flags} -o "${WORK}/pkgconfig" "-Wl,-rpath,${prefix}/${LIBDIR}")
step("pkg-config run" "${WORK}/pkgconfig")
