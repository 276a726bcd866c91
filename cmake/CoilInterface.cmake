# coil_add_interface(TARGET FILE [NAME name])
#
# Turns the interface file FILE into C with `coil gen` at build time and
# builds it into TARGET:
#
#   coil_add_interface(greeter_service greeter.yaml)   # then: #include "greeter.h"
#
# NAME is the interface's name (`interface:` in FILE), which names the
# generated NAME.h and NAME.c; it is read from FILE unless given (FILE is
# then a configure dependency, so renaming the interface re-runs CMake).
# The files go to <current binary dir>/coil_gen/NAME. The generated code is
# compiled once per FILE, into an object library `coil_interface_NAME`
# that TARGET links (privately) along with Coil::coil; any number of
# targets, in any directory, may use the same FILE. The files are
# regenerated when FILE or the tool changes, and `coil gen` leaves
# unchanged output untouched, so nothing recompiles unless the generated
# code changed.
#
# Works in Coil's own build, where Coil::coil and Coil::coil_tool are
# aliases of its targets, and through find_package(Coil), where they are
# imported.
include_guard(GLOBAL)

function(coil_add_interface target file)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "NAME" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "coil_add_interface: unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "coil_add_interface: no target named '${target}'")
  endif()
  if(NOT TARGET Coil::coil_tool OR NOT TARGET Coil::coil)
    message(FATAL_ERROR "coil_add_interface: Coil::coil_tool and Coil::coil are not defined "
                        "(find_package(Coil) first)")
  endif()
  get_filename_component(file "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "coil_add_interface: no such interface file: ${file}")
  endif()

  # One object library per interface file, shared by every target using it.
  string(MD5 key "${file}")
  get_property(lib GLOBAL PROPERTY COIL_INTERFACE_${key})
  if(NOT lib)
    set(name "${arg_NAME}")
    if(NOT name)
      file(STRINGS "${file}" lines REGEX "^interface[ \t]*:")
      if(lines MATCHES "^interface[ \t]*:[ \t]*[\"']?([A-Za-z_][A-Za-z0-9_]*)")
        set(name "${CMAKE_MATCH_1}")
      else()
        message(FATAL_ERROR "coil_add_interface: cannot find 'interface: NAME' at the start of "
                            "a line in ${file}; pass NAME")
      endif()
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${file}")
    endif()
    set(lib coil_interface_${name})
    set(n 2)
    while(TARGET ${lib})   # another file declares an interface of the same name
      set(lib coil_interface_${name}_${n})
      math(EXPR n "${n} + 1")
    endwhile()

    set(dir "${CMAKE_CURRENT_BINARY_DIR}/coil_gen/${name}")
    # In Coil's own build the tool is an alias; the real target makes
    # COMMAND and DEPENDS see it (and build it first).
    get_target_property(tool Coil::coil_tool ALIASED_TARGET)
    if(NOT tool)
      set(tool Coil::coil_tool)
    endif()
    file(RELATIVE_PATH shown "${CMAKE_CURRENT_SOURCE_DIR}" "${file}")
    if(shown MATCHES "^\\.\\./")
      set(shown "${file}")
    endif()
    add_custom_command(
      OUTPUT "${dir}/${name}.h" "${dir}/${name}.c"
      COMMAND ${tool} gen "${shown}" -o "${dir}"
      DEPENDS "${file}" ${tool}
      WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
      COMMENT "Generating ${name}.h and ${name}.c from ${shown}"
      VERBATIM)
    add_library(${lib} OBJECT "${dir}/${name}.c" "${dir}/${name}.h")
    set_target_properties(${lib} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_include_directories(${lib} PUBLIC "${dir}")
    target_link_libraries(${lib} PUBLIC Coil::coil)
    set_property(GLOBAL PROPERTY COIL_INTERFACE_${key} ${lib})
  endif()
  target_link_libraries(${target} PRIVATE ${lib} Coil::coil)
endfunction()
