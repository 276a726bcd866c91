# cmake -DDOC=<file.md> -DROOT=<source dir> -DCOIL=<coil tool> -DWORK=<scratch dir>
#       -DCC=<C compiler> -DINCLUDES=<dirs> -DLIBS=<libcoil;jansson...> [-DSANITIZE=ON]
#       -P check_doc.cmake
#
# Proves that the code blocks of a Markdown document are true: each fenced
# block is checked as the HTML comment right before it (invisible when the
# Markdown is rendered) says.
#
#   <!-- file: PATH -->         the block is the whole file PATH (relative to ROOT)
#   <!-- excerpt: PATH -->      the block is a run of whole lines of PATH
#   <!-- generated: NAME from PATH -->
#                               the block is a run of whole lines of NAME, a file
#                               `coil gen PATH` writes (run in PATH's directory)
#   <!-- gen: ok NAME -->       the block is an interface file: written to NAME,
#                               `coil gen NAME` succeeds and prints nothing, and
#                               the C it writes compiles under strict flags
#   <!-- gen: fails NAME -->    `coil gen NAME` fails; the next block, marked
#                               <!-- errors -->, is exactly what it prints
#   <!-- c: compile -->         the block compiles (-c) under strict flags; it may
#                               include "birthday.h" (generated from the sample)
#   <!-- c: run [with FILE...] -->
#                               the block is a program: linked with the generated
#                               birthday.c, FILEs (relative to ROOT) and libcoil,
#                               it exits 0; when the next block is marked
#                               <!-- output -->, that is exactly what it prints
#   <!-- unchecked: WHY -->     nothing to check (say why)
#
# Every ```yaml, ```c and ```cmake block needs one of these; other blocks
# (shell commands, text) may go without.

cmake_minimum_required(VERSION 3.21)

foreach(v DOC ROOT COIL WORK CC)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_doc.cmake: -D${v}=... is missing")
  endif()
endforeach()

set(strict -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
           -pedantic)
set(sanitize "")
if(SANITIZE)
  set(sanitize -fsanitize=address,undefined -fno-sanitize-recover=undefined
               -fno-omit-frame-pointer)
endif()
set(include_flags "")
foreach(dir IN LISTS INCLUDES)
  if(dir)
    list(APPEND include_flags "-I${dir}")
  endif()
endforeach()
set(rpath "")
list(REMOVE_ITEM LIBS "")
foreach(lib IN LISTS LIBS)
  get_filename_component(libdir "${lib}" DIRECTORY)
  if(libdir)
    list(APPEND rpath "-Wl,-rpath,${libdir}")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(RELATIVE_PATH shown_doc "${ROOT}" "${DOC}")
set(problems 0)
function(problem at msg)
  message(SEND_ERROR "${shown_doc}:${at}: ${msg}")
  math(EXPR count "${problems} + 1")
  set(problems ${count} PARENT_SCOPE)
endfunction()

# Runs a command; sets rc, out (stdout) and err (stderr).
macro(run dir)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${dir}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endmacro()

# ---- Split the document into blocks -----------------------------------------

file(READ "${DOC}" text)
set(n 0)
set(pos 0)
while(TRUE)
  string(SUBSTRING "${text}" ${pos} -1 rest)
  string(FIND "${rest}" "\n```" open)
  if(open EQUAL -1)
    break()
  endif()
  math(EXPR fence "${pos} + ${open} + 1")          # the first ` of the fence
  string(SUBSTRING "${text}" ${pos} ${open} between)
  string(SUBSTRING "${text}" ${fence} -1 rest)
  string(FIND "${rest}" "\n" eol)
  math(EXPR eol "${eol} - 3")
  string(SUBSTRING "${rest}" 3 ${eol} lang)
  math(EXPR body_at "${fence} + ${eol} + 4")
  string(SUBSTRING "${text}" ${body_at} -1 rest)
  if(rest MATCHES "^```")
    set(body_len 0)                                 # an empty block
  else()
    string(FIND "${rest}" "\n```" body_len)
    if(body_len EQUAL -1)
      message(FATAL_ERROR "${shown_doc}: a block is not closed")
    endif()
  endif()
  string(SUBSTRING "${rest}" 0 ${body_len} body)
  string(SUBSTRING "${text}" 0 ${fence} before)
  string(REGEX MATCHALL "\n" newlines "${before}")
  list(LENGTH newlines line)
  math(EXPR line "${line} + 1")

  set(directive "")
  if(between MATCHES "<!--[ ]*([^\n]*[^ \n])[ ]*-->[ \t\n]*$")
    set(directive "${CMAKE_MATCH_1}")
  endif()
  set(block_${n}_lang "${lang}")
  set(block_${n}_body "${body}")
  set(block_${n}_line ${line})
  set(block_${n}_directive "${directive}")
  math(EXPR n "${n} + 1")
  math(EXPR pos "${body_at} + ${body_len} + 1")
  string(SUBSTRING "${text}" ${pos} -1 rest)
  string(FIND "${rest}" "\n" eol)                   # past the closing fence
  if(eol EQUAL -1)
    break()
  endif()
  math(EXPR pos "${pos} + ${eol}")
endwhile()

# ---- Helpers ----------------------------------------------------------------

# Whether `body` is a run of whole lines of `content`.
function(is_excerpt content body result)
  string(FIND "\n${content}" "\n${body}\n" at)
  if(at EQUAL -1)
    set(${result} FALSE PARENT_SCOPE)
  else()
    set(${result} TRUE PARENT_SCOPE)
  endif()
endfunction()

# The sample's interface, generated once, for C blocks that include it.
set(birthday_gen "${WORK}/birthday_gen")
run("${ROOT}/samples/birthday" "${COIL}" gen birthday.yaml -o "${birthday_gen}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "coil gen samples/birthday/birthday.yaml failed:\n${err}")
endif()

# ---- Check every block --------------------------------------------------------

set(counts_file 0)
set(counts_excerpt 0)
set(counts_gen_ok 0)
set(counts_gen_fails 0)
set(counts_compile 0)
set(counts_run 0)
set(counts_unchecked 0)
set(consumed "")
if(n EQUAL 0)
  message(FATAL_ERROR "${shown_doc} has no code blocks")
endif()
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  set(lang "${block_${i}_lang}")
  set(body "${block_${i}_body}")
  set(line "${block_${i}_line}")
  set(d "${block_${i}_directive}")
  math(EXPR next "${i} + 1")
  set(next_body "")
  set(next_d "")
  if(next LESS n)
    set(next_body "${block_${next}_body}")
    set(next_d "${block_${next}_directive}")
  endif()
  set(dir "${WORK}/block-${line}")

  if(d MATCHES "^file: (.+)$")
    set(path "${CMAKE_MATCH_1}")
    if(NOT EXISTS "${ROOT}/${path}")
      problem(${line} "no such file: ${path}")
    else()
      file(READ "${ROOT}/${path}" content)
      if(NOT "${body}\n" STREQUAL "${content}")
        problem(${line} "the block is not ${path} (they differ)")
      endif()
    endif()
    math(EXPR counts_file "${counts_file} + 1")

  elseif(d MATCHES "^excerpt: (.+)$")
    set(path "${CMAKE_MATCH_1}")
    if(NOT EXISTS "${ROOT}/${path}")
      problem(${line} "no such file: ${path}")
    else()
      file(READ "${ROOT}/${path}" content)
      is_excerpt("${content}" "${body}" ok)
      if(NOT ok)
        problem(${line} "the block is not a run of whole lines of ${path}")
      endif()
    endif()
    math(EXPR counts_excerpt "${counts_excerpt} + 1")

  elseif(d MATCHES "^generated: ([^ ]+) from (.+)$")
    set(name "${CMAKE_MATCH_1}")
    set(path "${CMAKE_MATCH_2}")
    get_filename_component(src_dir "${ROOT}/${path}" DIRECTORY)
    get_filename_component(src_name "${path}" NAME)
    run("${src_dir}" "${COIL}" gen "${src_name}" -o "${dir}")
    if(NOT rc EQUAL 0 OR NOT EXISTS "${dir}/${name}")
      problem(${line} "coil gen ${path} did not write ${name}:\n${err}")
    else()
      file(READ "${dir}/${name}" content)
      is_excerpt("${content}" "${body}" ok)
      if(NOT ok)
        problem(${line} "the block is not a run of whole lines of ${name} generated from ${path}")
      endif()
    endif()
    math(EXPR counts_excerpt "${counts_excerpt} + 1")

  elseif(d MATCHES "^gen: (ok|fails) ([^ ]+)$")
    set(want "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    file(MAKE_DIRECTORY "${dir}")
    file(WRITE "${dir}/${name}" "${body}\n")
    run("${dir}" "${COIL}" gen "${name}" -o out)
    if(want STREQUAL "ok")
      if(NOT rc EQUAL 0 OR NOT err STREQUAL "" OR NOT out STREQUAL "")
        problem(${line} "coil gen failed (${rc}):\n${err}")
      else()
        file(GLOB sources "${dir}/out/*.c")
        run("${dir}" "${CC}" ${strict} -fsyntax-only ${include_flags} -I "${dir}/out" ${sources})
        if(NOT rc EQUAL 0)
          problem(${line} "the generated C does not compile:\n${err}")
        endif()
      endif()
      math(EXPR counts_gen_ok "${counts_gen_ok} + 1")
    else()
      if(NOT next_d STREQUAL "errors")
        problem(${line} "a failing example needs a block marked <!-- errors --> after it")
      elseif(rc EQUAL 0)
        problem(${line} "coil gen succeeded, the document says it fails")
      elseif(NOT err STREQUAL "${next_body}\n")
        problem(${line} "coil gen prints:\n${err}the document says:\n${next_body}")
      endif()
      if(next_d STREQUAL "errors")
        list(APPEND consumed ${next})
      endif()
      math(EXPR counts_gen_fails "${counts_gen_fails} + 1")
    endif()

  elseif(d STREQUAL "c: compile")
    file(MAKE_DIRECTORY "${dir}")
    file(WRITE "${dir}/example.c" "${body}\n")
    run("${dir}" "${CC}" ${strict} ${sanitize} -c ${include_flags} -I "${birthday_gen}"
        example.c -o example.o)
    if(NOT rc EQUAL 0)
      problem(${line} "the block does not compile:\n${err}")
    endif()
    math(EXPR counts_compile "${counts_compile} + 1")

  elseif(d MATCHES "^c: run( with (.+))?$")
    set(extra "")
    if(CMAKE_MATCH_2)
      string(REPLACE " " ";" files "${CMAKE_MATCH_2}")
      foreach(f IN LISTS files)
        list(APPEND extra "${ROOT}/${f}")
      endforeach()
    endif()
    if(next_d STREQUAL "output")
      list(APPEND consumed ${next})
    endif()
    file(MAKE_DIRECTORY "${dir}")
    file(WRITE "${dir}/example.c" "${body}\n")
    run("${dir}" "${CC}" ${strict} ${sanitize} ${include_flags} -I "${birthday_gen}"
        example.c "${birthday_gen}/birthday.c" ${extra} -o example ${LIBS} ${rpath})
    if(NOT rc EQUAL 0)
      problem(${line} "the program does not build:\n${err}")
    else()
      run("${dir}" "${dir}/example")
      if(NOT rc EQUAL 0)
        problem(${line} "the program exits with ${rc}:\n${out}${err}")
      elseif(next_d STREQUAL "output")
        if(NOT out STREQUAL "${next_body}\n")
          problem(${line} "the program prints:\n${out}the document says:\n${next_body}")
        endif()
      endif()
    endif()
    math(EXPR counts_run "${counts_run} + 1")

  elseif(d MATCHES "^unchecked: .")
    math(EXPR counts_unchecked "${counts_unchecked} + 1")

  elseif(d STREQUAL "errors" OR d STREQUAL "output")
    if(NOT i IN_LIST consumed)
      problem(${line} "<!-- ${d} --> follows no example that produces it")
    endif()

  elseif(NOT d STREQUAL "" AND d MATCHES "^(file|excerpt|generated|gen|c|unchecked)[ :]")
    problem(${line} "cannot read the directive '${d}'")

  elseif(lang MATCHES "^(yaml|c|cmake)$")
    problem(${line} "a ${lang} block needs a directive (see tests/check_doc.cmake)")
  endif()
endforeach()

message("${shown_doc}: ${n} blocks: ${counts_file} whole files, ${counts_excerpt} excerpts, "
        "${counts_gen_ok} interface files that generate, ${counts_gen_fails} that fail as shown, "
        "${counts_compile} compiled, ${counts_run} run, ${counts_unchecked} unchecked")
if(problems GREATER 0)
  message(FATAL_ERROR "${problems} problem(s) in ${shown_doc}")
endif()
